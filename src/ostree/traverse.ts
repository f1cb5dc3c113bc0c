import type { ObjectType } from '../formats/index.js';
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
  /** For each object, the commits it was reached from (what fsck names in its errors). */
  readonly parents: Map<ObjectKey, Set<string>>;
}

export function newReachable(): Reachable {
  return { objects: new Map(), parents: new Map() };
}

export interface TraverseOptions {
  /** How many parent commits to follow: 0 is the commit alone, -1 is the whole history. */
  readonly maxDepth?: number;
  /** Record each object's commits in `parents` (fsck does; prune does not need it). */
  readonly trackParents?: boolean;
}

/**
 * ostree_repo_traverse_commit_union: adds the commit, its root dirtree and dirmeta and every
 * object below them. Objects that are missing or cannot be decoded are recorded but not descended
 * into, so that fsck can report them instead of the traversal failing half-way.
 */
export async function traverseCommit(reader: RepoReader, commit: string, into: Reachable, options: TraverseOptions = {}): Promise<void> {
  let depth = options.maxDepth ?? 0;
  let current: string | undefined = commit;
  const track = options.trackParents ?? false;
  for (let guard = 0; current !== undefined && guard < 1_000_000; guard++) {
    const origin: string = current;
    const add = (key: ObjectKey): boolean => {
      if (track) {
        let set = into.parents.get(key);
        if (set === undefined) into.parents.set(key, (set = new Set()));
        set.add(origin);
      }
      if (into.objects.has(key)) return false;
      into.objects.set(key, true);
      return true;
    };
    const commitKey = objectKey(origin, 'commit');
    if (!add(commitKey) && !track) return;
    let parsed;
    try {
      parsed = await reader.loadCommit(origin);
    } catch {
      return; // missing or corrupt: fsck reports it
    }
    add(objectKey(parsed.rootMeta, 'dirmeta'));
    await walkDirTree(reader, parsed.rootTree, add);
    if (depth === 0 || parsed.parent === undefined) return;
    if (depth > 0) depth--;
    if (!(await reader.hasObject(parsed.parent, 'commit'))) return;
    current = parsed.parent;
  }
}

async function walkDirTree(reader: RepoReader, root: string, add: (key: ObjectKey) => boolean): Promise<void> {
  const pending = [root];
  for (let guard = 0; pending.length > 0 && guard < 100_000_000; guard++) {
    const tree = pending.pop()!;
    const isNew = add(objectKey(tree, 'dirtree'));
    if (!isNew) continue;
    let dt;
    try {
      dt = await reader.loadDirTree(tree);
    } catch {
      continue;
    }
    for (const f of dt.files) add(objectKey(f.checksum, 'file'));
    for (let i = dt.dirs.length - 1; i >= 0; i--) {
      const d = dt.dirs[i]!;
      add(objectKey(d.metaChecksum, 'dirmeta'));
      pending.push(d.treeChecksum);
    }
  }
}
