/**
 * The root filesystem cache of incremental composes: in `CACHEDIR/rootfs/KEY/`, the previous
 * compose's root as the package manager left it (before postprocessing), the dpkg status after
 * mmdebstrap's essential step, the initramfs and `state.json` (what the root holds and what
 * the initramfs was built from). KEY hashes everything that shapes a root besides the package
 * list (suite, sources, variant, apt and dpkg options, mmdebstrap's version), so a changed suite
 * or option never finds a root to start from.
 *
 * Crash safety: an entry is never changed in place. A compose builds the next entry in a staging
 * directory beside it (a copy of its root taken before postprocessing), flushes the file system,
 * writes state.json last and swaps the directories with renames; an entry without a readable
 * state.json, or whose root's dpkg status disagrees with it, is not used. Staging directories of
 * composes that died and retired entries are removed by the next compose. One entry is kept per
 * cache directory (the last successful compose's).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { exec, fsyncDir, isErrno, writeFileAtomic } from '../core/index.js';
import { canonicalJson } from './inputhash.js';
import { installedPackages, samePackages, type PackageSet } from './tree-delta.js';
import type { InitramfsRecord } from './tree-initramfs.js';

const STATE_FORMAT = 1;

export interface RootfsCacheState {
  readonly key: string;
  /** Package index digests the root was built or updated from. */
  readonly indexDigests: Readonly<Record<string, string>>;
  /** name → "version arch", as the root's dpkg status has it. */
  readonly packages: PackageSet;
  /** The treefile's package requests the root was built for (same requests, indices and key: same package set). */
  readonly requested: readonly string[];
  readonly initramfs?: InitramfsRecord;
}

export interface RootfsCacheEntry {
  readonly dir: string;
  readonly rootfs: string;
  readonly essentialStatus: string;
  /** The initramfs image, when the state records one. */
  readonly initramfsImage?: string;
  readonly state: RootfsCacheState;
}

/** The cache key: what shapes a Debian root besides the package list. */
export async function rootfsCacheKey(parts: Readonly<Record<string, unknown>>): Promise<string> {
  const r = await exec(['mmdebstrap', '--version'], { pkg: 'mmdebstrap', check: false });
  const h = createHash('sha256');
  h.update(`berth-rootfs ${STATE_FORMAT}\n${r.stdout.toString().trim()}\n${canonicalJson(parts)}`);
  return h.digest('hex').slice(0, 32);
}

export class RootfsCache {
  readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = path.join(path.resolve(cacheDir), 'rootfs');
  }

  /** The entry for `key` when it is complete and consistent; undefined otherwise (and the reason through `why`). */
  async load(key: string, why?: (reason: string) => void): Promise<RootfsCacheEntry | undefined> {
    const dir = path.join(this.dir, key);
    let raw: string;
    try {
      raw = await readFile(path.join(dir, 'state.json'), 'utf8');
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
      why?.((await this.anyEntry()) ? 'the cached root was built with other sources or options' : 'no cached root');
      return undefined;
    }
    let state: RootfsCacheState;
    try {
      const j = JSON.parse(raw) as { format: number; key: string; indexDigests: Record<string, string>; packages: Record<string, string>; requested: string[]; initramfs?: InitramfsRecord };
      if (j.format !== STATE_FORMAT || j.key !== key || !Array.isArray(j.requested)) throw new Error('format');
      state = { key, indexDigests: j.indexDigests, packages: new Map(Object.entries(j.packages)), requested: j.requested, ...(j.initramfs !== undefined ? { initramfs: j.initramfs } : {}) };
    } catch {
      why?.('the cached root has an unreadable state.json');
      return undefined;
    }
    const rootfs = path.join(dir, 'rootfs');
    const status = await readFile(path.join(rootfs, 'var/lib/dpkg/status'), 'utf8').catch(() => undefined);
    const installed = status === undefined ? undefined : installedPackages(status);
    if (installed === undefined || !samePackages(installed, state.packages)) {
      why?.("the cached root's dpkg status does not match its state");
      return undefined;
    }
    return {
      dir,
      rootfs,
      essentialStatus: path.join(dir, 'essential-status'),
      ...(state.initramfs !== undefined ? { initramfsImage: path.join(dir, 'initramfs.img') } : {}),
      state,
    };
  }

  /** A fresh staging directory for the next entry (leftovers of composes that died are removed first). */
  async stage(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      const staging = /^\.staging-(\d+)-/.exec(name);
      if (name.startsWith('.retired-') || (staging !== null && !processAlive(Number(staging[1])))) {
        await rm(path.join(this.dir, name), { recursive: true, force: true });
      }
    }
    const dir = path.join(this.dir, `.staging-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir);
    return dir;
  }

  /**
   * Makes `staging` (holding rootfs/, essential-status and, when the state has an initramfs,
   * initramfs.img) the entry for `state.key`, replacing every other entry.
   */
  async publish(staging: string, state: RootfsCacheState): Promise<void> {
    // The root's files reach the disk before state.json says they are there.
    await exec(['sync', '--file-system', staging], { pkg: 'coreutils' });
    await writeFileAtomic(
      path.join(staging, 'state.json'),
      `${JSON.stringify({ format: STATE_FORMAT, key: state.key, indexDigests: state.indexDigests, packages: Object.fromEntries([...state.packages].sort()), requested: state.requested, ...(state.initramfs !== undefined ? { initramfs: state.initramfs } : {}) })}\n`,
    );
    const retired: string[] = [];
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.')) continue;
      const to = path.join(this.dir, `.retired-${randomBytes(6).toString('hex')}`);
      await rename(path.join(this.dir, name), to);
      retired.push(to);
    }
    await rename(staging, path.join(this.dir, state.key));
    await fsyncDir(this.dir);
    for (const d of retired) await rm(d, { recursive: true, force: true });
  }

  async discard(staging: string): Promise<void> {
    await rm(staging, { recursive: true, force: true });
  }

  private async anyEntry(): Promise<boolean> {
    try {
      return (await readdir(this.dir)).some((n) => !n.startsWith('.'));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

/** `cp -a`: a full copy (never hardlinks: package scripts and postprocessing write files in place). */
export async function copyTree(src: string, dest: string): Promise<void> {
  await exec(['cp', '-a', '--reflink=auto', '--', src, dest], { pkg: 'coreutils', timeoutMs: 30 * 60_000 });
}
