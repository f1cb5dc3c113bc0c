import { lockRepo } from './repo-lock.js';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checksumFromModifiedBase64, encodeVardict } from '../formats/ostree/index.js';
import { isChecksum } from '../formats/ostree/index.js';
import { variant } from '../formats/gvariant/index.js';
import { isErrno, writeFileAtomic } from '../core/index.js';
import { CommitReferenced, ObjectMissing } from './maint-errors.js';
import type { RepoReader } from './reader.js';
import { newReachable, objectKey, traverseCommit } from './traverse.js';

/**
 * `ostree prune`: deletes every loose object not reachable from the kept commits. By default
 * every commit object in the repository is a root (so only orphaned trees and files go); with
 * `refsOnly` only refs are roots, followed `depth` parents deep (-1: all). `keepYoungerThan`,
 * `onlyBranches` and `retainBranchDepth` select per-ref depths as ostree does, and imply refs
 * only. Deleted commits take their detached metadata with them; static deltas whose target
 * commit is gone are removed too.
 */
export interface PruneOptions {
  readonly refsOnly?: boolean;
  readonly depth?: number;
  readonly noPrune?: boolean;
  readonly commitOnly?: boolean;
  /** Seconds since the epoch: keep each ref's commits from the tip back to the first older one. */
  readonly keepYoungerThan?: number;
  readonly onlyBranches?: readonly string[];
  readonly retainBranchDepth?: ReadonlyMap<string, number>;
}

export interface PruneResult {
  readonly total: number;
  readonly pruned: number;
  readonly freedBytes: number;
}

/** Holds the repository lock exclusively (no transaction may add references to what it deletes). */
export async function pruneRepo(reader: RepoReader, options: PruneOptions = {}): Promise<PruneResult> {
  const lock = await lockRepo(reader.path, reader.config, 'exclusive');
  try {
    return await pruneLocked(reader, options);
  } finally {
    await lock.release();
  }
}

async function pruneLocked(reader: RepoReader, options: PruneOptions): Promise<PruneResult> {
  const depth = options.depth ?? -1;
  const reachable = newReachable();
  const objects = (await reader.listObjects()).filter((o) => !options.commitOnly || o.type === 'commit');
  const advanced = options.keepYoungerThan !== undefined || options.onlyBranches !== undefined || options.retainBranchDepth !== undefined;
  const commitOnly = options.commitOnly === true;
  const traverse = async (c: string, d: number): Promise<void> => {
    if (commitOnly) {
      // Only the commit chain matters; trees and files are never candidates.
      let cur: string | undefined = c;
      for (let i = 0; cur !== undefined && (d < 0 || i <= d) && i < 1_000_000; i++) {
        reachable.objects.set(objectKey(cur, 'commit'), true);
        if (!(await reader.hasObject(cur, 'commit'))) break;
        cur = (await reader.loadCommit(cur)).parent;
      }
      return;
    }
    await traverseCommit(reader, c, reachable, { maxDepth: d });
  };
  if (!advanced) {
    if (options.refsOnly) for (const c of (await reader.listRefs({ remotes: true })).values()) await traverse(c, depth);
    else for (const o of objects) if (o.type === 'commit') await traverse(o.checksum, depth);
  } else {
    const refs = await reader.listRefs({ remotes: true });
    const retain = new Map(options.retainBranchDepth ?? []);
    if (options.onlyBranches !== undefined) {
      for (const b of options.onlyBranches) await reader.resolveRev(b);
      for (const ref of refs.keys()) if (!options.onlyBranches.includes(ref) && !retain.has(ref)) retain.set(ref, -1);
    }
    for (const [ref, checksum] of refs) {
      // ostree keeps depths in a pointer-valued hash table, so BRANCH=0 reads back as "not
      // given" and the branch gets the default depth; we do the same.
      const given = retain.get(ref);
      const d = given === 0 ? undefined : given;
      if (d === undefined && options.keepYoungerThan !== undefined) {
        await traverse(checksum, 0);
        let next: string | undefined = checksum;
        for (let guard = 0; next !== undefined && guard < 1_000_000; guard++) {
          if (!(await reader.hasObject(next, 'commit'))) break;
          const commit = await reader.loadCommit(next);
          if (commit.timestamp < options.keepYoungerThan) break;
          await traverse(next, 0);
          next = commit.parent;
        }
        continue;
      }
      await traverse(checksum, d ?? depth);
    }
  }
  let pruned = 0;
  let freedBytes = 0;
  for (const o of objects) {
    if (reachable.objects.has(objectKey(o.checksum, o.type))) continue;
    freedBytes += await reader.storageSize(o.checksum, o.type);
    pruned++;
    if (options.noPrune) continue;
    if (o.type === 'commit') await reader.clearPartial(o.checksum);
    await reader.deleteObject(o.checksum, o.type);
  }
  if (!options.noPrune) await pruneStaticDeltas(reader);
  return { total: objects.length, pruned, freedBytes };
}

/** Removes `deltas/XX/REST` directories whose target commit is no longer in the repository. */
async function pruneStaticDeltas(reader: RepoReader): Promise<void> {
  const root = join(reader.path, 'deltas');
  let prefixes: string[];
  try {
    prefixes = await readdir(root);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const p of prefixes) {
    for (const rest of await readdir(join(root, p)).catch(() => [] as string[])) {
      const name = p + rest;
      const to = name.includes('-') ? name.slice(name.indexOf('-') + 1) : name;
      let target: string;
      try {
        target = checksumFromModifiedBase64(to);
      } catch {
        continue;
      }
      if (!(await reader.hasObject(target, 'commit'))) await rm(join(root, p, rest), { recursive: true, force: true });
    }
  }
}

/**
 * What `--keep-younger-than` accepts (a subset of gnulib's parse_datetime): "N UNIT(s) ago",
 * "@EPOCH", and ISO-like dates ("2026-01-01", "2026-01-01 12:00:00 +0000"). Returns undefined
 * when the text is not understood.
 */
export function parseKeepYoungerThan(text: string, nowSeconds: number): number | undefined {
  const t = text.trim().toLowerCase();
  const ago = /^([+-]?\d+)\s*(second|sec|minute|min|hour|day|week|fortnight|month|year)s?(\s+ago)?$/.exec(t);
  if (ago !== null) {
    const sign = ago[3] === undefined ? -1 : 1; // "3 days" is in the future, "3 days ago" in the past
    const unit: Record<string, number> = {
      second: 1, sec: 1, minute: 60, min: 60, hour: 3600, day: 86400, week: 604800, fortnight: 1209600, month: 2592000, year: 31536000,
    };
    return nowSeconds - sign * Number(ago[1]) * unit[ago[2]!]!;
  }
  if (t === 'now') return nowSeconds;
  if (t === 'yesterday') return nowSeconds - 86400;
  const epoch = /^@(-?\d+)$/.exec(t);
  if (epoch !== null) return Number(epoch[1]);
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const iso = t.replace(/^(\d{4}-\d{2}-\d{2})[ t](\d{2}:\d{2}(:\d{2})?)\s*([+-]\d{2}):?(\d{2})$/, '$1T$2$4:$5');
    const ms = Date.parse(/[zT+]|[+-]\d{2}:\d{2}$/.test(iso) && iso.includes('T') ? iso : `${iso.replace(' ', 'T')}${iso.length === 10 ? 'T00:00:00' : ''}`);
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  }
  return undefined;
}

/**
 * `prune --delete-commit`: refuses a commit a ref points at, turns on tombstone commits in the
 * config (as ostree does) and replaces the commit with a tombstone naming it.
 */
export async function deleteCommit(reader: RepoReader, checksum: string): Promise<void> {
  for (const [ref, c] of await reader.listRefs()) {
    if (c === checksum) throw new CommitReferenced(`Commit '${checksum}' is referenced by '${ref}'`, { checksum, ref });
  }
  if (reader.config.getBoolean('core', 'tombstone-commits') !== true) {
    reader.config.setBoolean('core', 'tombstone-commits', true);
    await writeFileAtomic(join(reader.path, 'config'), reader.config.toString());
  }
  const gone = new ObjectMissing(`Deleting object ${checksum}.commit: unlinkat(${checksum.slice(0, 2)}/${checksum.slice(2)}.commit): No such file or directory`, { checksum, type: 'commit' });
  if (!isChecksum(checksum)) throw gone; // ostree tries the unlink anyway, which fails like this
  try {
    await reader.deleteObject(checksum, 'commit');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw gone;
    throw err;
  }
  const name = new TextEncoder().encode(`${checksum}\0`);
  const tombstone = encodeVardict([['commit', variant('ay', name)]]);
  const path = reader.objectPath(checksum, 'tombstone-commit');
  await writeFileAtomic(path, tombstone);
}
