/**
 * The synchronous core of a hardlink checkout in user mode (`checkout -U` from bare-user or
 * bare-user-only, no --union): a depth-first walk over an explicit stack of directories, so that
 * the main thread and checkout workers (checkout-pool.ts) can each run part of one tree and hand
 * pending directories to each other. Every directory is created 0700 and only recorded here;
 * its mode is applied after the whole tree is filled (deepest first), so that read-only
 * directories can still be filled, as ostree does.
 */
import * as fs from 'node:fs';
import { isErrno } from '../core/index.js';
import { decodeDirMeta, decodeDirTree, decodeOstreeMeta, S_IFLNK, S_IFMT, type DirTree, type ObjectType } from '../formats/ostree/index.js';
import { CheckoutExists, HardlinkFailed, ObjectCorrupt, ObjectNotFound } from './errors.js';
import { getXattrSync } from './xattrs.js';
import { readVerifiedMetaSync } from './verified-meta.js';

export interface LinkWalkConfig {
  readonly repoPath: string;
  /** 'bare-user' objects may stand for symlinks (user.ostreemeta); 'bare-user-only' ones never do. */
  readonly bareUser: boolean;
  readonly requireHardlinks: boolean;
}

export interface DirTask {
  readonly tree: string;
  readonly meta: string;
  readonly dest: string;
  readonly depth: number;
}

/** A file that could not be hardlinked (other device, link limit): the caller copies it. */
export interface SlowFile {
  readonly checksum: string;
  readonly dest: string;
}

export class LinkWalker {
  readonly stack: DirTask[] = [];
  files = 0;
  hardlinked = 0;
  /** [dest, mode, depth] of every directory this walker filled, for the final chmod pass. */
  dirs: Array<[string, number, number]> = [];
  slow: SlowFile[] = [];
  readonly #config: LinkWalkConfig;
  // Most directories share a handful of dirmeta objects (0755 root:root): read each once.
  readonly #modes = new Map<string, number>();

  constructor(config: LinkWalkConfig) {
    this.#config = config;
  }

  /** Fills directories from the stack until it is empty or `stop()` says so (checked per directory). */
  run(stop: () => boolean = () => false): void {
    for (;;) {
      const task = this.stack.pop();
      if (task === undefined) return;
      this.#dir(task);
      if (stop()) return;
    }
  }

  /** The root of the checkout (or of a subpath): created by the caller. */
  pushRoot(tree: string, meta: string, dest: string): void {
    this.stack.push({ tree, meta, dest, depth: 0 });
  }

  #dir(task: DirTask): void {
    const tree = this.#readMeta(task.tree, 'dirtree', (b) => decodeDirTree(b, { requireNormal: false }));
    const mode = this.#modeOf(task.meta);
    if (task.depth > 0) {
      try {
        fs.mkdirSync(task.dest, { mode: 0o700 });
      } catch (err) {
        if (isErrno(err, 'EEXIST')) throw new CheckoutExists(`mkdirat: File exists`, { path: task.dest }, { cause: err });
        throw err;
      }
    }
    this.dirs.push([task.dest, mode, task.depth]);
    const prefix = `${task.dest}/`;
    for (const f of tree.files) this.#file(f.checksum, prefix + f.name);
    this.#pushSubdirs(tree, prefix, task.depth + 1);
  }

  // Reversed, so that pop() visits them in dirtree order (the order of a sequential checkout).
  #pushSubdirs(tree: DirTree, prefix: string, depth: number): void {
    for (let i = tree.dirs.length - 1; i >= 0; i--) {
      const d = tree.dirs[i]!;
      this.stack.push({ tree: d.treeChecksum, meta: d.metaChecksum, dest: prefix + d.name, depth });
    }
  }

  #modeOf(checksum: string): number {
    let mode = this.#modes.get(checksum);
    if (mode === undefined) {
      mode = this.#readMeta(checksum, 'dirmeta', (b) => decodeDirMeta(b, { requireNormal: false })).mode & 0o7777 & ~0o6000;
      this.#modes.set(checksum, mode);
    }
    return mode;
  }

  #objectPath(checksum: string, type: ObjectType): string {
    return `${this.#config.repoPath}/objects/${checksum.slice(0, 2)}/${checksum.slice(2)}.${type}`;
  }

  // Same checks and errors as Repo.loadDirTreeSync/loadDirMetaSync (checksum, then decode).
  #readMeta<T>(checksum: string, type: ObjectType, decode: (b: Uint8Array) => T): T {
    return readVerifiedMetaSync(this.#objectPath(checksum, type), checksum, type, decode);
  }

  #file(checksum: string, dest: string): void {
    this.files += 1;
    const src = this.#objectPath(checksum, 'file');
    // bare-user stores symlinks as regular files: those are recreated, never hardlinked.
    if (this.#config.bareUser) {
      const meta = bareUserSymlinkMeta(src);
      if (meta !== undefined) {
        recreateSymlink(checksum, src, meta, dest);
        return;
      }
    }
    try {
      fs.linkSync(src, dest);
      this.hardlinked += 1;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw new ObjectNotFound(`Couldn't find file object '${checksum}'`, { checksum, type: 'file' }, { cause: err });
      }
      if (isErrno(err, 'EEXIST')) throw new CheckoutExists(`linkat: File exists: ${dest}`, { path: dest }, { cause: err });
      if (!(isErrno(err, 'EXDEV') || isErrno(err, 'EMLINK') || isErrno(err, 'EPERM'))) throw err;
      if (this.#config.requireHardlinks) {
        throw new HardlinkFailed(`Unable to do hardlink checkout across devices (src=${src} destination=${dest})`, { path: dest }, { cause: err });
      }
      this.slow.push({ checksum, dest });
    }
  }
}

/** The `user.ostreemeta` bytes of a bare-user object if it stands for a symlink, else undefined. */
export function bareUserSymlinkMeta(objectPath: string): Uint8Array | undefined {
  let meta: Uint8Array | undefined;
  try {
    meta = getXattrSync(objectPath, 'user.ostreemeta');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined; // the link that follows reports the missing object
    throw err;
  }
  if (meta === undefined || meta.length < 12) return undefined;
  const mode = ((meta[8]! << 24) | (meta[9]! << 16) | (meta[10]! << 8) | meta[11]!) >>> 0; // big-endian u32 at 8
  return (mode & S_IFMT) === S_IFLNK ? meta : undefined;
}

/**
 * Recreates a bare-user symlink object as a symlink: what loadFile() + writeCopy() do for it
 * (same checks, same errors), without thread-pool round trips.
 */
export function recreateSymlink(checksum: string, src: string, metaBytes: Uint8Array, dest: string, replace = false): void {
  const corrupt = (reason: string, cause?: unknown): never => {
    throw new ObjectCorrupt(`Corrupted file object ${checksum}: ${reason}`, { checksum, type: 'file', reason }, cause === undefined ? undefined : { cause });
  };
  if (!fs.lstatSync(src).isFile()) corrupt('not a regular file');
  try {
    decodeOstreeMeta(metaBytes);
  } catch (err) {
    corrupt((err as Error).message, err);
  }
  const buf = fs.readFileSync(src);
  if (buf.length === 0 || buf[buf.length - 1] !== 0) corrupt('symlink target is not NUL-terminated');
  const target = buf.subarray(0, buf.length - 1).toString('utf8');
  if (replace) fs.rmSync(dest, { force: true, recursive: true });
  try {
    fs.symlinkSync(target, dest);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new CheckoutExists(`symlinkat: File exists: ${dest}`, { path: dest }, { cause: err });
    throw err;
  }
}

/** Applies the recorded directory modes, deepest first (a parent may be read-only). */
export function applyDirModes(dirs: ReadonlyArray<readonly [string, number, number]>): void {
  const sorted = [...dirs].sort((a, b) => b[2] - a[2]);
  for (const [dest, mode] of sorted) fs.chmodSync(dest, mode);
}
