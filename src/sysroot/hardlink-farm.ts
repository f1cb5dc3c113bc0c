/**
 * The deployment checkout: a hardlink farm from the sysroot's bare repository, the one case
 * deploy needs (ostree checks out deployments the same way: bare repo, root, same filesystem).
 * Like ostree's checkout it reads dirtree/dirmeta objects without re-hashing them (fsck is the
 * place for that) and makes the farm with synchronous mkdir/link calls: one syscall each, without
 * a thread-pool round trip per file, which is what makes a 27k-file deploy as fast as ostree's.
 * Other repo modes go through src/ostree's general checkout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeDirMeta, decodeDirTree, type DirMeta } from '../formats/index.js';
import { type Repo, setXattrs } from '../ostree/index.js';

export async function hardlinkFarm(repo: Repo, commitChecksum: string, dest: string): Promise<number> {
  const commit = await repo.loadCommit(commitChecksum);
  const metas = new Map<string, DirMeta>();
  const metaOf = (csum: string): DirMeta => {
    let m = metas.get(csum);
    if (m === undefined) {
      m = decodeDirMeta(fs.readFileSync(repo.objectPath(csum, 'dirmeta')));
      metas.set(csum, m);
    }
    return m;
  };
  let files = 0;
  const withXattrs: Array<[string, DirMeta]> = [];
  const make = (treeCsum: string, metaCsum: string, dir: string): void => {
    const tree = decodeDirTree(fs.readFileSync(repo.objectPath(treeCsum, 'dirtree')));
    const meta = metaOf(metaCsum);
    fs.mkdirSync(dir, { mode: 0o700 });
    for (const f of tree.files) {
      fs.linkSync(repo.objectPath(f.checksum, 'file'), path.join(dir, f.name));
      files += 1;
    }
    for (const d of tree.dirs) make(d.treeChecksum, d.metaChecksum, path.join(dir, d.name));
    // Metadata last, so a read-only directory can still be filled.
    fs.chownSync(dir, meta.uid, meta.gid);
    fs.chmodSync(dir, meta.mode & 0o7777);
    if (meta.xattrs.length > 0) withXattrs.push([dir, meta]);
  };
  make(commit.rootTree, commit.rootMeta, dest);
  for (const [dir, meta] of withXattrs) await setXattrs(dir, meta.xattrs);
  return files;
}
