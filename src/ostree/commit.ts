import * as fsp from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isErrno } from '../core/index.js';
import { compareStrcmp, encodeCommit, encodeDirMeta, S_IFDIR, S_IFLNK, S_IFREG, type FileHeader, type Xattr } from '../formats/ostree/index.js';
import { type VardictEntries, type Variant } from '../formats/gvariant/index.js';
import { DirImporter } from './commit-dir.js';
import { BadTarEntry } from './errors.js';
import { Limiter, MutableTree } from './mtree.js';
import type { Repo } from './repo.js';
import { contentChecksum, Transaction } from './transaction.js';

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

interface Ctx {
  readonly repo: Repo;
  readonly tx: Transaction;
  readonly options: CommitOptions;
  readonly canonical: boolean;
  devino: Map<string, string> | undefined;
  /** Content entries from tar sources (directory sources count in the importer). */
  contentTotal: number;
  defaultMeta: string | undefined;
  importer: DirImporter | undefined;
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
    devino: undefined,
    contentTotal: 0,
    defaultMeta: undefined,
    importer: undefined,
  };
  try {
    return await commitWithCtx(ctx);
  } finally {
    await ctx.importer?.close();
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
      ctx.importer ??= new DirImporter({
        repo, tx, canonical: ctx.canonical, noXattrs: options.noXattrs ?? false, ownerUid: options.ownerUid,
        ownerGid: options.ownerGid, workers: options.workers ?? 'auto', devino: ctx.devino,
      });
      await ctx.importer.import(src.path, root);
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

  const counts = { contentWritten: tx.written.content, contentTotal: ctx.contentTotal + (ctx.importer?.contentTotal ?? 0) };
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

function owner(ctx: Ctx, st: { uid: number; gid: number }): { uid: number; gid: number } {
  if (ctx.canonical) return { uid: 0, gid: 0 };
  return { uid: ctx.options.ownerUid ?? st.uid, gid: ctx.options.ownerGid ?? st.gid };
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
  const extract = (await import('tar-stream')).default.extract(); // only `--tree=tar=` pays for tar-stream
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
