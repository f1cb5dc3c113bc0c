#!/usr/bin/env node
// berthd's Docker Engine API benchmark, in one run on one machine:
//   1. `docker run --rm --network none IMG true` through berthd vs `podman run --rm --network none IMG true`
//      (alternating, whole-process wall time, medians);
//   2. `docker ps -a` and `GET /containers/json?all=1` latency with 100 containers.
// Usage (root, after `npm run build`): node bench/api.mjs [--n 11] [--containers 100] [--skip-podman] [--ps-only] [--dist DIR]
// --ps-only: only part 2 (no `run --rm` comparison; implies --skip-podman).
// --base-dist DIR: a second berthd from another build (e.g. a frozen copy of main), alternated with the first
// in the same rounds: before/after under the same load.
// --both-monitors: a second berthd with BERTH_MONITOR=node (the first one uses the default monitor, conmon when
// installed); its `docker run --rm` alternates with the others.
// Everything lives under a temp dir; berthd gets a private root, socket and bridge; podman its own --root/--runroot.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const N = opt('--n', 11);
const CONTAINERS = opt('--containers', 100);
const psOnly = args.includes('--ps-only');
const bothMonitors = !psOnly && args.includes('--both-monitors');
const skipPodman = psOnly || args.includes('--skip-podman') || spawnSync('which', ['podman']).status !== 0;
const root = new URL('..', import.meta.url).pathname;
// --dist DIR: a build other than dist/ (e.g. one made with `tsc --outDir` while others rebuild dist/)
const distIndex = args.indexOf('--dist');
const dist = distIndex >= 0 ? args[distIndex + 1] : join(root, 'dist');

const work = mkdtempSync(join(tmpdir(), 'bapi-'));
const suffix = randomBytes(3).toString('hex');
const bridge = `ba${suffix}`; // "ba": bench/api (bench/run.mjs uses "bb")
const socket = join(work, 'docker.sock');
writeFileSync(join(work, 'berth.toml'), `[engine]\nbridge = "${bridge}"\nsubnet = "10.${200 + (parseInt(suffix.slice(0, 2), 16) % 50)}.${parseInt(suffix.slice(2, 4), 16)}.0/24"\n`);
const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(work, 'docker-config') };

const { buildBusyboxImage } = await import(join(dist, 'image/index.js'));
const image = await buildBusyboxImage({ dir: join(work, 'img') });

const daemon = spawn(process.execPath, [join(dist, 'daemon/bin.js'), '--root', join(work, 'root'), '--run-root', join(work, 'r'), '--docker-socket', socket, '--config', join(work, 'berth.toml'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
for (let i = 0; i < 400 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
const docker = (...a) => execFileSync('docker', a, { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
docker('load', '-i', image.dockerArchive);
// The Node-monitor daemon: own root, run root, socket and bridge.
const nodeSocket = join(work, 'docker-node.sock');
const nodeBridge = `bn${suffix}`;
const nodeEnv = { ...env, DOCKER_HOST: `unix://${nodeSocket}` };
let nodeDaemon;
if (bothMonitors) {
  writeFileSync(join(work, 'berth-node.toml'), `[engine]\nbridge = "${nodeBridge}"\nsubnet = "10.${200 + ((parseInt(suffix.slice(0, 2), 16) + 1) % 50)}.${parseInt(suffix.slice(2, 4), 16)}.0/24"\n`);
  nodeDaemon = spawn(process.execPath, [join(dist, 'daemon/bin.js'), '--root', join(work, 'root-node'), '--run-root', join(work, 'rn'), '--docker-socket', nodeSocket, '--config', join(work, 'berth-node.toml'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, BERTH_MONITOR: 'node' } });
  for (let i = 0; i < 400 && !existsSync(nodeSocket); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('docker', ['load', '-i', image.dockerArchive], { env: nodeEnv, stdio: 'ignore' });
}

// The base-build daemon: own root, run root, socket and bridge.
const baseDistIndex = args.indexOf('--base-dist');
const baseDist = !psOnly && baseDistIndex >= 0 ? args[baseDistIndex + 1] : undefined;
const baseSocket = join(work, 'docker-base.sock');
const baseBridge = `bz${suffix}`;
const baseEnv = { ...env, DOCKER_HOST: `unix://${baseSocket}` };
let baseDaemon;
if (baseDist !== undefined) {
  writeFileSync(join(work, 'berth-base.toml'), `[engine]\nbridge = "${baseBridge}"\nsubnet = "10.${200 + ((parseInt(suffix.slice(0, 2), 16) + 2) % 50)}.${parseInt(suffix.slice(2, 4), 16)}.0/24"\n`);
  baseDaemon = spawn(process.execPath, [join(baseDist, 'daemon/bin.js'), '--root', join(work, 'root-base'), '--run-root', join(work, 'rb'), '--docker-socket', baseSocket, '--config', join(work, 'berth-base.toml'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 400 && !existsSync(baseSocket); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('docker', ['load', '-i', image.dockerArchive], { env: baseEnv, stdio: 'ignore' });
}

const podmanArgs = ['--root', join(work, 'podman-root'), '--runroot', join(work, 'podman-run'), '--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];
const ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];
if (!skipPodman) execFileSync('podman', [...podmanArgs, 'load', '-i', image.dockerArchive], { stdio: 'ignore' });

function timed(cmd, argv, e) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env: e, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  return s;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => x.toFixed(3);

// warm-up
if (!psOnly) timed('docker', ['run', '--rm', '--network', 'none', image.tag, 'true'], env);
if (bothMonitors) timed('docker', ['run', '--rm', '--network', 'none', image.tag, 'true'], nodeEnv);
if (baseDaemon) timed('docker', ['run', '--rm', '--network', 'none', image.tag, 'true'], baseEnv);
const nodeRuns = [];
const baseRuns = [];
if (!skipPodman) timed('podman', [...podmanArgs, 'run', '--rm', '--network', 'none', ...ULIMITS, image.tag, 'true'], process.env);
const berthRuns = [];
const podmanRuns = [];
for (let i = 0; i < (psOnly ? 0 : N); i++) {
  berthRuns.push(timed('docker', ['run', '--rm', '--network', 'none', image.tag, 'true'], env));
  if (bothMonitors) nodeRuns.push(timed('docker', ['run', '--rm', '--network', 'none', image.tag, 'true'], nodeEnv));
  if (baseDaemon) baseRuns.push(timed('docker', ['run', '--rm', '--network', 'none', image.tag, 'true'], baseEnv));
  if (!skipPodman) podmanRuns.push(timed('podman', [...podmanArgs, 'run', '--rm', '--network', 'none', ...ULIMITS, image.tag, 'true'], process.env));
}

// docker ps with CONTAINERS containers
for (let i = 0; i < CONTAINERS; i += 10) {
  await Promise.all(Array.from({ length: Math.min(10, CONTAINERS - i) }, (_, j) => new Promise((resolve, reject) => {
    const c = spawn('docker', ['create', '--network', 'none', '--name', `ps${i + j}`, image.tag, 'true'], { env, stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`create ps${i + j} failed`))));
  })));
}
const apiGet = (path) => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint();
  const req = request({ socketPath: socket, path }, (res) => {
    res.resume();
    res.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  });
  req.on('error', reject);
  req.end();
});
const count = JSON.parse(await new Promise((resolve) => {
  request({ socketPath: socket, path: '/v1.50/containers/json?all=1' }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b)); }).end();
})).length;
const apiMs = [];
for (let i = 0; i < 21; i++) apiMs.push(await apiGet('/v1.50/containers/json?all=1'));
const psRuns = [];
for (let i = 0; i < 11; i++) psRuns.push(timed('docker', ['ps', '-a'], env));

// cleanup
spawnSync('sh', ['-c', 'docker rm -f $(docker ps -aq) >/dev/null 2>&1'], { env });
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
spawnSync('ip', ['link', 'del', 'dev', bridge]);
if (nodeDaemon) {
  nodeDaemon.kill('SIGTERM');
  await new Promise((r) => nodeDaemon.once('exit', r));
  spawnSync('ip', ['link', 'del', 'dev', nodeBridge]);
}
if (baseDaemon) {
  baseDaemon.kill('SIGTERM');
  await new Promise((r) => baseDaemon.once('exit', r));
  spawnSync('ip', ['link', 'del', 'dev', baseBridge]);
}
if (!skipPodman) spawnSync('podman', [...podmanArgs, 'system', 'reset', '-f'], { stdio: 'ignore' });
spawnSync('sh', ['-c', `grep -F '${work}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l`]);
rmSync(work, { recursive: true, force: true });

const b = psOnly ? NaN : median(berthRuns);
const lines = [
  `## Docker API (berthd): docker run --rm vs podman, docker ps latency — ${new Date().toISOString().slice(0, 16)}Z`,
  '',
  `Command: \`node bench/api.mjs ${psOnly ? '--ps-only' : `--n ${N}`} --containers ${CONTAINERS}${baseDist ? ' --base-dist BASE' : ''}\` (root). docker CLI 28.2.2 → berthd (the engine's default`,
  `runtime: crun, through the hybrid-cgroup wrapper on this host) vs podman ${skipPodman ? '(not installed: skipped)' : '4.3.1 (--runtime runc, cgroupfs, --ulimit nofile/nproc as this host needs)'}, both \`--network none\`,`,
  'busybox test image; whole-process wall time, alternating, medians. Load average at the end: ' + loadavg().map((x) => x.toFixed(2)).join(' ') + '.',
  '',
  '| measurement | median | runs |',
  '|---|---|---|',
  ...(psOnly ? [] : [`| \`docker run --rm --network none IMG true\` via berthd | ${fmt(b)} s | ${berthRuns.map(fmt).join(', ')} |`]),
  ...(baseDaemon ? [`| \`docker run --rm --network none IMG true\` via berthd of the base build | ${fmt(median(baseRuns))} s | ${baseRuns.map(fmt).join(', ')} |`] : []),
  ...(bothMonitors ? [`| \`docker run --rm --network none IMG true\` via berthd, BERTH_MONITOR=node | ${fmt(median(nodeRuns))} s | ${nodeRuns.map(fmt).join(', ')} |`] : []),
  ...(skipPodman ? [] : [`| \`podman run --rm --network none IMG true\` | ${fmt(median(podmanRuns))} s | ${podmanRuns.map(fmt).join(', ')} |`]),
  `| \`GET /containers/json?all=1\` with ${count} containers | ${median(apiMs).toFixed(1)} ms | ${apiMs.map((x) => x.toFixed(1)).join(', ')} |`,
  `| \`docker ps -a\` (whole CLI process) with ${count} containers | ${(median(psRuns) * 1000).toFixed(0)} ms | ${psRuns.map((x) => (x * 1000).toFixed(0)).join(', ')} |`,
  '',
  skipPodman ? '' : `Ratio berthd / podman for \`run --rm\`: **${(b / median(podmanRuns)).toFixed(2)}×** (goal ≤ 0.25×). \`ps\` API latency goal: under 50 ms.`,
  baseDaemon ? `This build / base build for \`run --rm\` via berthd: **${(b / median(baseRuns)).toFixed(2)}×**${skipPodman ? '' : `; base build / podman: **${(median(baseRuns) / median(podmanRuns)).toFixed(2)}×**`}.` : '',
  bothMonitors ? `Ratio default monitor / Node monitor for \`run --rm\` via berthd: **${(b / median(nodeRuns)).toFixed(2)}×**${skipPodman ? '' : `; Node monitor / podman: **${(median(nodeRuns) / median(podmanRuns)).toFixed(2)}×**`}.` : '',
  '',
];
process.stdout.write(lines.join('\n'));
