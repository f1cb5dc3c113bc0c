/**
 * Runs a command inside a composed root, the role bubblewrap plays for rpm-ostree: a private
 * mount namespace (so /dev, /proc and /sys binds vanish with the process, nothing to clean up on
 * the host), a new PID namespace and, by default, no network.
 */
import { exec, type ExecResult } from '../core/index.js';

export interface RunInRootOptions {
  /** Keep the host network (default false: scripts run offline, as in rpm-ostree). */
  readonly network?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly input?: string;
}

const SETUP = [
  'set -e',
  'r="$1"; shift',
  'mount --make-rprivate /',
  'mkdir -p "$r/dev" "$r/proc" "$r/sys" "$r/run" "$r/tmp"',
  'mount --rbind /dev "$r/dev"',
  'mount -t proc proc "$r/proc"',
  'mount --rbind /sys "$r/sys"',
  'mount -t tmpfs tmpfs "$r/run"',
  'mount -t tmpfs tmpfs "$r/tmp"',
  'exec chroot "$r" "$@"',
].join('\n');

export async function runInRoot(root: string, argv: readonly string[], options: RunInRootOptions = {}): Promise<ExecResult> {
  const ns = ['unshare', '--mount', '--pid', '--fork', '--kill-child', ...(options.network ? [] : ['--net'])];
  return exec([...ns, '/bin/sh', '-c', SETUP, 'berth-chroot', root, ...argv], {
    pkg: 'util-linux',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C.UTF-8', HOME: '/root', ...(options.env ?? {}) },
    timeoutMs: options.timeoutMs ?? 20 * 60_000,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
}
