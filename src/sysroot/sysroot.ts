/**
 * The physical sysroot: `ostree/deploy/STATEROOT/deploy/CSUM.SERIAL` checkouts, the boot entries
 * in `boot/loader.N/entries` and the `ostree/boot.N.M` bootlink farms, laid out exactly as
 * libostree 2022.7 lays them out so the real `ostree admin` and berth can take turns on one sysroot.
 *
 * Lifecycle: `Sysroot.load()` reads a consistent snapshot (bootversion, subbootversion, deployments
 * in boot order, booted, staged). Writers (deploy.ts, write-deployments.ts, cleanup.ts) change the
 * disk and return a freshly loaded Sysroot; a snapshot is never mutated.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { decodeGVariant, isVariant, vardictGet, type GVariantValue, type VardictEntries } from '../formats/gvariant/index.js';
import { formatKargs, parseKargs, kargValue } from '../formats/bls-kargs.js';
import { parseBlsEntry, blsGet, parseOstreeBootPath, strverscmp } from '../formats/bls-entry.js';
import { parseOrigin, type Origin } from '../formats/origin.js';
import { isErrno } from '../core/index.js';
import { type Deployment, deploymentId, deploymentRelPath, parseDeployName, sameDeployment } from './deployment.js';
import { SysrootCorrupt, SysrootNotFound } from './errors.js';
import type { CommitInfo, SysrootRepo } from './repo-port.js';

export type Failpoint = (step: string) => void | Promise<void>;

export interface SysrootOptions {
  /** The physical root (`/` on a booted host, any directory otherwise). */
  readonly path: string;
  /** Opens `ostree/repo`; required for writes and for commit versions in status. */
  readonly openRepo?: (repoPath: string) => Promise<SysrootRepo>;
  /**
   * Kernel command line used to find the booted deployment (`ostree=`). Default: /proc/cmdline
   * when `path` is `/`, none otherwise. Tests pass the `options` line of the entry they "boot".
   */
  readonly cmdline?: string;
  /** Where per-boot state lives (`/run`): the staged deployment, berth's boot record. */
  readonly runDir?: string;
  /** Called before every step that writes; tests inject faults here. */
  readonly failpoint?: Failpoint;
  /** Skip `chattr +i` on deployment roots (ostree's OSTREE_SYSROOT_DEBUG=mutable-deployments). */
  readonly mutableDeployments?: boolean;
  /** syncfs before the commit point (default true). */
  readonly sync?: boolean;
  /** Progress lines for the CLI ("Copying /etc changes: …"). */
  readonly log?: (line: string) => void;
}

interface LoadedState {
  readonly bootversion: 0 | 1;
  readonly subbootversion: 0 | 1;
  readonly deployments: readonly Deployment[];
  readonly booted: Deployment | undefined;
  readonly staged: Deployment | undefined;
  readonly stagedMerge: { stateroot: string; checksum: string; serial: number } | undefined;
  readonly stagedKargs: string | undefined;
}

async function readlinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fsp.readlink(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'EINVAL')) return undefined;
    throw err;
  }
}

export async function readOriginFile(file: string): Promise<Origin | undefined> {
  try {
    return parseOrigin(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

export class Sysroot {
  readonly path: string;
  readonly options: SysrootOptions;
  readonly bootversion: 0 | 1;
  readonly subbootversion: 0 | 1;
  /** Boot order: a staged deployment first, then the BLS entries by descending `version`. */
  readonly deployments: readonly Deployment[];
  readonly booted: Deployment | undefined;
  readonly staged: Deployment | undefined;
  readonly stagedMerge: { stateroot: string; checksum: string; serial: number } | undefined;
  readonly stagedKargs: string | undefined;
  #repo: SysrootRepo | undefined;
  readonly #commits = new Map<string, CommitInfo | null>();

  private constructor(options: SysrootOptions, state: LoadedState, repo: SysrootRepo | undefined) {
    this.options = options;
    this.path = path.resolve(options.path);
    this.bootversion = state.bootversion;
    this.subbootversion = state.subbootversion;
    this.deployments = state.deployments;
    this.booted = state.booted;
    this.staged = state.staged;
    this.stagedMerge = state.stagedMerge;
    this.stagedKargs = state.stagedKargs;
    this.#repo = repo;
  }

  static async load(options: SysrootOptions, repo?: SysrootRepo): Promise<Sysroot> {
    const root = path.resolve(options.path);
    try {
      if (!(await fsp.stat(path.join(root, 'ostree'))).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw new SysrootNotFound(`No OSTree sysroot at ${JSON.stringify(root)} (missing ostree/)`, { path: root }, { cause: err });
    }
    const state = await loadState(root, options);
    return new Sysroot(options, state, repo);
  }

  /** A fresh snapshot after a write. */
  async reload(): Promise<Sysroot> {
    return Sysroot.load(this.options, this.#repo);
  }

  get runDir(): string {
    return this.options.runDir ?? '/run';
  }

  async repo(): Promise<SysrootRepo> {
    if (this.#repo === undefined) {
      if (this.options.openRepo === undefined) throw new TypeError('Sysroot opened without a repository');
      this.#repo = await this.options.openRepo(path.join(this.path, 'ostree/repo'));
    }
    return this.#repo;
  }

  hasRepo(): boolean {
    return this.#repo !== undefined || this.options.openRepo !== undefined;
  }

  /** Commit info, cached; undefined when the commit is missing (status still works). */
  async commit(checksum: string): Promise<CommitInfo | undefined> {
    if (!this.#commits.has(checksum)) {
      let info: CommitInfo | null = null;
      if (this.hasRepo()) {
        try {
          info = await (await this.repo()).readCommit(checksum);
        } catch {
          info = null; // like ostree status: "shouldn't normally fail, but if it does, we stumble on"
        }
      }
      this.#commits.set(checksum, info);
    }
    return this.#commits.get(checksum) ?? undefined;
  }

  deploymentDir(d: Pick<Deployment, 'stateroot' | 'checksum' | 'serial'>): string {
    return path.join(this.path, deploymentRelPath(d));
  }

  originPath(d: Pick<Deployment, 'stateroot' | 'checksum' | 'serial'>): string {
    return `${this.deploymentDir(d)}.origin`;
  }

  async failpoint(step: string): Promise<void> {
    await this.options.failpoint?.(step);
  }

  log(line: string): void {
    this.options.log?.(line);
  }

  /** ostree_sysroot_query_deployments_for: pending (before booted) and rollback (after). */
  queryDeploymentsFor(stateroot?: string): { pending: Deployment | undefined; rollback: Deployment | undefined } {
    const os = stateroot ?? this.booted?.stateroot;
    if (os === undefined) return { pending: undefined, rollback: undefined };
    let foundBooted = false;
    let pending: Deployment | undefined;
    let rollback: Deployment | undefined;
    for (const d of this.deployments) {
      if (d.stateroot !== os) continue;
      if (this.booted !== undefined && sameDeployment(d, this.booted)) {
        foundBooted = true;
        continue;
      }
      if (!foundBooted && pending === undefined) pending = d;
      else if (foundBooted && rollback === undefined) rollback = d;
    }
    return { pending, rollback };
  }

  /** ostree_sysroot_get_merge_deployment: the booted one of that stateroot, else its first. */
  mergeDeployment(stateroot: string | undefined): Deployment | undefined {
    const os = stateroot ?? this.booted?.stateroot;
    if (this.booted !== undefined && (os === undefined || this.booted.stateroot === os)) return this.booted;
    return this.deployments.find((d) => !d.staged && (os === undefined || d.stateroot === os));
  }

  /** Stateroots present under ostree/deploy. */
  async stateroots(): Promise<string[]> {
    try {
      return (await fsp.readdir(path.join(this.path, 'ostree/deploy'))).sort();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }
}

async function loadState(root: string, options: SysrootOptions): Promise<LoadedState> {
  const loaderLink = await readlinkOrUndefined(path.join(root, 'boot/loader'));
  let bootversion: 0 | 1 = 0;
  if (loaderLink !== undefined) {
    if (loaderLink === 'loader.0') bootversion = 0;
    else if (loaderLink === 'loader.1') bootversion = 1;
    else throw new SysrootCorrupt(`Invalid target ${JSON.stringify(loaderLink)} of boot/loader`, { path: root });
  }
  const subLink = await readlinkOrUndefined(path.join(root, `ostree/boot.${bootversion}`));
  let subbootversion: 0 | 1 = 0;
  if (subLink !== undefined) {
    if (subLink === `boot.${bootversion}.0`) subbootversion = 0;
    else if (subLink === `boot.${bootversion}.1`) subbootversion = 1;
    else throw new SysrootCorrupt(`Invalid target ${JSON.stringify(subLink)} of ostree/boot.${bootversion}`, { path: root });
  }
  const entriesDir = path.join(root, `boot/loader.${bootversion}/entries`);
  let names: string[] = [];
  try {
    names = await fsp.readdir(entriesDir);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const found: Array<{ version: string; deployment: Deployment }> = [];
  for (const name of names) {
    // libostree only considers ostree-*.conf (newer ones may drop the stateroot or add counters).
    if (!name.startsWith('ostree-') || !name.endsWith('.conf')) continue;
    const entry = parseBlsEntry(await fsp.readFile(path.join(entriesDir, name), 'utf8'));
    const options_ = blsGet(entry, 'options') ?? '';
    const ostreeArg = kargValue(parseKargs(options_), 'ostree');
    const boot = ostreeArg === undefined ? undefined : parseOstreeBootPath(ostreeArg);
    if (boot === undefined) {
      throw new SysrootCorrupt(`No valid ostree= kernel argument in ${JSON.stringify(name)}`, { path: entriesDir });
    }
    const link = `ostree/boot.${boot.bootversion}/${boot.stateroot}/${boot.bootcsum}/${boot.bootserial}`;
    const target = await readlinkOrUndefined(path.join(root, link));
    const parsed = target === undefined ? undefined : parseDeployName(path.basename(target));
    if (parsed === undefined) {
      throw new SysrootCorrupt(`Boot entry ${JSON.stringify(name)} points at ${JSON.stringify(link)}, which does not lead to a deployment`, { path: link });
    }
    const rel = deploymentRelPath({ stateroot: boot.stateroot, ...parsed });
    const origin = await readOriginFile(path.join(root, `${rel}.origin`));
    found.push({
      version: blsGet(entry, 'version') ?? '',
      deployment: {
        stateroot: boot.stateroot,
        checksum: parsed.checksum,
        serial: parsed.serial,
        bootcsum: boot.bootcsum,
        bootserial: boot.bootserial,
        kargs: options_,
        origin,
        staged: false,
      },
    });
  }
  found.sort((a, b) => strverscmp(b.version, a.version));
  const deployments = found.map((f) => f.deployment);
  const booted = await findBooted(root, options, deployments);
  const stagedState = booted === undefined ? undefined : await loadStaged(root, options, deployments);
  if (stagedState !== undefined) deployments.unshift(stagedState.staged);
  return {
    bootversion,
    subbootversion,
    deployments,
    booted,
    staged: stagedState?.staged,
    stagedMerge: stagedState?.merge,
    stagedKargs: stagedState?.kargs,
  };
}

/** Path of berth's per-boot record of the booted deployment (under the run dir). */
export function bootRecordPath(runDir: string): string {
  return path.join(runDir, 'berth/booted-deployment');
}

async function findBooted(root: string, options: SysrootOptions, deployments: readonly Deployment[]): Promise<Deployment | undefined> {
  let cmdline = options.cmdline;
  if (cmdline === undefined && root === '/') {
    cmdline = await fsp.readFile('/proc/cmdline', 'utf8').catch(() => '');
  }
  const runDir = options.runDir ?? '/run';
  if (cmdline !== undefined) {
    const arg = kargValue(parseKargs(cmdline), 'ostree');
    const boot = arg === undefined ? undefined : parseOstreeBootPath(arg);
    if (boot !== undefined) {
      const target = await readlinkOrUndefined(
        path.join(root, `ostree/boot.${boot.bootversion}/${boot.stateroot}/${boot.bootcsum}/${boot.bootserial}`),
      );
      const parsed = target === undefined ? undefined : parseDeployName(path.basename(target));
      if (parsed !== undefined) {
        const hit = deployments.find((d) => d.stateroot === boot.stateroot && d.checksum === parsed.checksum && d.serial === parsed.serial);
        if (hit !== undefined) return hit;
      }
    }
  }
  // The bootlink named on the command line is gone once a later deploy swapped bootversions
  // (cleanup removes ostree/boot.(1-B)); the record written at boot still names the deployment.
  const recorded = (await fsp.readFile(bootRecordPath(runDir), 'utf8').catch(() => '')).trim();
  if (recorded !== '') {
    const hit = deployments.find((d) => deploymentId(d) === recorded);
    if (hit !== undefined) return hit;
  }
  if (root === '/') {
    // A real booted host: "/" is the deployment root (same inode), as libostree checks.
    const rootStat = await fsp.stat('/');
    for (const d of deployments) {
      const st = await fsp.stat(path.join(root, deploymentRelPath(d))).catch(() => undefined);
      if (st !== undefined && st.dev === rootStat.dev && st.ino === rootStat.ino) return d;
    }
  }
  return undefined;
}

export function stagedStatePath(runDir: string): string {
  return path.join(runDir, 'ostree/staged-deployment');
}

function vardictString(dict: VardictEntries, key: string): string | undefined {
  const v = vardictGet(dict, key);
  return v !== undefined && typeof v.value === 'string' ? v.value : undefined;
}

function asVardict(value: GVariantValue | undefined): VardictEntries | undefined {
  if (!Array.isArray(value)) return undefined;
  return value as unknown as VardictEntries;
}

async function loadStaged(
  root: string,
  options: SysrootOptions,
  deployments: readonly Deployment[],
): Promise<{ staged: Deployment; merge: { stateroot: string; checksum: string; serial: number } | undefined; kargs: string | undefined } | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(stagedStatePath(options.runDir ?? '/run'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const dict = decodeGVariant('a{sv}', bytes) as unknown as VardictEntries;
  const target = vardictGet(dict, 'target');
  const t = asVardict(target?.value);
  if (t === undefined) return undefined;
  const name = vardictString(t, 'name');
  const osname = vardictString(t, 'osname');
  const bootcsum = vardictString(t, 'bootcsum');
  const parsed = name === undefined ? undefined : parseDeployName(name);
  if (parsed === undefined || osname === undefined || bootcsum === undefined) {
    throw new SysrootCorrupt('Staged deployment state is missing keys', { path: stagedStatePath(options.runDir ?? '/run') });
  }
  let merge: { stateroot: string; checksum: string; serial: number } | undefined;
  const m = asVardict(vardictGet(dict, 'merge-deployment')?.value);
  if (m !== undefined) {
    const mp = parseDeployName(vardictString(m, 'name') ?? '');
    const mo = vardictString(m, 'osname');
    if (mp !== undefined && mo !== undefined) merge = { stateroot: mo, ...mp };
  }
  const kargsV = vardictGet(dict, 'kargs');
  const kargs = kargsV !== undefined && isVariant(kargsV) && Array.isArray(kargsV.value) ? (kargsV.value as string[]).join(' ') : undefined;
  const rel = deploymentRelPath({ stateroot: osname, ...parsed });
  const origin = await readOriginFile(path.join(root, `${rel}.origin`));
  const mergeDep = merge === undefined ? undefined : deployments.find((d) => deploymentId(d) === deploymentId(merge!));
  return {
    staged: {
      stateroot: osname,
      checksum: parsed.checksum,
      serial: parsed.serial,
      bootcsum,
      bootserial: 0,
      kargs: kargs ?? mergeDep?.kargs ?? '',
      origin,
      staged: true,
    },
    merge,
    kargs,
  };
}

/** The options line without `ostree=` (what decides whether a boot entry must be rewritten). */
export function kargsWithoutOstree(options: string): string {
  return formatKargs(parseKargs(options).filter(([k]) => k !== 'ostree'));
}
