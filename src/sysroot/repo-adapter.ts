/**
 * SysrootRepo over berth's own OSTree store (src/ostree): refs, commits and the hardlink
 * checkout are berth's. File-level diffs still go through the `ostree` CLI until src/ostree
 * has a tree diff.
 */
import { Repo, checkout } from '../ostree/index.js';
import { vardictGet } from '../formats/index.js';
import type { CommitInfo, SysrootRepo, TreeDiff } from './repo-port.js';
import { OstreeCliRepo } from './ostree-cli-repo.js';
import { hardlinkFarm } from './hardlink-farm.js';

export class BerthRepo implements SysrootRepo {
  readonly #repo: Repo;
  readonly #cli: OstreeCliRepo;

  private constructor(repo: Repo, repoPath: string) {
    this.#repo = repo;
    this.#cli = new OstreeCliRepo(repoPath);
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

  diff(from: string, to: string): Promise<TreeDiff> {
    return this.#cli.diff(from, to);
  }
}
