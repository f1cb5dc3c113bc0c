/**
 * The sysroot lock ostree's admin commands take: `ostree/lock`, an exclusive open-file-description lock
 * (fcntl F_OFD_SETLKW, flock where OFD locks are missing, as libglnx does). flock and OFD locks do not see each
 * other on Linux, so the lock must be the same kind for berth and ostree to exclude each other. Node has no
 * fcntl; perl (Essential in Debian) takes the lock and holds it for as long as its stdin stays open, so the
 * lock also goes when berth dies.
 */
import { spawn } from 'node:child_process';
import { SysrootLocked } from './errors.js';

// F_OFD_SETLK(W) are 37/38 on every Linux architecture; struct flock is {short type, short whence, off_t start,
// off_t len, pid_t pid} (32 bytes on LP64). EINVAL means no OFD locks: fall back to flock like libglnx. As
// libglnx, the holder removes the file when it lets go, so a waiter that got a lock on a removed file retries.
const HOLDER = `
use strict; use Fcntl qw(:DEFAULT :flock F_WRLCK SEEK_SET);
my ($path, $wait) = @ARGV;
my $fh;
for (my $try = 0; ; $try++) {
  sysopen($fh, $path, O_RDWR | O_CREAT, 0600) or do { print "error open: $!\n"; exit 2 };
  my $fl = pack("ssx4qqlx4", F_WRLCK, SEEK_SET, 0, 0, 0);
  my $ok = fcntl($fh, $wait ? 38 : 37, $fl);
  if (!$ok && $!{EINVAL}) { $ok = flock($fh, LOCK_EX | ($wait ? 0 : LOCK_NB)); }
  if (!$ok) { print(($!{EAGAIN} || $!{EACCES} || $!{EWOULDBLOCK}) ? "busy\n" : "error lock: $!\n"); exit 1 }
  last if (stat($fh))[3] > 0 || $try >= 100;
  close($fh);
}
$| = 1; print "locked\n";
while (sysread(STDIN, my $buf, 64)) {}
unlink($path);
`;

export interface SysrootLock {
  /** Drops the lock (the holder exits). */
  release(): Promise<void>;
}

/**
 * Takes `<sysroot>/ostree/lock`. When another process holds it, `onWait` is called once and the wait is
 * bounded by `timeoutMs`; then SYSROOT_LOCKED.
 */
export async function lockSysroot(sysroot: string, options: { readonly timeoutMs?: number; readonly onWait?: () => void } = {}): Promise<SysrootLock> {
  const path = `${sysroot.replace(/\/$/, '')}/ostree/lock`;
  const first = await hold(path, false);
  if (first.kind === 'locked') return first.lock;
  if (first.kind === 'error') throw new SysrootLocked(`Cannot take the sysroot lock ${path}: ${first.message}`, { path });
  options.onWait?.();
  const second = await hold(path, true, options.timeoutMs ?? 300_000);
  if (second.kind === 'locked') return second.lock;
  throw new SysrootLocked(second.kind === 'error' ? `Cannot take the sysroot lock ${path}: ${second.message}` : `The sysroot is locked by another process (${path})`, { path });
}

type HoldResult = { kind: 'locked'; lock: SysrootLock } | { kind: 'busy' } | { kind: 'error'; message: string };

function hold(path: string, wait: boolean, timeoutMs = 10_000): Promise<HoldResult> {
  return new Promise((resolve) => {
    const child = spawn('perl', ['-e', HOLDER, path, wait ? '1' : '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let settled = false;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    const settle = (r: HoldResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle({ kind: 'busy' });
    }, timeoutMs);
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      const line = out.slice(0, out.indexOf('\n'));
      if (line === 'locked') {
        settle({ kind: 'locked', lock: { release: async () => { child.stdin.end(); await exited; } } });
      } else if (line === 'busy') settle({ kind: 'busy' });
      else settle({ kind: 'error', message: line.replace(/^error /, '') });
    });
    child.once('error', (e) => settle({ kind: 'error', message: `perl: ${e.message}` }));
    child.once('close', (code) => settle({ kind: 'error', message: err.trim() || `perl exited with ${code}` }));
  });
}
