/**
 * Creating a deployment (ostree_sysroot_deploy_tree + simple_write_deployment):
 * check out the commit to `ostree/deploy/STATEROOT/deploy/CSUM.SERIAL`, make `/etc` from
 * `usr/etc` plus the admin's changes (3-way merge with the merge deployment), write the origin,
 * seal the root with the immutable attribute, then put it first in the boot order.
 *
 * Nothing here is visible to the bootloader until writeDeployments() passes its commit point;
 * an interrupted deploy leaves an unreferenced directory that cleanup removes.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { formatOrigin, type Origin, originIsPinned } from '../formats/origin.js';
import { isErrno, writeFileAtomic } from '../core/index.js';
import { type Deployment, deploymentId, isValidStateroot, parseDeployName, sameDeployment } from './deployment.js';
import { BadTree, NoKernel, StaterootNotFound } from './errors.js';
import { type EtcMergeReport, mergeEtc } from './etc-merge.js';
import { findKernel } from './kernel.js';
import type { Sysroot } from './sysroot.js';
import { copyTree, setImmutable } from './tree-ops.js';
import { writeDeployments, type WriteDeploymentsResult } from './write-deployments.js';
import { cleanup } from './cleanup.js';

export interface DeployTreeOptions {
  readonly stateroot: string;
  readonly checksum: string;
  readonly origin: Origin | undefined;
  /** Where /etc changes and default kargs come from; null for none (ostree --no-merge). */
  readonly merge: Deployment | null | undefined;
  /** Full kernel argument list replacing the merge deployment's. */
  readonly kargs?: string;
  /** Stop after checkout + origin (staging): /etc merge happens at finalization. */
  readonly skipEtcMerge?: boolean;
}

export interface DeployTreeResult {
  readonly deployment: Deployment;
  readonly etc: EtcMergeReport | undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

async function allocateDeployserial(sysroot: Sysroot, stateroot: string, checksum: string): Promise<number> {
  let serial = 0;
  const dir = path.join(sysroot.path, 'ostree/deploy', stateroot, 'deploy');
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    const p = parseDeployName(name.replace(/\.origin$/, ''));
    if (p !== undefined && p.checksum === checksum) serial = Math.max(serial, p.serial + 1);
  }
  return serial;
}

/** Copies `usr/etc` to `etc` (ostree requires `usr/etc`; a lone top-level `etc` is moved there). */
async function prepareEtc(deployDir: string): Promise<void> {
  const usrEtc = path.join(deployDir, 'usr/etc');
  const etc = path.join(deployDir, 'etc');
  const hasUsrEtc = await exists(usrEtc);
  const hasEtc = await exists(etc);
  if (hasUsrEtc && hasEtc) {
    throw new BadTree('Tree contains both /etc and /usr/etc', { path: deployDir });
  }
  if (hasEtc) await fsp.rename(etc, usrEtc);
  if (await exists(usrEtc)) await copyTree(usrEtc, etc);
}

export async function sealDeployment(sysroot: Sysroot, dir: string): Promise<void> {
  const mutable = sysroot.options.mutableDeployments ?? /\bmutable-deployments\b/.test(process.env.OSTREE_SYSROOT_DEBUG ?? '');
  if (mutable) return;
  await sysroot.failpoint('deploy:seal');
  await setImmutable(dir, true);
}

export async function writeOrigin(sysroot: Sysroot, d: Pick<Deployment, 'stateroot' | 'checksum' | 'serial'>, origin: Origin | undefined): Promise<void> {
  if (origin === undefined) return;
  await sysroot.failpoint('deploy:origin');
  await writeFileAtomic(sysroot.originPath(d), formatOrigin(origin));
}

/** Checkout + /etc + origin + seal. The new deployment is not in the boot order yet. */
export async function deployTree(sysroot: Sysroot, options: DeployTreeOptions): Promise<DeployTreeResult> {
  const { stateroot, checksum } = options;
  if (!isValidStateroot(stateroot) || !(await exists(path.join(sysroot.path, 'ostree/deploy', stateroot)))) {
    throw new StaterootNotFound(`No stateroot ${JSON.stringify(stateroot)} (run os-init first)`, { stateroot });
  }
  const repo = await sysroot.repo();
  const serial = await allocateDeployserial(sysroot, stateroot, checksum);
  const id = { stateroot, checksum, serial };
  const dir = sysroot.deploymentDir(id);
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  await sysroot.failpoint('deploy:checkout');
  await repo.checkout(checksum, dir);
  const kernel = await findKernel(dir);
  if (kernel === undefined) throw new NoKernel(`No kernel found in commit ${checksum} (usr/lib/modules/KVER/vmlinuz)`, { deployment: deploymentId(id) });
  await sysroot.failpoint('deploy:etc');
  await prepareEtc(dir);
  let report: EtcMergeReport | undefined;
  const merge = options.merge ?? undefined;
  if (merge !== undefined && options.skipEtcMerge !== true) {
    report = await mergeDeploymentEtc(sysroot, merge, dir);
  }
  await fsp.rm(path.join(dir, 'etc/.updated'), { force: true });
  await fsp.rm(path.join(sysroot.path, 'ostree/deploy', stateroot, 'var/.updated'), { force: true });
  // ostree relabels the stateroot's /var once for SELinux and leaves this stamp; berth has no
  // SELinux policy to apply, but writes the stamp so both tools agree the relabel is done.
  const stamp = path.join(sysroot.path, 'ostree/deploy', stateroot, 'var/.ostree-selabeled');
  if (!(await exists(stamp))) await fsp.writeFile(stamp, '', { mode: 0o644 });
  await writeOrigin(sysroot, id, options.origin);
  if (options.skipEtcMerge !== true) await sealDeployment(sysroot, dir);
  const deployment: Deployment = {
    ...id,
    bootcsum: kernel.bootcsum,
    bootserial: 0,
    kargs: options.kargs ?? merge?.kargs ?? '',
    origin: options.origin,
    staged: false,
  };
  return { deployment, etc: report };
}

export async function mergeDeploymentEtc(sysroot: Sysroot, merge: Deployment, newDir: string): Promise<EtcMergeReport> {
  const mergeDir = sysroot.deploymentDir(merge);
  await sysroot.failpoint('deploy:etc-merge');
  const report = await mergeEtc({
    oldDefaults: path.join(mergeDir, 'usr/etc'),
    oldEtc: path.join(mergeDir, 'etc'),
    newDefaults: path.join(newDir, 'usr/etc'),
    newEtc: path.join(newDir, 'etc'),
  });
  sysroot.log(`Copying /etc changes: ${report.modified.length} modified, ${report.removed.length} removed, ${report.added.length} added`);
  for (const c of report.conflicts) sysroot.log(`Kept local /etc/${c} (the new default also changed)`);
  for (const u of report.unmerged) sysroot.log(`Could not carry over /etc/${u} (special file)`);
  return report;
}

export interface SimpleWriteOptions {
  readonly stateroot?: string;
  /** Keep every existing deployment (ostree --retain). */
  readonly retain?: boolean;
  readonly retainPending?: boolean;
  readonly retainRollback?: boolean;
  /** Put the new deployment after the booted one instead of first (--not-as-default). */
  readonly notDefault?: boolean;
  readonly noCleanup?: boolean;
  readonly prune?: boolean;
}

/**
 * ostree_sysroot_simple_write_deployment (2022.7, same rules): the new deployment first (or, with
 * --not-as-default, right after the booted deployment, else after the merge one, else last),
 * then the booted, the merge deployment, pinned ones, other stateroots' and whatever --retain*
 * keeps. The booted deployment (else the merge one) is the crossover between pending and rollback.
 */
export function planSimpleWrite(
  sysroot: Pick<Sysroot, 'deployments' | 'booted'>,
  newDeployment: Deployment,
  merge: Deployment | undefined,
  options: SimpleWriteOptions = {},
): Deployment[] {
  const out: Deployment[] = [];
  const booted = sysroot.booted;
  const os = options.stateroot ?? booted?.stateroot ?? newDeployment.stateroot;
  const retainPending = options.retainPending === true;
  const retainRollback = options.retainRollback === true;
  // Without a booted and a merge deployment, retain-pending/rollback mean "retain all".
  const retain = options.retain === true || (booted === undefined && merge === undefined && (retainPending || retainRollback));
  let addedNew = false;
  if (options.notDefault !== true) {
    out.push(newDeployment);
    addedNew = true;
  }
  let beforeBooted = true;
  let beforeMerge = true;
  for (const d of sysroot.deployments) {
    if (d.staged) continue;
    const isBooted = sameDeployment(d, booted);
    const isMerge = sameDeployment(d, merge);
    if (isBooted) beforeBooted = false;
    if (isMerge) beforeMerge = false;
    const passedCrossover = booted !== undefined ? !beforeBooted : !beforeMerge;
    const pinned = d.origin !== undefined && originIsPinned(d.origin);
    if (
      retain ||
      pinned ||
      d.stateroot !== os ||
      (retainPending && !passedCrossover) ||
      isBooted ||
      isMerge ||
      (retainRollback && passedCrossover)
    ) {
      out.push(d);
    }
    if (!addedNew && passedCrossover) {
      out.push(newDeployment);
      addedNew = true;
    }
  }
  if (!addedNew) out.push(newDeployment);
  return out;
}

export interface DeployOptions extends SimpleWriteOptions {
  readonly stateroot: string;
  readonly checksum: string;
  readonly origin: Origin | undefined;
  readonly kargs?: string;
  readonly noMerge?: boolean;
}

export interface DeployResult extends WriteDeploymentsResult {
  readonly deployment: Deployment;
  readonly etc: EtcMergeReport | undefined;
}

/** `ostree admin deploy`: deployTree, then make it the default, then clean up. */
export async function deploy(sysroot: Sysroot, options: DeployOptions): Promise<DeployResult> {
  const merge = options.noMerge === true ? undefined : sysroot.mergeDeployment(options.stateroot);
  const tree = await deployTree(sysroot, {
    stateroot: options.stateroot,
    checksum: options.checksum,
    origin: options.origin,
    merge: merge ?? null,
    ...(options.kargs !== undefined ? { kargs: options.kargs } : {}),
  });
  const list = planSimpleWrite(sysroot, tree.deployment, merge, options);
  const written = await writeDeployments(sysroot, list);
  let next = written.sysroot;
  if (options.noCleanup !== true) next = (await cleanup(next, { prune: (options.prune ?? true) ? 'if-dropped' : false })).sysroot;
  return { ...written, sysroot: next, deployment: tree.deployment, etc: tree.etc };
}
