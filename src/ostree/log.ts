import { createHash } from 'node:crypto';
import { commitContentInput, type Commit } from '../formats/ostree/index.js';
import { ObjectMissing } from './maint-errors.js';
import type { RepoReader } from './reader.js';

export interface LogEntry {
  readonly checksum: string;
  /** undefined when the commit is not in the repository (history beyond it was not fetched). */
  readonly commit: Commit | undefined;
  /** The commit object's bytes, for `--raw`. */
  readonly bytes: Uint8Array | undefined;
}

/** A commit and its ancestors, newest first, stopping at the first one not present (`ostree log`). */
export async function* commitHistory(reader: RepoReader, checksum: string, limit = 1_000_000): AsyncGenerator<LogEntry> {
  let current: string | undefined = checksum;
  for (let i = 0; current !== undefined && i < limit; i++) {
    let bytes: Uint8Array;
    try {
      bytes = await reader.readMetadata(current, 'commit');
    } catch (err) {
      if (i > 0 && ObjectMissing.is(err)) {
        yield { checksum: current, commit: undefined, bytes: undefined };
        return;
      }
      throw err;
    }
    const commit = await reader.loadCommit(current);
    yield { checksum: current, commit, bytes };
    current = commit.parent;
  }
}

/** What ostree calls a commit's ContentChecksum: it ignores the commit's metadata and times. */
export function contentChecksumOf(commit: Pick<Commit, 'rootTree' | 'rootMeta'>): string {
  return createHash('sha256').update(commitContentInput(commit)).digest('hex');
}
