import type { ObjectType } from '../formats/ostree/index.js';
import { checkObject } from './fsck-check.js';
import { FsckPool, fsckWorkersFor } from './fsck-pool.js';
import { FsckCorruption, ObjectMissing } from './maint-errors.js';
import type { RepoReader } from './reader.js';
import { commitsOf, newReachable, splitObjectKey, traverseCommit, type ObjectKey } from './traverse.js';

/**
 * `ostree fsck`: every ref's commit must load; every commit object (except partial ones) is
 * traversed and each reachable object is re-hashed and structurally validated. Missing objects
 * mark their commits partial; corrupt ones stop the run (or, with `all`/`delete`, are reported,
 * and with `delete` removed). Progress and findings are reported as events; the CLI renders them
 * in ostree's words.
 */
export interface FsckOptions {
  readonly all?: boolean;
  readonly delete?: boolean;
  /** Objects verified at once (I/O and zlib run in the thread pool). */
  readonly concurrency?: number;
  /** Worker threads that verify objects: 'auto' (default) uses them for repositories of 2000+ objects. */
  readonly workers?: number | 'auto';
}

export type FsckEvent =
  | { readonly type: 'phase'; readonly phase: 'refs' | 'collection-refs' | 'commits' }
  | { readonly type: 'verifying'; readonly commits: number }
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'missing'; readonly checksum: string; readonly objectType: ObjectType; readonly commits: readonly string[] }
  | { readonly type: 'corrupt'; readonly message: string; readonly deleted: boolean }
  | { readonly type: 'marked-partial'; readonly commit: string }
  | { readonly type: 'partial-not-verified'; readonly count: number }
  | { readonly type: 'ok'; readonly commits: number };

export interface FsckResult {
  readonly commits: number;
  readonly objects: number;
  readonly corrupt: number;
  readonly missing: number;
}

export async function fsckRepo(reader: RepoReader, options: FsckOptions, report: (e: FsckEvent) => void): Promise<FsckResult> {
  report({ type: 'phase', phase: 'refs' });
  const refs = await reader.listRefs({ remotes: true });
  let missing = 0;
  let corrupt = 0;
  // ostree marks each commit of a missing or deleted object partial right away, in the order it
  // names them, skipping commits already partial.
  const markPartialNow = async (commits: readonly string[]): Promise<void> => {
    for (const c of commits) {
      if (await reader.isPartial(c)) continue;
      report({ type: 'marked-partial', commit: c });
      await reader.markPartial(c, 'f');
    }
  };
  for (const [ref, checksum] of refs) {
    const problem = await checkObject(reader, checksum, 'commit');
    if (problem === 'missing') {
      // ostree reports the missing object, then fails loading the commit for the ref.
      report({ type: 'missing', checksum, objectType: 'commit', commits: [] });
      throw new ObjectMissing(`Loading commit for ref ${ref.includes(':') ? ref.slice(ref.indexOf(':') + 1) : ref}: No such metadata object ${checksum}.commit`, { checksum, type: 'commit' });
    }
    if (problem !== undefined) {
      if (!options.delete && !options.all) throw new FsckCorruption(`fsck ${checksum}.commit: ${problem}`, { corrupt: 1, partial: 0 });
      corrupt++;
      report({ type: 'corrupt', message: `fsck ${checksum}.commit: ${problem}`, deleted: options.delete === true });
      if (options.delete) await reader.deleteObject(checksum, 'commit').catch(() => undefined);
    }
  }
  report({ type: 'phase', phase: 'collection-refs' });
  report({ type: 'phase', phase: 'commits' });
  const commits: string[] = [];
  let partial = 0;
  let fsckPartial = 0;
  for (const { checksum } of await reader.listObjects('commit')) {
    if (await reader.isPartial(checksum)) {
      partial++;
      if ((await reader.readPartialReason(checksum)) === 'f') fsckPartial++;
    } else commits.push(checksum);
  }
  report({ type: 'verifying', commits: commits.length });
  const reachable = newReachable();
  for (const c of commits) await traverseCommit(reader, c, reachable, { trackParents: true });
  const keys = [...reachable.objects.keys()];
  const total = keys.length;
  let done = 0;
  let failure: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < keys.length) {
      const key = keys[next++]!;
      const { checksum, type } = splitObjectKey(key);
      const problem = await check(checksum, type);
      const parents = problem === undefined ? [] : commitsOf(reachable, key as ObjectKey); // a walk up: only when reported
      if (problem === 'missing') {
        missing++;
        report({ type: 'missing', checksum, objectType: type, commits: parents });
        if (type !== 'commit') await markPartialNow(parents);
      } else if (problem !== undefined) {
        const what = type === 'file' ? `fsck content object ${checksum}` : `fsck ${checksum}.${type}`;
        const message = `${parents.length > 0 ? `In commits ${parents.join(', ')}: ` : ''}${what}: ${problem}`;
        if (options.delete) {
          report({ type: 'corrupt', message, deleted: true });
          await reader.deleteObject(checksum, type).catch(() => undefined);
          corrupt++;
          if (type !== 'commit') await markPartialNow(parents);
        } else if (options.all) {
          report({ type: 'corrupt', message, deleted: false });
          corrupt++;
        } else {
          failure ??= new FsckCorruption(message, { corrupt: 1, partial: 0 });
          return;
        }
      }
      done++;
      report({ type: 'progress', done, total });
    }
  };
  const workers = fsckWorkersFor(total, options.workers);
  const pool = workers > 0 ? new FsckPool(reader.path, workers) : undefined;
  const check = pool === undefined ? (c: string, t: ObjectType) => checkObject(reader, c, t) : (c: string, t: ObjectType) => pool.check(c, t);
  // Without workers, archive objects are inflated in the thread pool: a few at a time keep both
  // cores busy. With workers, enough checks are queued to keep two batches in flight per worker.
  const concurrency = options.concurrency ?? (pool !== undefined ? workers * 64 : reader.mode === 'archive' ? 4 : 8);
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    await pool?.close();
  }
  if (failure !== undefined) throw failure;
  if (partial > 0) report({ type: 'partial-not-verified', count: partial });
  if (missing > 0 || corrupt > 0) {
    throw new FsckCorruption('Repository corruption encountered', { corrupt, partial });
  }
  if (fsckPartial > 0) throw new FsckCorruption(`${partial} partial commits from fsck-detected corruption`, { corrupt: 0, partial });
  report({ type: 'ok', commits: commits.length });
  return { commits: commits.length, objects: total, corrupt, missing };
}
