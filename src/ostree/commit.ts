import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as fs from 'node:fs';
import { createReadStream, type Stats } from 'node:fs';
import * as path from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { isErrno } from '../core/index.js';
import {
  compareStrcmp, encodeCommit, encodeDirMeta, fileStreamPrefix, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type FileHeader, type VardictEntries, type Variant, type Xattr,
} from '../formats/index.js';
import { BadTarEntry, UnsupportedFileType } from './errors.js';
import { Limiter, MutableTree } from './mtree.js';
import type { Repo } from './repo.js';
import { contentChecksum, Transaction } from './transaction.js';
import type { WorkItem, WorkResult, WorkerConfig } from './commit-worker.js';
import { readSymlinkXattrs, readXattrs, readXattrsSync } from './xattrs.js';

/** One `--tree=` argument; later trees are layered over earlier ones, as in ostree. */
export type TreeSource =
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: 'tar'; readonly path: string }
  | { readonly kind: 'ref'; readonly rev: string };

export interface CommitOptions {
  readonly trees: readonly TreeSource[];
  /** `-b`: the ref to move (and to bind the commit to, unless noBindings). */
  readonly branch?: string;
  readonly subject?: string;
  readonly body?: string;
  /** Seconds since the epoch; default now. */
  readonly timestamp?: number;
  /** A rev, or 'none'; default: the branch's current commit. */
  readonly parent?: string;
  /** User metadata, in order (ostree puts it before its own keys). */
  readonly metadata?: VardictEntries;
  readonly ownerUid?: number;
  readonly ownerGid?: number;
  readonly noXattrs?: boolean;
  /** ostree --canonical-permissions (forced in bare-user-only repos). */
  readonly canonicalPermissions?: boolean;
  /** Reuse checksums of files that are hardlinks to this repo's objects (from `checkout -H/-U`). */
  readonly linkCheckoutSpeedup?: boolean;
  /** Write the commit without moving any ref. */
  readonly orphan?: boolean;
  readonly noBindings?: boolean;
  /** `--bind-ref`: more refs to bind the commit to. */
  readonly bindRefs?: readonly string[];
  /** Commit worker threads: 'auto' (default) starts two for trees of 2000+ small files. */
  readonly workers?: number | 'auto';
  /** When the tree equals the parent's, write nothing and return the parent. */
  readonly skipIfUnchanged?: boolean;
}

export interface CommitResult {
  readonly checksum: string;
  /** True when skipIfUnchanged found nothing to commit. */
  readonly skipped: boolean;
  readonly contentWritten: number;
  readonly metadataWritten: number;
  readonly contentTotal: number;
}

/** Files up to this size are read once into memory (hash, then write); larger ones are streamed. */
const SMALL_FILE = 1 << 20;

/** Hands small regular files to worker threads in batches; results come back per item. */
class WorkerPool {
  readonly #workers: Array<{ worker: Worker; inFlight: number }> = [];
  readonly #queue: WorkItem[] = [];
  readonly #waiting = new Map<number, { resolve: (r: { checksum: string; wrote: boolean; bytes: number }) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #flushScheduled = false;

  constructor(config: WorkerConfig, count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./commit-worker.js', import.meta.url), { workerData: { berthCommitWorker: true, config } });
      const slot = { worker, inFlight: 0 };
      worker.on('message', (results: WorkResult[]) => {
        slot.inFlight -= 1;
        for (const r of results) {
          const w = this.#waiting.get(r.id);
          this.#waiting.delete(r.id);
          if ('error' in r) w?.reject(Object.assign(new Error(r.error.message), r.error.code === undefined ? {} : { code: r.error.code }));
          else w?.resolve(r);
        }
        this.#dispatch();
      });
      worker.on('error', (err) => {
        for (const w of this.#waiting.values()) w.reject(err);
        this.#waiting.clear();
      });
      this.#workers.push(slot);
    }
  }

  submit(item: Omit<WorkItem, 'id'>): Promise<{ checksum: string; wrote: boolean; bytes: number }> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#queue.push({ ...item, id });
      if (this.#queue.length >= 64) this.#dispatch();
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          this.#dispatch();
        });
      }
    });
  }

  #dispatch(): void {
    for (const slot of this.#workers) {
      while (slot.inFlight < 2 && this.#queue.length > 0) {
        slot.worker.postMessage(this.#queue.splice(0, 32));
        slot.inFlight += 1;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

const BIG_FILES = new Limiter(3);

/** Below this many small files, workers cost more to start than they save. */
const WORKER_THRESHOLD = 2000;

interface Ctx {
  readonly repo: Repo;
  readonly tx: Transaction;
  readonly options: CommitOptions;
  readonly canonical: boolean;
  limiter: Limiter;
  devino: Map<string, string> | undefined;
  contentTotal: number;
  defaultMeta: string | undefined;
  pool: WorkerPool | undefined;
}

export async function commitTree(repo: Repo, options: CommitOptions): Promise<CommitResult> {
  const tx = await Transaction.begin(repo);
  try {
    const result = await commitInTransaction(repo, tx, options);
    return result;
  } catch (err) {
    await tx.abort().catch(() => undefined); // keep the original error
    throw err;
  }
}

async function commitInTransaction(repo: Repo, tx: Transaction, options: CommitOptions): Promise<CommitResult> {
  const ctx: Ctx = {
    repo,
    tx,
    options,
    canonical: (options.canonicalPermissions ?? false) || repo.mode === 'bare-user-only',
    limiter: new Limiter(16),
    devino: undefined,
    contentTotal: 0,
    defaultMeta: undefined,
    pool: undefined,
  };
  try {
    return await commitWithCtx(ctx);
  } finally {
    await ctx.pool?.close();
  }
}

async function commitWithCtx(ctx: Ctx): Promise<CommitResult> {
  const { repo, tx, options } = ctx;
  if ((options.linkCheckoutSpeedup ?? false) && repo.mode !== 'archive') ctx.devino = await scanDevino(repo);
  let root = new MutableTree();
  for (const [i, src] of options.trees.entries()) {
    if (src.kind === 'ref') {
      const c = await repo.loadCommit((await repo.resolveRev(src.rev))!);
      const lazy = MutableTree.fromRepo(c.rootTree, c.rootMeta);
      if (i === 0) root = lazy;
      else await layer(repo, root, lazy);
    } else if (src.kind === 'dir') {
      await importDir(ctx, src.path, root);
    } else {
      await importTar(ctx, src.path, root);
    }
  }
  const defaultMeta = async (): Promise<string> => {
    ctx.defaultMeta ??= await tx.writeMetadata('dirmeta', encodeDirMeta({ uid: 0, gid: 0, mode: S_IFDIR | 0o755, xattrs: [] }));
    return ctx.defaultMeta;
  };
  const rootTree = await root.write(tx, defaultMeta);
  const rootMeta = root.metaChecksum ?? (await defaultMeta());

  let parent: string | undefined;
  if (options.parent !== undefined && options.parent !== 'none') parent = await repo.resolveRev(options.parent);
  else if (options.parent === undefined && options.branch !== undefined) parent = await repo.readRef(options.branch);

  const counts = { contentWritten: tx.written.content, contentTotal: ctx.contentTotal };
  if ((options.skipIfUnchanged ?? false) && parent !== undefined) {
    const p = await repo.loadCommit(parent);
    if (p.rootTree === rootTree && p.rootMeta === rootMeta) {
      await tx.commit();
      return { checksum: parent, skipped: true, metadataWritten: tx.written.metadata, ...counts };
    }
  }

  const metadata: Array<readonly [string, Variant]> = [...(options.metadata ?? [])];
  if (!(options.noBindings ?? false)) {
    // ostree always binds (an empty list for --orphan): -b plus --bind-ref, sorted, deduplicated.
    const refs = [...new Set([...(options.branch === undefined ? [] : [options.branch]), ...(options.bindRefs ?? [])])];
    refs.sort(compareStrcmp);
    metadata.push(['ostree.ref-binding', { type: 'as', value: refs }]);
  }
  const collectionId = repo.config.getString('core', 'collection-id');
  if (collectionId !== undefined && !(options.noBindings ?? false)) {
    metadata.push(['ostree.collection-binding', { type: 's', value: collectionId }]);
  }
  const commitBytes = encodeCommit({
    metadata,
    parent,
    related: [],
    subject: options.subject ?? '',
    body: options.body ?? '',
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    rootTree,
    rootMeta,
  });
  const checksum = await tx.writeMetadata('commit', commitBytes);
  await tx.commit();
  if (options.branch !== undefined && !(options.orphan ?? false)) await repo.setRef(options.branch, checksum);
  return { checksum, skipped: false, metadataWritten: tx.written.metadata, ...counts };
}

/** Merges `over` into `base` (both may be lazy): files replace, directories merge. */
async function layer(repo: Repo, base: MutableTree, over: MutableTree): Promise<void> {
  await base.expand(repo);
  await over.expand(repo);
  if (over.metaChecksum !== undefined) base.metaChecksum = over.metaChecksum;
  for (const [name, csum] of over.files) base.setFile(name, csum);
  for (const [name, sub] of over.dirs) {
    const existing = base.dirs.get(name);
    if (existing === undefined) {
      base.files.delete(name);
      base.dirs.set(name, sub);
    } else await layer(repo, existing, sub);
  }
}

/** (dev, ino) -> checksum of every content object, for --link-checkout-speedup. */
async function scanDevino(repo: Repo): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  const objects = path.join(repo.path, 'objects');
  let prefixes: string[];
  try {
    prefixes = await fsp.readdir(objects);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return map;
    throw err;
  }
  const limiter = new Limiter(32);
  await Promise.all(prefixes.filter((p) => /^[0-9a-f]{2}$/.test(p)).map(async (prefix) => {
    const names = await fsp.readdir(path.join(objects, prefix));
    await Promise.all(names.filter((n) => n.endsWith('.file')).map((n) => limiter.run(async () => {
      const st = await fsp.lstat(path.join(objects, prefix, n), { bigint: true });
      map.set(`${st.dev}:${st.ino}`, prefix + n.slice(0, -'.file'.length));
    })));
  }));
  return map;
}

// ---- directories ---------------------------------------------------------------------------------

/** Like Promise.all, but waits for every task before rethrowing the first error, so no write is left in flight. */
async function settleAll<T>(tasks: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

interface WalkEntry {
  readonly name: string;
  readonly abs: string;
  readonly st: EntryStat;
  readonly children: WalkEntry[] | undefined; // for directories
}

/**
 * The lstat fields a commit uses. The walk holds one per entry until the entry is imported; whole
 * Stats objects (four Dates and a dozen boxed numbers each) made up a third of the live heap.
 */
interface EntryStat {
  readonly mode: number;
  readonly size: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
}

function entryStat(st: Stats): EntryStat {
  return { mode: st.mode, size: st.size, uid: st.uid, gid: st.gid, nlink: st.nlink };
}

/** Synchronous walk (lstat only; warm-cache metadata calls are cheaper inline than via the thread pool). */
function walk(abs: string, name: string, st: EntryStat, symlinks: string[], counter: { small: number }): WalkEntry {
  const children: WalkEntry[] = [];
  for (const d of fs.readdirSync(abs)) {
    const childAbs = path.join(abs, d);
    const cst = fs.lstatSync(childAbs);
    if (cst.isDirectory()) {
      children.push(walk(childAbs, d, entryStat(cst), symlinks, counter));
      continue;
    }
    if (cst.isSymbolicLink()) symlinks.push(childAbs);
    else if (cst.isFile() && cst.size <= SMALL_FILE) counter.small += 1;
    else if (!cst.isFile()) throw new UnsupportedFileType(`Unsupported file type for file: '${childAbs}'`, { path: childAbs });
    children.push({ name: d, abs: childAbs, st: entryStat(cst), children: undefined });
  }
  return { name, abs, st, children };
}

async function importDir(ctx: Ctx, dir: string, root: MutableTree): Promise<void> {
  const st = await fsp.stat(dir);
  if (!st.isDirectory()) throw new UnsupportedFileType(`Not a directory: '${dir}'`, { path: dir });
  const symlinks: string[] = [];
  const counter = { small: 0 };
  const tree = walk(path.resolve(dir), '', entryStat(st), symlinks, counter);
  const want = ctx.options.workers ?? 'auto';
  const count = want === 'auto' ? (counter.small >= WORKER_THRESHOLD ? Math.max(1, Math.min(2, availableParallelism())) : 0) : want;
  if (ctx.pool === undefined && count > 0) {
    ctx.pool = new WorkerPool({
      repoPath: ctx.repo.path,
      mode: ctx.repo.mode,
      staging: ctx.tx.stagingDir,
      zlibLevel: ctx.repo.zlibLevel,
      canonical: ctx.canonical,
      noXattrs: ctx.options.noXattrs ?? false,
      ownerUid: ctx.options.ownerUid,
      ownerGid: ctx.options.ownerGid,
    }, count);
    ctx.limiter = new Limiter(256); // keep the workers fed
  }
  const symlinkXattrs = symlinks.length > 0 && !(ctx.options.noXattrs ?? false) && !ctx.canonical
    ? await readSymlinkXattrs(symlinks)
    : new Map<string, Xattr[]>();
  await importWalked(ctx, tree, root, symlinkXattrs);
}

async function importWalked(ctx: Ctx, entry: WalkEntry, node: MutableTree, symlinkXattrs: Map<string, Xattr[]>): Promise<void> {
  await node.expand(ctx.repo);
  node.metaChecksum = await ctx.limiter.run(() => dirMetaChecksum(ctx, entry.abs, entry.st));
  await settleAll(entry.children!.map(async (child) => {
    if (child.children !== undefined) {
      await importWalked(ctx, child, node.ensureDir(child.name), symlinkXattrs);
      return;
    }
    const csum = await ctx.limiter.run(() => fileChecksum(ctx, child.abs, child.st, symlinkXattrs.get(child.abs) ?? []));
    node.setFile(child.name, csum);
  }));
}

function owner(ctx: Ctx, st: { uid: number; gid: number }): { uid: number; gid: number } {
  if (ctx.canonical) return { uid: 0, gid: 0 };
  return { uid: ctx.options.ownerUid ?? st.uid, gid: ctx.options.ownerGid ?? st.gid };
}

async function dirMetaChecksum(ctx: Ctx, abs: string, st: EntryStat): Promise<string> {
  const xattrs = ctx.canonical || (ctx.options.noXattrs ?? false) ? [] : await readXattrs(abs);
  const mode = ctx.canonical ? S_IFDIR | (st.mode & 0o755) : st.mode;
  return ctx.tx.writeMetadata('dirmeta', encodeDirMeta({ ...owner(ctx, st), mode, xattrs }));
}

async function fileChecksum(ctx: Ctx, abs: string, st: EntryStat, linkXattrs: Xattr[]): Promise<string> {
  ctx.contentTotal += 1;
  if (ctx.contentTotal % 256 === 0) await new Promise<void>((resolve) => setImmediate(resolve)); // stay responsive
  if (ctx.devino !== undefined && st.nlink > 1) {
    const big = await fsp.lstat(abs, { bigint: true });
    const known = ctx.devino.get(`${big.dev}:${big.ino}`);
    if (known !== undefined) return known;
  }
  if ((st.mode & S_IFMT) === S_IFLNK) {
    const header: FileHeader = { ...owner(ctx, st), mode: st.mode, symlinkTarget: await fsp.readlink(abs), xattrs: ctx.canonical ? [] : linkXattrs };
    const checksum = await contentChecksum(header, { kind: 'buffer', data: new Uint8Array(0) });
    await ctx.tx.writeContent(checksum, header, { kind: 'buffer', data: new Uint8Array(0) });
    return checksum;
  }
  const small = st.size <= SMALL_FILE;
  if (small && ctx.pool !== undefined) {
    const r = await ctx.pool.submit({ abs, size: st.size, mode: st.mode, uid: st.uid, gid: st.gid });
    if (r.wrote) ctx.tx.adoptStaged(r.checksum, 'file', r.bytes);
    return r.checksum;
  }
  const xattrs = ctx.canonical || (ctx.options.noXattrs ?? false) ? [] : small ? readXattrsSync(abs) : await readXattrs(abs);
  const mode = ctx.canonical ? S_IFREG | (st.mode & 0o755) : st.mode;
  const header: FileHeader = { ...owner(ctx, st), mode, symlinkTarget: '', xattrs };
  if (small) {
    const data = readSmallSync(abs, st.size);
    const checksum = createHash('sha256').update(fileStreamPrefix(header)).update(data).digest('hex');
    await ctx.tx.writeContent(checksum, header, { kind: 'buffer', data });
    return checksum;
  }
  // Large files stream through 1 MiB buffers; few at a time keeps memory flat.
  return BIG_FILES.run(async () => {
    const source = { kind: 'file', path: abs, size: st.size } as const;
    const checksum = await contentChecksum(header, source);
    await ctx.tx.writeContent(checksum, header, source);
    return checksum;
  });
}

/** open + read + close for a file whose size lstat just gave (re-reads if it changed meanwhile). */
function readSmallSync(abs: string, size: number): Buffer {
  const fd = fs.openSync(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (;;) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) return fs.readFileSync(abs); // grew since lstat
    }
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

// ---- tar -----------------------------------------------------------------------------------------

/** A tar member name as a list of path parts, refusing anything that could escape the tree. */
function tarParts(name: string): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  for (const p of parts) {
    if (p === '..') throw new BadTarEntry(`Refusing tar entry ${JSON.stringify(name)}: it contains ".."`, { entry: name, reason: 'dotdot' });
    if (p.includes('\0')) throw new BadTarEntry(`Refusing tar entry ${JSON.stringify(name)}: NUL in name`, { entry: name, reason: 'nul' });
  }
  return parts;
}

async function importTar(ctx: Ctx, tarPath: string, root: MutableTree): Promise<void> {
  const fh = await fsp.open(tarPath, 'r');
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  await fh.close();
  let input: Readable = createReadStream(tarPath);
  if (magic[0] === 0x1f && magic[1] === 0x8b) input = input.pipe(createGunzip());
  const extract = tarStream.extract();
  const byPath = new Map<string, string>(); // for hardlinks
  const defaultMeta = async (): Promise<string> => {
    ctx.defaultMeta ??= await ctx.tx.writeMetadata('dirmeta', encodeDirMeta({ uid: 0, gid: 0, mode: S_IFDIR | 0o755, xattrs: [] }));
    return ctx.defaultMeta;
  };
  const parentOf = async (parts: string[]): Promise<MutableTree> => {
    let node = root;
    await node.expand(ctx.repo);
    for (const p of parts) {
      node = node.ensureDir(p);
      await node.expand(ctx.repo);
      node.metaChecksum ??= await defaultMeta();
    }
    return node;
  };
  input.pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    const parts = tarParts(h.name);
    const xattrs: Xattr[] = [];
    if (!ctx.canonical && !(ctx.options.noXattrs ?? false)) {
      for (const [k, v] of Object.entries(h.pax ?? {})) {
        if (k.startsWith('SCHILY.xattr.') && v.length > 0) xattrs.push({ name: k.slice('SCHILY.xattr.'.length), value: Buffer.from(v, 'latin1') });
      }
    }
    const perm = (h.mode ?? 0o644) & 0o7777;
    const own = owner(ctx, { uid: h.uid ?? 0, gid: h.gid ?? 0 });
    if (h.type === 'directory') {
      const node = parts.length === 0 ? root : (await parentOf(parts.slice(0, -1))).ensureDir(parts.at(-1)!);
      await node.expand(ctx.repo);
      const mode = S_IFDIR | (ctx.canonical ? perm & 0o755 : perm);
      node.metaChecksum = await ctx.tx.writeMetadata('dirmeta', encodeDirMeta({ ...own, mode, xattrs }));
      entry.resume();
      continue;
    }
    if (parts.length === 0) throw new BadTarEntry(`Refusing tar entry ${JSON.stringify(h.name)}: empty name`, { entry: h.name, reason: 'empty' });
    const parent = await parentOf(parts.slice(0, -1));
    const name = parts.at(-1)!;
    const key = parts.join('/');
    if (h.type === 'link') {
      const target = byPath.get(tarParts(h.linkname ?? '').join('/'));
      if (target === undefined) throw new BadTarEntry(`Tar hardlink ${JSON.stringify(h.name)} points to unknown ${JSON.stringify(h.linkname)}`, { entry: h.name, reason: 'link' });
      parent.setFile(name, target);
      byPath.set(key, target);
      entry.resume();
      continue;
    }
    let header: FileHeader;
    let data: Uint8Array;
    if (h.type === 'symlink') {
      header = { ...own, mode: S_IFLNK | 0o777, symlinkTarget: h.linkname ?? '', xattrs };
      data = new Uint8Array(0);
      entry.resume();
    } else if (h.type === 'file' || h.type === 'contiguous-file') {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      data = Buffer.concat(chunks);
      header = { ...own, mode: S_IFREG | (ctx.canonical ? perm & 0o755 : perm), symlinkTarget: '', xattrs };
    } else {
      throw new BadTarEntry(`Unsupported file type in tar entry ${JSON.stringify(h.name)} (${h.type ?? 'unknown'})`, { entry: h.name, reason: 'type' });
    }
    ctx.contentTotal += 1;
    const checksum = await contentChecksum(header, { kind: 'buffer', data });
    await ctx.tx.writeContent(checksum, header, { kind: 'buffer', data });
    parent.setFile(name, checksum);
    byPath.set(key, checksum);
  }
  if (root.metaChecksum === undefined) root.metaChecksum = await defaultMeta();
}
