import type { ObjectType } from '../formats/ostree/index.js';
import { GHashTableModel, gStrHash } from './ghash-order.js';
import type { RepoReader } from './reader.js';

/** `checksum.type`, the key ostree uses for object sets. */
export type ObjectKey = `${string}.${ObjectType}`;

export function objectKey(checksum: string, type: ObjectType): ObjectKey {
  return `${checksum}.${type}`;
}

export function splitObjectKey(key: string): { checksum: string; type: ObjectType } {
  return { checksum: key.slice(0, 64), type: key.slice(65) as ObjectType };
}

export interface Reachable {
  /** Every object reached, in traversal order. */
  readonly objects: Map<ObjectKey, true>;
  /**
   * For each object, the objects that contain it (dirtrees, or the commit for a root tree), as
   * ostree's traverse "parents" table records them: a shared subtree is not descended into twice,
   * but every container is recorded, so walking up finds every commit that includes an object.
   */
  readonly parents: Map<ObjectKey, ObjectKey[]>;
}

export function newReachable(): Reachable {
  return { objects: new Map(), parents: new Map() };
}

export interface TraverseOptions {
  /** How many parent commits to follow: 0 is the commit alone, -1 is the whole history. */
  readonly maxDepth?: number;
  /** Record containers in `parents` (fsck does; prune does not need it). */
  readonly trackParents?: boolean;
}

/**
 * ostree_repo_traverse_commit_union: adds the commit, its root dirtree and dirmeta and every
 * object below them (files before subdirectories, depth first). Objects that are missing or
 * cannot be decoded are recorded but not descended into, so that fsck can report them instead
 * of the traversal failing half-way. Stops at a commit already in the set, or a missing parent.
 */
export async function traverseCommit(reader: RepoReader, commit: string, into: Reachable, options: TraverseOptions = {}): Promise<void> {
  let depth = options.maxDepth ?? 0;
  const track = options.trackParents ?? false;
  const addParent = (key: ObjectKey, parent: ObjectKey): void => {
    if (!track) return;
    const list = into.parents.get(key);
    if (list === undefined) into.parents.set(key, [parent]);
    else {
      const i = list.indexOf(parent);
      if (i >= 0) list.splice(i, 1);
      list.push(parent);
    }
  };
  let current: string | undefined = commit;
  for (let guard = 0; current !== undefined && guard < 1_000_000; guard++) {
    const commitKey = objectKey(current, 'commit');
    if (into.objects.has(commitKey)) return;
    into.objects.set(commitKey, true);
    let parsed;
    try {
      parsed = await reader.loadCommit(current);
    } catch {
      return; // missing or corrupt: fsck reports it
    }
    await walkDir(reader, parsed.rootTree, parsed.rootMeta, commitKey, into, addParent);
    if (depth === 0 || parsed.parent === undefined) return;
    if (depth > 0) depth--;
    if (!(await reader.hasObject(parsed.parent, 'commit'))) return;
    current = parsed.parent;
  }
}

async function walkDir(
  reader: RepoReader, tree: string, meta: string, parent: ObjectKey, into: Reachable,
  addParent: (key: ObjectKey, parent: ObjectKey) => void, depth = 0,
): Promise<void> {
  if (depth > 4096) throw new RangeError('Directory nesting too deep');
  const metaKey = objectKey(meta, 'dirmeta');
  addParent(metaKey, parent);
  into.objects.set(metaKey, true);
  const treeKey = objectKey(tree, 'dirtree');
  addParent(treeKey, parent);
  if (into.objects.has(treeKey)) return;
  into.objects.set(treeKey, true);
  let dt;
  try {
    dt = await reader.loadDirTree(tree);
  } catch {
    return;
  }
  for (const f of dt.files) {
    const k = objectKey(f.checksum, 'file');
    addParent(k, treeKey);
    into.objects.set(k, true);
  }
  for (const d of dt.dirs) await walkDir(reader, d.treeChecksum, d.metaChecksum, treeKey, into, addParent, depth + 1);
}

/**
 * The commits that include an object, in the order ostree prints them (the iteration order of
 * the string set ostree_repo_traverse_parents_get_commits fills while walking up).
 */
export function commitsOf(reachable: Reachable, key: ObjectKey): string[] {
  const set = new GHashTableModel<string>();
  const seen = new Set<ObjectKey>();
  const up = (k: ObjectKey, depth: number): void => {
    const { checksum, type } = splitObjectKey(k);
    if (type === 'commit') {
      set.add(checksum, gStrHash(checksum));
      return;
    }
    if (seen.has(k) || depth > 100_000) return;
    seen.add(k);
    for (const p of reachable.parents.get(k) ?? []) up(p, depth + 1);
  };
  up(key, 0);
  return set.keys();
}
