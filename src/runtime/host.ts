/** Facts about the host the spec builder needs as input: our capabilities, hard rlimits, device nodes. */
import { readdir, readFile, lstat } from 'node:fs/promises';
import { CAPABILITIES_BY_NUMBER, RLIMIT_TYPES, type OciDevice } from './oci-spec.js';

/** Capabilities in this process's bounding set (what a container may be given at most). */
export async function boundingCapabilities(): Promise<string[]> {
  const status = await readFile('/proc/self/status', 'utf8');
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  const mask = BigInt(`0x${m?.[1] ?? '0'}`);
  return CAPABILITIES_BY_NUMBER.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

const LIMIT_NAMES: Readonly<Record<string, string>> = {
  'Max cpu time': 'cpu', 'Max file size': 'fsize', 'Max data size': 'data', 'Max stack size': 'stack',
  'Max core file size': 'core', 'Max resident set': 'rss', 'Max processes': 'nproc', 'Max open files': 'nofile',
  'Max locked memory': 'memlock', 'Max address space': 'as', 'Max file locks': 'locks', 'Max pending signals': 'sigpending',
  'Max msgqueue size': 'msgqueue', 'Max nice priority': 'nice', 'Max realtime priority': 'rtprio', 'Max realtime timeout': 'rttime',
};

/** This process's hard limits by docker ulimit name (Infinity = unlimited), from /proc/self/limits. */
export async function hardRlimits(): Promise<Record<string, number>> {
  const text = await readFile('/proc/self/limits', 'utf8');
  const out: Record<string, number> = {};
  for (const line of text.split('\n').slice(1)) {
    const name = Object.keys(LIMIT_NAMES).find((k) => line.startsWith(k));
    if (name === undefined) continue;
    const cols = line.slice(name.length).trim().split(/\s+/);
    const hard = cols[1] === 'unlimited' ? Infinity : Number(cols[1]);
    const key = LIMIT_NAMES[name]!;
    if (RLIMIT_TYPES[key] !== undefined) out[key] = hard;
  }
  return out;
}

function majorOf(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
function minorOf(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

const SKIP_DEVICE_DIRS = new Set(['pts', 'shm', 'mqueue', 'hugepages', 'fd']);

/** Host character and block devices (for --privileged), /dev and one level of subdirectories. */
export async function hostDevices(): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  const visit = async (dir: string, depth: number) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = `${dir}/${n}`;
      const st = await lstat(p).catch(() => undefined);
      if (st === undefined) continue;
      if (st.isDirectory() && depth === 0 && !SKIP_DEVICE_DIRS.has(n)) await visit(p, 1);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        if (p === '/dev/console' || p === '/dev/ptmx' || p === '/dev/tty') continue; // the runtime provides these
        out.push({ path: p, type: st.isCharacterDevice() ? 'c' : 'b', major: majorOf(st.rdev), minor: minorOf(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
      }
    }
  };
  await visit('/dev', 0);
  return out;
}

export async function kernelRelease(): Promise<string> {
  return (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
}

export async function isCgroupV2(): Promise<boolean> {
  return lstat('/sys/fs/cgroup/cgroup.controllers').then(() => true, () => false);
}

export async function selinuxEnabled(): Promise<boolean> {
  return lstat('/sys/fs/selinux/enforce').then(() => true, () => false);
}
