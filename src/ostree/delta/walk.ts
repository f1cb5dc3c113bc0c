import { decodeCommit, decodeDirTree, type Commit } from '../../formats/ostree/index.js';
import type { LooseStore } from './store.js';

/** Every object a commit reaches, with the first path each content object appears at. */
export interface CommitObjects {
  readonly commit: Commit;
  readonly dirtrees: Map<string, string>;
  readonly dirmetas: Set<string>;
  /** content checksum -> first path (`usr/lib/x`) */
  readonly files: Map<string, string>;
}

export async function walkCommit(store: LooseStore, checksum: string): Promise<CommitObjects> {
  const commit = decodeCommit(await store.readMeta('commit', checksum));
  const dirtrees = new Map<string, string>();
  const dirmetas = new Set<string>([commit.rootMeta]);
  const files = new Map<string, string>();
  const queue: Array<[string, string]> = [[commit.rootTree, '']];
  while (queue.length > 0) {
    const [tree, path] = queue.pop()!;
    if (dirtrees.has(tree)) continue;
    dirtrees.set(tree, path);
    const dt = decodeDirTree(await store.readMeta('dirtree', tree));
    for (const f of dt.files) if (!files.has(f.checksum)) files.set(f.checksum, path === '' ? f.name : `${path}/${f.name}`);
    for (const d of dt.dirs) {
      dirmetas.add(d.metaChecksum);
      queue.push([d.treeChecksum, path === '' ? d.name : `${path}/${d.name}`]);
    }
  }
  return { commit, dirtrees, dirmetas, files };
}
