/**
 * A SysrootRepo over the real `ostree` command (2022.7), for sysroots whose repository berth's own
 * store (src/ostree) cannot open yet. Every call is one `ostree --repo=R …` process.
 */
import { exec } from '../core/index.js';
import type { CommitInfo, SysrootRepo, TreeDiff } from './repo-port.js';

const CHECKSUM_REGEXP = /^[0-9a-f]{64}$/;

export class OstreeCliRepo implements SysrootRepo {
  readonly #path: string;

  constructor(repoPath: string) {
    this.#path = repoPath;
  }

  async #run(args: readonly string[]): Promise<string> {
    const r = await exec(['ostree', `--repo=${this.#path}`, ...args], { pkg: 'ostree' });
    return r.stdout.toString('utf8');
  }

  async resolveRev(refspec: string): Promise<string> {
    return (await this.#run(['rev-parse', refspec])).trim();
  }

  async readCommit(checksum: string): Promise<CommitInfo> {
    const versionOut = await exec(['ostree', `--repo=${this.#path}`, 'show', '--print-metadata-key=version', checksum], { check: false });
    const version = versionOut.exitCode === 0 ? versionOut.stdout.toString().trim().replace(/^'(.*)'$/, '$1') : undefined;
    const show = await this.#run(['show', checksum]);
    const date = /^Date:\s+(.+)$/m.exec(show)?.[1];
    const parent = /^Parent:\s+([0-9a-f]{64})$/m.exec(show)?.[1];
    const subject = show.split('\n\n')[1]?.trim() ?? '';
    return {
      checksum,
      timestamp: date === undefined ? 0 : Math.floor(Date.parse(date.replace(' +0000', 'Z').replace(' ', 'T')) / 1000),
      subject,
      ...(version !== undefined && version !== '' ? { version } : {}),
      ...(parent !== undefined ? { parent } : {}),
    };
  }

  async checkout(checksum: string, dest: string): Promise<void> {
    await this.#run(['checkout', '--require-hardlinks', checksum, dest]);
  }

  async listRefs(prefix: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const names = (await this.#run(['refs'])).split('\n').filter((l) => l.startsWith(prefix));
    for (const name of names) out.set(name, await this.resolveRev(name));
    return out;
  }

  async setRef(ref: string, checksum: string | undefined): Promise<void> {
    if (checksum === undefined) await this.#run(['refs', '--delete', ref]);
    else {
      if (!CHECKSUM_REGEXP.test(checksum)) throw new RangeError(`Bad checksum ${checksum}`);
      await this.#run(['refs', '--force', `--create=${ref}`, checksum]);
    }
  }

  async diff(from: string, to: string): Promise<TreeDiff> {
    const added: string[] = [];
    const removed: string[] = [];
    const modified: string[] = [];
    for (const line of (await this.#run(['diff', from, to])).split('\n')) {
      const m = /^([AMD])\s+(.*)$/.exec(line);
      if (m === null) continue;
      (m[1] === 'A' ? added : m[1] === 'D' ? removed : modified).push(m[2]!);
    }
    return { added, removed, modified };
  }

  async prune(): Promise<{ objects: number; bytes: number }> {
    const out = await this.#run(['prune', '--refs-only']);
    const m = /Total objects: (\d+)[\s\S]*?Deleted (\d+) objects, (\d+)/.exec(out);
    return { objects: m === null ? 0 : Number(m[2]), bytes: m === null ? 0 : Number(m[3]) };
  }
}
