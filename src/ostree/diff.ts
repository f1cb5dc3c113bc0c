import { createHash } from 'node:crypto';
import { lstat, opendir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { encodeDirMeta, fileStreamPrefix, S_IFLNK, S_IFMT, S_IFREG, type FileHeader, type Xattr } from '../formats/ostree/index.js';
import type { RepoReader } from './reader.js';
import { RepoPath } from './repo-path.js';
import { newReachable, splitObjectKey, traverseCommit } from './traverse.js';
import { readXattrs } from './xattrs.js';

/**
 * ostree_diff_dirs: what changed between two trees, each a commit or a local directory. Output
 * order is ostree's: modified, removed and added lists, each in discovery order (A's entries
 * depth-first with files before subdirectories for commits, directory order for local trees;
 * then B's new entries). An added directory lists everything below it; a removed one only itself.
 * A directory whose metadata changed is itself "modified".
 */
export interface DiffNode {
  readonly kind: 'dir' | 'file';
  /** The path ostree prints: "/a/b" inside a commit, "a/b" relative to a local base. */
  readonly display: string;
  /** Content checksum for files, dirmeta checksum for directories. */
  checksum(): Promise<string>;
  /** Same-content fast path for commit directories. */
  readonly treeChecksum?: string;
  children(): Promise<DiffNode[]>;
  child(name: string): Promise<DiffNode | undefined>;
  readonly name: string;
}

export interface DiffResult {
  readonly modified: readonly DiffNode[];
  readonly removed: readonly DiffNode[];
  readonly added: readonly DiffNode[];
}

export interface LocalDiffOptions {
  readonly ignoreXattrs?: boolean;
  readonly ownerUid?: number;
  readonly ownerGid?: number;
}

export async function diffTrees(a: DiffNode, b: DiffNode): Promise<DiffResult> {
  const modified: DiffNode[] = [];
  const removed: DiffNode[] = [];
  const added: DiffNode[] = [];
  const addRecurse = async (d: DiffNode): Promise<void> => {
    for (const c of await d.children()) {
      added.push(c);
      if (c.kind === 'dir') await addRecurse(c);
    }
  };
  const walk = async (x: DiffNode, y: DiffNode, depth: number): Promise<void> => {
    if (depth > 4096) throw new RangeError('Directory nesting too deep');
    if (x.treeChecksum !== undefined && x.treeChecksum === y.treeChecksum) return;
    for (const ca of await x.children()) {
      const cb = await y.child(ca.name);
      if (cb === undefined) removed.push(ca);
      else if (ca.kind !== cb.kind) modified.push(ca);
      else {
        if ((await ca.checksum()) !== (await cb.checksum())) modified.push(ca);
        if (ca.kind === 'dir') await walk(ca, cb, depth + 1);
      }
    }
    for (const cb of await y.children()) {
      if ((await x.child(cb.name)) === undefined) {
        added.push(cb);
        if (cb.kind === 'dir') await addRecurse(cb);
      }
    }
  };
  await walk(a, b, 0);
  return { modified, removed, added };
}

/** A commit's tree (or a subtree of it) as a diff side. */
export function commitDiffNode(reader: RepoReader, root: RepoPath, tree: string, meta: string): DiffNode {
  const make = (path: RepoPath, entry: { kind: 'dir'; tree: string; meta: string } | { kind: 'file'; checksum: string }): DiffNode => {
    let kids: Promise<DiffNode[]> | undefined;
    const children = (): Promise<DiffNode[]> => {
      if (entry.kind !== 'dir') return Promise.resolve([]);
      kids ??= reader.loadDirTree(entry.tree).then((dt) => [
        ...dt.files.map((f) => make(path.child(f.name), { kind: 'file', checksum: f.checksum })),
        ...dt.dirs.map((d) => make(path.child(d.name), { kind: 'dir', tree: d.treeChecksum, meta: d.metaChecksum })),
      ]);
      return kids;
    };
    return {
      kind: entry.kind,
      name: path.name,
      display: path.path,
      ...(entry.kind === 'dir' ? { treeChecksum: entry.tree } : {}),
      checksum: async () => (entry.kind === 'dir' ? entry.meta : entry.checksum),
      children,
      child: async (name) => (await children()).find((c) => c.name === name),
    };
  };
  return make(root, { kind: 'dir', tree, meta });
}

/** A local directory as a diff side: checksums computed the way a commit of it would. */
export function localDiffNode(base: string, options: LocalDiffOptions = {}): DiffNode {
  const xattrsOf = async (p: string, isLink: boolean): Promise<Xattr[]> => (options.ignoreXattrs || isLink ? [] : readXattrs(p));
  const make = (abs: string, name: string, isDir: boolean): DiffNode => {
    let kids: Promise<DiffNode[]> | undefined;
    const children = (): Promise<DiffNode[]> => {
      if (!isDir) return Promise.resolve([]);
      // GLib's local enumerator reads the directory in chunks of 1000 entries and sorts each
      // chunk by inode number; ostree prints local paths in that order.
      kids ??= (async () => {
        const names: string[] = [];
        for await (const e of await opendir(abs)) names.push(e.name);
        const out: DiffNode[] = [];
        for (let i = 0; i < names.length; i += 1000) {
          const chunk = await Promise.all(names.slice(i, i + 1000).map(async (n) => ({ n, st: await lstat(join(abs, n), { bigint: true }) })));
          chunk.sort((p, q) => (p.st.ino < q.st.ino ? -1 : p.st.ino > q.st.ino ? 1 : 0));
          for (const { n, st } of chunk) out.push(make(join(abs, n), n, st.isDirectory()));
        }
        return out;
      })();
      return kids;
    };
    return {
      kind: isDir ? 'dir' : 'file',
      name,
      display: relative(base, abs),
      checksum: async () => {
        const st = await lstat(abs);
        const uid = options.ownerUid ?? st.uid;
        const gid = options.ownerGid ?? st.gid;
        const isLink = st.isSymbolicLink();
        const xattrs = await xattrsOf(abs, isLink);
        if (isDir) return createHash('sha256').update(encodeDirMeta({ uid, gid, mode: st.mode, xattrs })).digest('hex');
        const header: FileHeader = {
          uid, gid, mode: isLink ? (S_IFLNK | 0o777) : ((st.mode & ~S_IFMT) | S_IFREG), symlinkTarget: isLink ? await readlink(abs) : '', xattrs,
        };
        const hash = createHash('sha256').update(fileStreamPrefix(header));
        if (!isLink) hash.update(await readFile(abs));
        return hash.digest('hex');
      },
      children,
      child: async (n) => (await children()).find((c) => c.name === n),
    };
  };
  return make(base, '', true);
}

export interface DiffStats {
  readonly a: number;
  readonly b: number;
  readonly common: number;
  readonly commonBytes: number;
}

/** `ostree diff --stats`: reachable objects of each commit, and what they share. */
export async function diffStats(reader: RepoReader, a: string, b: string): Promise<DiffStats> {
  const ra = newReachable();
  const rb = newReachable();
  await traverseCommit(reader, a, ra);
  await traverseCommit(reader, b, rb);
  let common = 0;
  let commonBytes = 0;
  for (const key of ra.objects.keys()) {
    if (!rb.objects.has(key)) continue;
    common++;
    const { checksum, type } = splitObjectKey(key);
    commonBytes += await reader.storageSize(checksum, type);
  }
  return { a: ra.objects.size, b: rb.objects.size, common, commonBytes };
}
