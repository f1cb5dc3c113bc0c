/**
 * Whole-file locks of the kind libostree takes (libglnx `glnx_make_lock_file`): open-file-description locks,
 * fcntl F_OFD_SETLK(W), with flock where OFD locks are missing. flock and OFD locks do not see each other on
 * Linux, so berth must take the same kind to exclude ostree. Node has no fcntl; perl (Essential in Debian)
 * takes the lock and holds it while its stdin stays open, so the lock also goes when berth dies.
 */
import { requireBuiltin } from './extra-ca.js';

/** node:child_process loads with the first lock (core/exec.ts says why). */
const childProcess = (): typeof import('node:child_process') => requireBuiltin('node:child_process');

// F_OFD_SETLK(W) are 37/38 on every Linux architecture; struct flock is {short type, short whence, off_t start,
// off_t len, pid_t pid} (32 bytes on LP64). EINVAL means no OFD locks: flock, as libglnx falls back. With
// unlink, the holder removes the file when it lets go (libglnx's release), and a taker that locked a file
// removed meanwhile tries again.
const HOLDER = `
use strict; use Fcntl qw(:DEFAULT :flock F_WRLCK F_RDLCK SEEK_SET);
my ($path, $wait, $shared, $unlink) = @ARGV;
my $fh;
for (my $try = 0; ; $try++) {
  sysopen($fh, $path, O_RDWR | O_CREAT, 0600) or do { print "error open: $!\\n"; exit 2 };
  my $fl = pack("ssx4qqlx4", $shared ? F_RDLCK : F_WRLCK, SEEK_SET, 0, 0, 0);
  my $ok = fcntl($fh, $wait ? 38 : 37, $fl);
  if (!$ok && $!{EINVAL}) { $ok = flock($fh, ($shared ? LOCK_SH : LOCK_EX) | ($wait ? 0 : LOCK_NB)); }
  if (!$ok) { print(($!{EAGAIN} || $!{EACCES} || $!{EWOULDBLOCK}) ? "busy\\n" : "error lock: $!\\n"); exit 1 }
  last if !$unlink || (stat($fh))[3] > 0 || $try >= 100;
  close($fh);
}
$| = 1; print "locked\\n";
while (sysread(STDIN, my $buf, 64)) {}
unlink($path) if $unlink && !$shared;
`;

export interface FileLock {
  /** Lets the lock go (the holder exits). */
  release(): Promise<void>;
}

export interface FileLockOptions {
  readonly shared?: boolean;
  /** Remove the file on release (ostree's sysroot lock); repository locks keep it. */
  readonly unlinkOnRelease?: boolean;
}

export type FileLockAttempt = { readonly kind: 'locked'; readonly lock: FileLock } | { readonly kind: 'busy' } | { readonly kind: 'error'; readonly message: string };

/**
 * One attempt at the lock: at once (`waitMs` undefined) or waiting at most `waitMs`. Never throws: the
 * caller turns `busy` / `error` into its own typed error.
 */
export function tryFileLock(path: string, options: FileLockOptions & { readonly waitMs?: number } = {}): Promise<FileLockAttempt> {
  const wait = options.waitMs !== undefined;
  return new Promise((resolve) => {
    const child = childProcess().spawn('perl', ['-e', HOLDER, path, wait ? '1' : '0', options.shared ? '1' : '0', options.unlinkOnRelease ? '1' : '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let settled = false;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    const settle = (r: FileLockAttempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle({ kind: 'busy' });
    }, wait ? options.waitMs : 10_000);
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
