/**
 * The sysroot lock ostree's admin commands take: `ostree/lock`, exclusive, removed when let go (see
 * core/file-lock.ts for why it must be an OFD lock).
 */
import { tryFileLock, type FileLock } from '../core/index.js';
import { SysrootLocked } from './errors.js';

export type SysrootLock = FileLock;

/**
 * Takes `<sysroot>/ostree/lock`. When another process holds it, `onWait` is called once and the wait is
 * bounded by `timeoutMs`; then SYSROOT_LOCKED.
 */
export async function lockSysroot(sysroot: string, options: { readonly timeoutMs?: number; readonly onWait?: () => void } = {}): Promise<SysrootLock> {
  const path = `${sysroot.replace(/\/$/, '')}/ostree/lock`;
  let attempt = await tryFileLock(path, { unlinkOnRelease: true });
  if (attempt.kind === 'busy') {
    options.onWait?.();
    attempt = await tryFileLock(path, { unlinkOnRelease: true, waitMs: options.timeoutMs ?? 300_000 });
  }
  if (attempt.kind === 'locked') return attempt.lock;
  throw new SysrootLocked(attempt.kind === 'error' ? `Cannot take the sysroot lock ${path}: ${attempt.message}` : `The sysroot is locked by another process (${path})`, { path });
}
