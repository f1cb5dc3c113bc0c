// Peer setups shared by the container benchmarks: podman with a private store, and a raw OCI bundle for crun/runc
// (with the hybrid-cgroup wrapper crun 1.8 needs on this kind of host). Root only.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const PODMAN_ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];
export const PODMAN_IMAGE = 'localhost/bench-busybox:latest';

export const havePodman = () => spawnSync('which', ['podman']).status === 0;

/** podman's global options for a store under `work`, with the busybox rootfs imported as PODMAN_IMAGE. */
export function podmanWithImage(work, rootfs) {
  const args = ['--root', join(work, 'podman-root'), '--runroot', join(work, 'podman-run'), '--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];
  const tarPath = join(work, 'podman-img.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tarPath, '.']);
  execFileSync('podman', [...args, 'import', '--change', 'CMD ["/bin/sh"]', tarPath, PODMAN_IMAGE], { stdio: 'ignore' });
  return args;
}

/** A bundle from `crun spec` running /bin/true in a copy of rootfs; `wrap` is the argv prefix crun needs here. */
export function rawBundle(work, rootfs) {
  const bundle = join(work, 'bundle');
  mkdirSync(bundle);
  execFileSync('cp', ['-a', rootfs, join(bundle, 'rootfs')]);
  execFileSync('crun', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.args = ['/bin/true'];
  spec.process.terminal = false;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const controllers = '/sys/fs/cgroup/unified/cgroup.controllers';
  const hybrid = existsSync(controllers) && readFileSync(controllers, 'utf8').trim() !== '';
  const wrap = hybrid ? ['unshare', '-m', 'sh', '-c', `mount --bind /dev/null ${controllers} && exec "$@"`, 'sh'] : [];
  return { bundle, wrap };
}

/** Wall-clock ms of one process run to completion; throws with its stderr when it fails. */
export function timed(argv, options = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, out: r.stdout.toString() };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Environment for a berth CLI with its own state under `work` and a private bridge (`<prefix><random hex>`, a
 * random /24 in 10.150–199.x): benchmarks never touch the machine's berth state or each other's bridges.
 */
export function privateBerthEnv(work, bridgePrefix) {
  const suffix = randomBytes(3).toString('hex');
  const env = {
    ...process.env,
    BERTH_ROOT: join(work, 'root'),
    BERTH_RUNROOT: join(work, 'run'),
    BERTH_BRIDGE: `${bridgePrefix}${suffix}`,
    BERTH_SUBNET: `10.${150 + (parseInt(suffix.slice(0, 2), 16) % 50)}.${parseInt(suffix.slice(2, 4), 16)}.0/24`,
  };
  return { env, suffix };
}
