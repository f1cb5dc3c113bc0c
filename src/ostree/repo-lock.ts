/**
 * The repository lock ostree takes (since 2018.05, `core.locking`, default on): `.lock` in the repository,
 * shared for the length of a write transaction, exclusive while pruning, so a prune never deletes objects a
 * concurrent commit or pull is about to reference. Waits up to `core.lock-timeout-secs` (default 30; -1
 * blocks, bounded here to an hour), then fails with ostree's wording.
 */
import * as path from 'node:path';
import { tryFileLock, type FileLock } from '../core/index.js';
import type { KeyFile } from '../formats/keyfile.js';
import { RepoLocked } from './errors.js';

const NO_LOCK: FileLock = { release: async () => undefined };

export async function lockRepo(repoPath: string, config: KeyFile, kind: 'shared' | 'exclusive'): Promise<FileLock> {
  if (config.getBoolean('core', 'locking') === false) return NO_LOCK;
  const raw = config.getInteger('core', 'lock-timeout-secs') ?? 30;
  const waitMs = raw < 0 ? 3_600_000 : (Number.isFinite(raw) ? raw : 30) * 1000;
  const file = path.join(repoPath, '.lock');
  const shared = kind === 'shared';
  let attempt = await tryFileLock(file, { shared });
  if (attempt.kind === 'busy' && waitMs > 0) attempt = await tryFileLock(file, { shared, waitMs });
  if (attempt.kind === 'locked') return attempt.lock;
  const why = attempt.kind === 'busy' ? 'Resource temporarily unavailable' : attempt.message;
  throw new RepoLocked(`Locking repo ${kind} failed: ${why}`, { path: repoPath, kind });
}
