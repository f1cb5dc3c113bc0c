/**
 * Staged deployments (`ostree admin deploy --stage`): on a booted host the new deployment is
 * checked out now, but the /etc merge and the boot configuration change wait until shutdown
 * (`finalize-staged`), so /etc edits made in between are carried over. The state lives in
 * `/run/ostree/staged-deployment` as the same GVariant `a{sv}` libostree writes, so either tool
 * can finalize what the other staged. A lock file `/run/ostree/staged-deployment-locked` holds
 * finalization back.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { encodeGVariant, variant } from '../formats/gvariant/index.js';
import type { Origin } from '../formats/origin.js';
import { isErrno, writeFileAtomic } from '../core/index.js';
import { type Deployment, deploymentId } from './deployment.js';
import { NotBooted, StagedLocked, SysrootCorrupt } from './errors.js';
import { deployTree, mergeDeploymentEtc, planSimpleWrite, sealDeployment, type SimpleWriteOptions } from './deploy.js';
import { stagedStatePath, type Sysroot } from './sysroot.js';
import { removeTree } from './tree-ops.js';
import { writeDeployments, type WriteDeploymentsResult } from './write-deployments.js';
import { cleanup } from './cleanup.js';

export function stagedLockPath(runDir: string): string {
  return path.join(runDir, 'ostree/staged-deployment-locked');
}

function serializeDeployment(d: Pick<Deployment, 'stateroot' | 'checksum' | 'serial' | 'bootcsum'>) {
  return variant('a{sv}', [
    ['name', variant('s', `${d.checksum}.${d.serial}`)],
    ['osname', variant('s', d.stateroot)],
    ['bootcsum', variant('s', d.bootcsum)],
  ]);
}

export interface StageOptions {
  readonly stateroot: string;
  readonly checksum: string;
  readonly origin: Origin | undefined;
  readonly kargs?: string;
  readonly lockFinalization?: boolean;
}

export async function stage(sysroot: Sysroot, options: StageOptions): Promise<{ sysroot: Sysroot; deployment: Deployment }> {
  if (sysroot.booted === undefined) throw new NotBooted('Cannot stage a deployment when not booted into an OSTree system', {});
  if (sysroot.staged !== undefined) await dropStaged(sysroot);
  const merge = sysroot.mergeDeployment(options.stateroot);
  const tree = await deployTree(sysroot, {
    stateroot: options.stateroot,
    checksum: options.checksum,
    origin: options.origin,
    merge: merge ?? null,
    skipEtcMerge: true,
    ...(options.kargs !== undefined ? { kargs: options.kargs } : {}),
  });
  const entries: Array<readonly [string, ReturnType<typeof variant>]> = [['target', serializeDeployment(tree.deployment)]];
  if (merge !== undefined) entries.push(['merge-deployment', serializeDeployment(merge)]);
  if (options.kargs !== undefined) entries.push(['kargs', variant('as', options.kargs.split(' ').filter((s) => s !== ''))]);
  const statePath = stagedStatePath(sysroot.runDir);
  await fsp.mkdir(path.dirname(statePath), { recursive: true });
  if (options.lockFinalization === true) await writeFileAtomic(stagedLockPath(sysroot.runDir), '');
  await sysroot.failpoint('stage:state');
  await writeFileAtomic(statePath, encodeGVariant('a{sv}', entries as never));
  return { sysroot: await sysroot.reload(), deployment: tree.deployment };
}

/** Removes the staged deployment's state and checkout (what ostree does when a write drops it). */
export async function dropStaged(sysroot: Sysroot): Promise<void> {
  const staged = sysroot.staged;
  await sysroot.failpoint('stage:drop');
  await fsp.rm(stagedStatePath(sysroot.runDir), { force: true });
  await fsp.rm(stagedLockPath(sysroot.runDir), { force: true });
  if (staged !== undefined) {
    await removeTree(sysroot.deploymentDir(staged), true);
    await fsp.rm(sysroot.originPath(staged), { force: true });
  }
}

export async function isFinalizationLocked(sysroot: Sysroot): Promise<boolean> {
  try {
    await fsp.access(stagedLockPath(sysroot.runDir));
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/**
 * `ostree admin finalize-staged` (run at shutdown): /etc merge from the merge deployment, seal,
 * then the staged deployment becomes the default. Leaves the state file until the write commits.
 */
export async function finalizeStaged(
  sysroot: Sysroot,
  options: SimpleWriteOptions & { readonly force?: boolean } = {},
): Promise<WriteDeploymentsResult | undefined> {
  const staged = sysroot.staged;
  if (staged === undefined) return undefined;
  if (options.force !== true && (await isFinalizationLocked(sysroot))) {
    throw new StagedLocked('Staged deployment is locked for finalization; not finalizing', {});
  }
  const mergeId = sysroot.stagedMerge;
  const merge = mergeId === undefined ? undefined : sysroot.deployments.find((d) => !d.staged && deploymentId(d) === deploymentId(mergeId));
  if (mergeId !== undefined && merge === undefined) {
    throw new SysrootCorrupt(`Merge deployment ${deploymentId(mergeId)} of the staged deployment is gone`, { path: stagedStatePath(sysroot.runDir) });
  }
  const dir = sysroot.deploymentDir(staged);
  if (merge !== undefined) {
    // Redo from pristine defaults so a finalize interrupted after a partial merge can be re-run.
    await sysroot.failpoint('finalize:etc-reset');
    await fsp.rm(path.join(dir, 'etc'), { recursive: true, force: true });
    const { copyTree } = await import('./tree-ops.js');
    await copyTree(path.join(dir, 'usr/etc'), path.join(dir, 'etc'));
    await mergeDeploymentEtc(sysroot, merge, dir);
  }
  await sealDeployment(sysroot, dir);
  const finalized: Deployment = { ...staged, staged: false, kargs: sysroot.stagedKargs ?? merge?.kargs ?? staged.kargs };
  const list = planSimpleWrite(
    { booted: sysroot.booted, deployments: sysroot.deployments.filter((d) => !d.staged) },
    finalized,
    merge,
    options,
  );
  // The staged state must go before the write, or the write would keep the deployment staged.
  await sysroot.failpoint('finalize:state');
  await fsp.rm(stagedStatePath(sysroot.runDir), { force: true });
  const reloaded = await sysroot.reload();
  const written = await writeDeployments(reloaded, list);
  const cleaned = await cleanup(written.sysroot, { prune: false });
  return { ...written, sysroot: cleaned.sysroot };
}
