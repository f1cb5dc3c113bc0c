/**
 * SysrootRepo over berth's own OSTree store (src/ostree): refs, commits, checkout, diff, prune
 * and refreshing a `remote:ref` origin are all berth's.
 */
import { Repo, RepoPath, RepoReader, checkout, commitDiffNode, diffTrees, pruneRepo, refreshOriginRef } from '../ostree/index.js';
import { vardictGet } from '../formats/gvariant/index.js';
import type { CommitInfo, SysrootRepo, TreeDiff } from './repo-port.js';
import { hardlinkFarm } from './hardlink-farm.js';

export class BerthRepo implements SysrootRepo {
  readonly #repo: Repo;
  readonly #path: string;

  private constructor(repo: Repo, repoPath: string) {
    this.#repo = repo;
    this.#path = repoPath;
  }

  static async open(repoPath: string): Promise<BerthRepo> {
    return new BerthRepo(await Repo.open(repoPath), repoPath);
  }

  async resolveRev(refspec: string): Promise<string> {
    return (await this.#repo.resolveRev(refspec))!;
  }

  async readCommit(checksum: string): Promise<CommitInfo> {
    const c = await this.#repo.loadCommit(checksum);
    const v = vardictGet(c.metadata, 'version');
    return {
      checksum,
      timestamp: c.timestamp,
      subject: c.subject,
      ...(v !== undefined && typeof v.value === 'string' ? { version: v.value } : {}),
      ...(c.parent !== undefined ? { parent: c.parent } : {}),
    };
  }

  async checkout(checksum: string, dest: string): Promise<void> {
    if (this.#repo.mode === 'bare' && process.getuid?.() === 0) await hardlinkFarm(this.#repo, checksum, dest);
    else await checkout(this.#repo, checksum, dest);
  }

  async listRefs(prefix: string): Promise<Map<string, string>> {
    const all = await this.#repo.listRefs({ remotes: false });
    return new Map([...all].filter(([k]) => k.startsWith(prefix)));
  }

  async setRef(ref: string, checksum: string | undefined): Promise<void> {
    await this.#repo.setRef(ref, checksum);
  }

  async diff(from: string, to: string): Promise<TreeDiff> {
    const reader = await RepoReader.open(this.#path);
    const node = async (csum: string) => {
      const c = await this.#repo.loadCommit(csum);
      return commitDiffNode(reader, RepoPath.root(c.rootTree, c.rootMeta), c.rootTree, c.rootMeta);
    };
    const r = await diffTrees(await node(from), await node(to));
    return { added: r.added.map((n) => n.display), removed: r.removed.map((n) => n.display), modified: r.modified.map((n) => n.display) };
  }

  async prune(): Promise<{ objects: number; bytes: number }> {
    const r = await pruneRepo(await RepoReader.open(this.#path), { refsOnly: true });
    return { objects: r.pruned, bytes: r.freedBytes };
  }

  async refresh(refspec: string, options: { readonly check?: boolean } = {}): Promise<boolean> {
    return (await refreshOriginRef(this.#path, refspec, options.check === true ? { check: true } : {})).pulled;
  }
}
