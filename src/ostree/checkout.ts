import * as fsp from 'node:fs/promises';
import * as fs from 'node:fs';
import { createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isErrno } from '../core/index.js';
import { S_IFLNK, S_IFMT, type FileHeader } from '../formats/ostree/index.js';
import { checkoutWithPool, defaultCheckoutWorkers } from './checkout-pool.js';
import { bareUserSymlinkMeta, recreateSymlink } from './checkout-walk.js';
import { CheckoutExists, HardlinkFailed, ObjectCorrupt, ObjectNotFound } from './errors.js';
import type { Repo } from './repo.js';
import { setSymlinkXattrs, setXattrs } from './xattrs.js';

export interface CheckoutOptions {
  /** `-U`: do not change ownership or set xattrs; setuid/setgid bits are dropped. */
  readonly userMode?: boolean;
  /** `--union`: overwrite existing files. */
  readonly union?: boolean;
  /** `--union-add`: keep existing files, add only what is missing. */
  readonly unionAdd?: boolean;
  /** `--subpath`: check out only this path of the commit. */
  readonly subpath?: string;
  /** `--require-hardlinks`: fail instead of copying when hardlinking is not possible. */
  readonly requireHardlinks?: boolean;
  /** `--force-copy`: never hardlink. */
  readonly forceCopy?: boolean;
  /**
   * Worker threads for a user-mode hardlink checkout: 'auto' (default) starts them once the tree
   * has more than a few dozen directories; a number starts that many at once (tests).
   */
  readonly workers?: number | 'auto';
}

export interface CheckoutResult {
  readonly files: number;
  readonly hardlinked: number;
}

interface Ctx {
  readonly repo: Repo;
  readonly options: CheckoutOptions;
  readonly canHardlink: boolean;
  files: number;
  hardlinked: number;
}

/**
 * `ostree checkout`: materialises a commit (or `subpath` of it) at `dest`. Objects are
 * hardlinked where ostree would (bare repo as root, bare-user and bare-user-only with -U),
 * otherwise copied (and decompressed from archive repos).
 */
export async function checkout(repo: Repo, rev: string, dest: string, options: CheckoutOptions = {}): Promise<CheckoutResult> {
  const commitChecksum = (await repo.resolveRev(rev))!;
  const commit = await repo.loadCommit(commitChecksum);
  const userMode = options.userMode ?? false;
  const canHardlink = !(options.forceCopy ?? false) && (
    (repo.mode === 'bare' && !userMode) || (repo.mode === 'bare-user' && userMode) || repo.mode === 'bare-user-only'
  );
  if ((options.requireHardlinks ?? false) && !canHardlink) {
    throw new HardlinkFailed(`Hardlink checkout requested but not possible from a ${repo.mode} repository${userMode ? ' in user mode' : ''}`, { path: dest });
  }
  const ctx: Ctx = { repo, options, canHardlink, files: 0, hardlinked: 0 };
  let tree = commit.rootTree;
  let meta = commit.rootMeta;
  const parts = (options.subpath ?? '/').split('/').filter((p) => p !== '');
  for (const [i, part] of parts.entries()) {
    const t = await repo.loadDirTree(tree);
    const d = t.dirs.find((x) => x.name === part);
    if (d !== undefined) {
      tree = d.treeChecksum;
      meta = d.metaChecksum;
      continue;
    }
    const f = t.files.find((x) => x.name === part);
    if (f !== undefined && i === parts.length - 1) {
      await checkoutFile(ctx, f.checksum, dest);
      return { files: ctx.files, hardlinked: ctx.hardlinked };
    }
    throw new ObjectNotFound(`No such file or directory: ${options.subpath ?? ''}`, { checksum: commitChecksum, type: 'path' });
  }
  if (canHardlink && userMode && !(options.union ?? false) && !(options.unionAdd ?? false)) await checkoutLinked(ctx, tree, meta, dest);
  else await checkoutDir(ctx, tree, meta, dest, true);
  return { files: ctx.files, hardlinked: ctx.hardlinked };
}

/** User-mode hardlink checkout (the common `checkout -U`): main thread plus workers, see checkout-pool.ts. */
async function checkoutLinked(ctx: Ctx, tree: string, meta: string, dest: string): Promise<void> {
  ctx.repo.loadDirTreeSync(tree); // a missing or corrupt root fails before anything is created
  try {
    fs.mkdirSync(dest, { mode: 0o700 });
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new CheckoutExists(`mkdirat: File exists`, { path: dest }, { cause: err });
    throw err;
  }
  const want = ctx.options.workers ?? 'auto';
  const result = await checkoutWithPool(
    { repoPath: ctx.repo.path, bareUser: ctx.repo.mode === 'bare-user', requireHardlinks: ctx.options.requireHardlinks ?? false },
    { tree, meta, dest, depth: 0 },
    want === 'auto' ? defaultCheckoutWorkers() : want,
    want === 'auto' ? undefined : 0,
  );
  ctx.files += result.files;
  ctx.hardlinked += result.hardlinked;
  for (const f of result.slow) await checkoutFileSlow(ctx, f.checksum, f.dest);
  result.finish();
}

async function checkoutDir(ctx: Ctx, treeChecksum: string, metaChecksum: string, dest: string, isRoot: boolean): Promise<void> {
  const union = (ctx.options.union ?? false) || (ctx.options.unionAdd ?? false);
  const tree = ctx.repo.loadDirTreeSync(treeChecksum);
  const meta = ctx.repo.loadDirMetaSync(metaChecksum);
  let created = true;
  try {
    fs.mkdirSync(dest, { mode: 0o700 });
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    const st = fs.lstatSync(dest);
    if (st.isDirectory() && union) created = false;
    else if (!st.isDirectory() && (ctx.options.union ?? false)) {
      fs.rmSync(dest, { force: true });
      fs.mkdirSync(dest, { mode: 0o700 });
    } else if (!st.isDirectory() && (ctx.options.unionAdd ?? false)) return; // --union-add keeps what is there
    else throw new CheckoutExists(`mkdirat: File exists`, { path: dest }, { cause: err });
  }
  // Files in order, synchronously where possible (hardlinks: one or two syscalls each, no
  // promise per file); only copies and symlinks take the async path.
  const prefix = `${dest}/`;
  for (const f of tree.files) {
    if (ctx.files % 512 === 511) await new Promise<void>((resolve) => setImmediate(resolve)); // stay responsive
    const fileDest = prefix + f.name;
    if (!checkoutFileSync(ctx, f.checksum, fileDest)) await checkoutFileSlow(ctx, f.checksum, fileDest);
  }
  for (const d of tree.dirs) await checkoutDir(ctx, d.treeChecksum, d.metaChecksum, `${dest}/${d.name}`, false);
  // Metadata last, so a read-only directory can still be filled.
  if (created || isRoot || (ctx.options.union ?? false)) {
    if (!(ctx.options.userMode ?? false)) {
      fs.lchownSync(dest, meta.uid, meta.gid);
      if (meta.xattrs.length > 0) await setXattrs(dest, meta.xattrs);
      fs.chmodSync(dest, meta.mode & 0o7777);
    } else {
      fs.chmodSync(dest, meta.mode & 0o7777 & ~0o6000);
    }
  }
}

async function checkoutFile(ctx: Ctx, checksum: string, dest: string): Promise<void> {
  if (!checkoutFileSync(ctx, checksum, dest)) await checkoutFileSlow(ctx, checksum, dest);
}

/**
 * The synchronous part of checking out one file: the --union-add skip and the hardlink.
 * Returns false when the file still has to be copied (or recreated as a symlink) by checkoutFileSlow.
 */
function checkoutFileSync(ctx: Ctx, checksum: string, dest: string): boolean {
  ctx.files += 1;
  const unionAdd = ctx.options.unionAdd ?? false;
  const union = ctx.options.union ?? false;
  if (unionAdd) {
    try {
      fs.lstatSync(dest);
      return true;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  if (!ctx.canHardlink) return false;
  const src = ctx.repo.trustedObjectPath(checksum, 'file');
  // bare-user stores symlinks as regular files: those are recreated, never hardlinked.
  if (ctx.repo.mode === 'bare-user') {
    const meta = bareUserSymlinkMeta(src);
    if (meta !== undefined) {
      if (!(ctx.options.userMode ?? false)) return false;
      recreateSymlink(checksum, src, meta, dest, ctx.options.union ?? false);
      return true;
    }
  }
  try {
    fs.linkSync(src, dest);
    ctx.hardlinked += 1;
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST') && union) {
      fs.rmSync(dest, { force: true, recursive: true });
      fs.linkSync(src, dest);
      ctx.hardlinked += 1;
      return true;
    }
    if (isErrno(err, 'ENOENT')) {
      throw new ObjectNotFound(`Couldn't find file object '${checksum}'`, { checksum, type: 'file' }, { cause: err });
    }
    if (!(isErrno(err, 'EXDEV') || isErrno(err, 'EMLINK') || isErrno(err, 'EPERM'))) {
      if (isErrno(err, 'EEXIST')) throw new CheckoutExists(`linkat: File exists: ${dest}`, { path: dest }, { cause: err });
      throw err;
    }
    if (ctx.options.requireHardlinks ?? false) {
      throw new HardlinkFailed(`Unable to do hardlink checkout across devices (src=${src} destination=${dest})`, { path: dest }, { cause: err });
    }
  }
  return false;
}

/** Copies the object (or recreates its symlink) at `dest`; checkoutFileSync already counted it. */
async function checkoutFileSlow(ctx: Ctx, checksum: string, dest: string): Promise<void> {
  const union = ctx.options.union ?? false;
  const obj = await ctx.repo.loadFile(checksum);
  if (union) await fsp.rm(dest, { force: true, recursive: true });
  await writeCopy(ctx, checksum, obj.header, obj, dest);
}

async function writeCopy(ctx: Ctx, checksum: string, header: FileHeader, obj: { plainPath: string | undefined; open(): NodeJS.ReadableStream }, dest: string): Promise<void> {
  const userMode = ctx.options.userMode ?? false;
  if ((header.mode & S_IFMT) === S_IFLNK) {
    try {
      await fsp.symlink(header.symlinkTarget, dest);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new CheckoutExists(`symlinkat: File exists: ${dest}`, { path: dest }, { cause: err });
      throw err;
    }
    if (!userMode) {
      await fsp.lchown(dest, header.uid, header.gid);
      if (header.xattrs.length > 0) await setSymlinkXattrs(dest, header.xattrs);
    }
    return;
  }
  try {
    if (obj.plainPath !== undefined) await fsp.copyFile(obj.plainPath, dest, fsp.constants.COPYFILE_EXCL);
    else await pipeline(obj.open(), createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new CheckoutExists(`openat: File exists: ${dest}`, { path: dest }, { cause: err });
    if (typeof (err as { code?: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('Z_')) {
      await fsp.rm(dest, { force: true });
      throw new ObjectCorrupt(`Corrupted file object ${checksum}: ${(err as Error).message}`, { checksum, type: 'file', reason: 'deflate' }, { cause: err });
    }
    throw err;
  }
  if (userMode) {
    await fsp.chmod(dest, header.mode & 0o7777 & ~0o6000);
  } else {
    await fsp.chown(dest, header.uid, header.gid);
    await fsp.chmod(dest, header.mode & 0o7777);
    await setXattrs(dest, header.xattrs);
  }
}
