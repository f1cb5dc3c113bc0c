import type { DirMeta, DirTree } from '../formats/ostree/index.js';
import { NoSuchPath } from './maint-errors.js';
import type { LoadedFile, RepoReader } from './reader.js';

/**
 * A path inside a commit, resolved the way libostree's OstreeRepoFile does it, quirks included,
 * because `ostree ls`/`cat` print its paths and errors: components are split at the first '/',
 * a component keeps no trailing '/', an absolute remainder restarts at the root ("//a//f" is
 * "/f"), and ".." is an ordinary (normally missing) name.
 */
export class RepoPath {
  readonly parent: RepoPath | undefined;
  readonly name: string;
  readonly root: RepoPath;
  #resolved: Resolved | undefined;

  private constructor(parent: RepoPath | undefined, name: string, resolved?: Resolved) {
    this.parent = parent;
    this.name = name;
    this.root = parent?.root ?? this;
    this.#resolved = resolved;
  }

  static root(tree: string, meta: string): RepoPath {
    return new RepoPath(undefined, '', { kind: 'dir', tree, meta });
  }

  static async forCommit(reader: RepoReader, commit: string): Promise<RepoPath> {
    const c = await reader.loadCommit(commit);
    return RepoPath.root(c.rootTree, c.rootMeta);
  }

  child(name: string): RepoPath {
    return new RepoPath(this, name.endsWith('/') ? name.slice(0, -1) : name);
  }

  resolveRelative(relative: string): RepoPath {
    let rel = relative;
    if (rel.startsWith('/')) {
      if (rel === '/') return this.root;
      if (this.parent !== undefined) return this.root.resolveRelative(rel.slice(1));
      rel = rel.slice(1);
    }
    const slash = rel.indexOf('/');
    if (slash < 0) return this.child(rel);
    return this.child(rel.slice(0, slash + 1)).resolveRelative(rel.slice(slash + 1));
  }

  /** "/" for the root, else "/a/b". */
  get path(): string {
    const names: string[] = [];
    for (let p: RepoPath | undefined = this; p?.parent !== undefined; p = p.parent) names.push(p.name);
    return `/${names.reverse().join('/')}`;
  }

  async resolve(reader: RepoReader): Promise<Resolved> {
    if (this.#resolved !== undefined) return this.#resolved;
    const parent = await this.parent!.resolve(reader);
    if (parent.kind !== 'dir') throw new NoSuchPath('Not a directory', { path: this.path });
    const tree = await reader.loadDirTree(parent.tree);
    const file = tree.files.find((f) => f.name === this.name);
    if (file !== undefined) return (this.#resolved = { kind: 'file', checksum: file.checksum });
    const dir = tree.dirs.find((d) => d.name === this.name);
    if (dir !== undefined) return (this.#resolved = { kind: 'dir', tree: dir.treeChecksum, meta: dir.metaChecksum });
    throw new NoSuchPath(`No such file or directory: ${this.path}`, { path: this.path });
  }
}

export type Resolved =
  | { readonly kind: 'dir'; readonly tree: string; readonly meta: string }
  | { readonly kind: 'file'; readonly checksum: string };

export interface PathEntry {
  readonly path: RepoPath;
  readonly resolved: Resolved;
  /** Directory metadata, or the content object's header and size. */
  readonly info: { readonly kind: 'dir'; readonly meta: DirMeta } | { readonly kind: 'file'; readonly file: LoadedFile };
}

export async function describe(reader: RepoReader, path: RepoPath): Promise<PathEntry> {
  const resolved = await path.resolve(reader);
  if (resolved.kind === 'dir') return { path, resolved, info: { kind: 'dir', meta: await reader.loadDirMeta(resolved.meta) } };
  return { path, resolved, info: { kind: 'file', file: await reader.loadFile(resolved.checksum) } };
}

/** A directory's children as ostree enumerates them: its files, then its subdirectories. */
export async function listChildren(reader: RepoReader, dir: RepoPath): Promise<PathEntry[]> {
  const resolved = await dir.resolve(reader);
  if (resolved.kind !== 'dir') throw new NoSuchPath('Not a directory', { path: dir.path });
  const tree: DirTree = await reader.loadDirTree(resolved.tree);
  const out: PathEntry[] = [];
  for (const f of tree.files) {
    const p = dir.child(f.name);
    out.push({ path: p, resolved: { kind: 'file', checksum: f.checksum }, info: { kind: 'file', file: await reader.loadFile(f.checksum) } });
  }
  for (const d of tree.dirs) {
    const p = dir.child(d.name);
    out.push({ path: p, resolved: { kind: 'dir', tree: d.treeChecksum, meta: d.metaChecksum }, info: { kind: 'dir', meta: await reader.loadDirMeta(d.metaChecksum) } });
  }
  return out;
}

/** The content of a regular file at `path`, following symlinks as OstreeRepoFile does. */
export async function readPathContent(reader: RepoReader, path: RepoPath): Promise<Uint8Array> {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    const resolved = await current.resolve(reader);
    if (resolved.kind === 'dir') throw new NoSuchPath("Can't open directory", { path: current.path });
    const { header } = await reader.loadFile(resolved.checksum);
    if (header.symlinkTarget === '') return reader.readFileContent(resolved.checksum);
    current = current.parent!.resolveRelative(header.symlinkTarget);
  }
  throw new NoSuchPath(`Too many levels of symbolic links: ${path.path}`, { path: path.path });
}
