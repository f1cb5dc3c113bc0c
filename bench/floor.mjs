#!/usr/bin/env node
// The floor under the container-start goals of issues 5 and 7, measured in one run against podman:
//   - a Node.js CLI cannot start a container faster than `node -e 0` + a raw `crun run` of the same bundle;
//   - `docker run --rm` through any daemon cannot be faster than the docker CLI against a stand-in that answers
//     create/attach/wait/start instantly (bench/lib/instant-docker-api.mjs) + the raw runtime run.
// Goals: berth run ≤ 0.2× podman and ≤ 2× the raw runtime (issue 5); docker run via berthd ≤ 0.25× podman (issue 7).
// Usage (root, after `npm run build`): node bench/floor.mjs [--n 15]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PODMAN_IMAGE, PODMAN_ULIMITS, havePodman, median, podmanWithImage, rawBundle, timed } from './lib/peers.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--n') + 1] || 15) || 15;
if (process.getuid() !== 0 || !havePodman()) {
  console.error('bench/floor.mjs needs root and podman');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'berth-bench-floor-'));
const suffix = randomBytes(3).toString('hex');
const { testing } = await import(join(root, 'dist/engine/index.js'));
const rootfs = await testing.makeBusyboxRootfs(work);
const podman = podmanWithImage(work, rootfs);
const { bundle, wrap } = rawBundle(work, rootfs);

const socket = join(work, 'instant.sock');
const stub = spawn(process.execPath, [join(root, 'bench/lib/instant-docker-api.mjs'), socket], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error('the instant API stand-in did not start in 10 s')), 10_000);
  stub.stdout.once('data', () => (clearTimeout(timer), ok()));
});
const { NODE_EXTRA_CA_CERTS: _ca, ...plainEnv } = process.env; // bin/berth moves it aside before Node starts
const dockerEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(work, 'docker-config') };

const cases = {
  'podman run --rm --network none (runc)': () => timed(['podman', ...podman, 'run', '--rm', '--network', 'none', ...PODMAN_ULIMITS, PODMAN_IMAGE, 'true']).ms,
  'raw crun run (hybrid wrapper)': (i) => timed([...wrap, 'crun', 'run', '-b', bundle, `floor-crun-${suffix}-${i}`]).ms,
  'raw runc run': (i) => timed(['runc', 'run', '-b', bundle, `floor-runc-${suffix}-${i}`]).ms,
  'node -e 0': () => timed([process.execPath, '-e', '0'], { env: plainEnv }).ms,
  'docker run --rm --network none (instant API)': () => timed(['docker', 'run', '--rm', '--network', 'none', 'busybox', 'true'], { env: dockerEnv }).ms,
};
for (const [k, f] of Object.entries(cases)) f(`warm-${k.length}`);
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < N; i++) for (const [k, f] of Object.entries(cases)) samples[k].push(f(i));
stub.kill('SIGTERM');
const m = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));

const podmanMs = m['podman run --rm --network none (runc)'];
const crun = m['raw crun run (hybrid wrapper)'];
const runc = m['raw runc run'];
const cliFloor = m['node -e 0'] + Math.min(crun, runc);
const dockerFloor = m['docker run --rm --network none (instant API)'] + Math.min(crun, runc);
const lines = [
  `n=${N} per case, alternated; medians, wall-clock ms; load average at end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  '',
  '| case | median ms | min – max |',
  '|---|---|---|',
  ...Object.entries(samples).map(([k, xs]) => `| ${k} | ${m[k].toFixed(1)} | ${Math.min(...xs).toFixed(1)} – ${Math.max(...xs).toFixed(1)} |`),
  '',
  `- issue 5: a Node CLI's floor (node -e 0 + fastest raw runtime) ${cliFloor.toFixed(1)} ms vs the goals 0.2× podman = ${(0.2 * podmanMs).toFixed(1)} ms and 2× raw crun = ${(2 * crun).toFixed(1)} ms: floor/goal **${(cliFloor / Math.min(0.2 * podmanMs, 2 * crun)).toFixed(2)}×**`,
  `- issue 7: docker CLI's floor (instant API + fastest raw runtime) ${dockerFloor.toFixed(1)} ms vs the goal 0.25× podman = ${(0.25 * podmanMs).toFixed(1)} ms: floor/goal **${(dockerFloor / (0.25 * podmanMs)).toFixed(2)}×**`,
];
console.log(lines.join('\n'));
await import('node:child_process').then(({ spawnSync }) => spawnSync('podman', [...podman, 'rm', '-af'], { stdio: 'ignore' }));
rmSync(work, { recursive: true, force: true });
