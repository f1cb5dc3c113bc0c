#!/usr/bin/env node
// Container start benchmark: `berth run --rm IMG true` against `podman run --rm IMG true` and raw `crun run` /
// `runc run` of an equivalent bundle; a detached start + forced remove cycle; idle memory per running container.
// Runs are alternated A/B/… per iteration; medians reported with min–max. Root only (namespaces, cgroups).
//   node bench/run.mjs [--n 15] [--skip-podman] [--both-monitors] [--base-dist DIR]
// --base-dist DIR: `berth run --rm --network none` of another build (e.g. a frozen copy of main, on its own
// state root) alternated with this build's in the same rounds: before/after under the same load.
// BERTH_MONITOR=node|conmon picks berth's monitor; --both-monitors adds the Node monitor's cases (and idle
// memory) next to the default's, alternated in the same rounds.
// Everything lives under a temp dir; a private bridge with a random suffix; podman gets its own --root/--runroot.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { PODMAN_IMAGE, PODMAN_ULIMITS, podmanWithImage, privateBerthEnv, rawBundle, timed as timedProcess } from './lib/peers.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = process.env.BERTH_DIST ?? join(root, 'dist');
const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--n') + 1] || 15) || 15;
const bothMonitors = args.includes('--both-monitors');
const baseDist = args.includes('--base-dist') ? args[args.indexOf('--base-dist') + 1] : undefined;
const skipPodman = args.includes('--skip-podman') || spawnSync('which', ['podman']).status !== 0;
if (process.getuid() !== 0) {
  console.error('bench/run.mjs needs root');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'berth-bench-run-'));
const { env, suffix } = privateBerthEnv(work, 'bb');
const berthBin = [process.execPath, join(dist, 'cli/bin.js')];
const { testing, LocalImages } = await import(join(dist, 'engine/index.js'));
const IMG = testing.TEST_IMAGE;

// Image: busybox rootfs into berth's local images; the same rootfs as a docker-archive for podman.
const rootfs = await testing.makeBusyboxRootfs(work);
await new LocalImages(env.BERTH_ROOT).add(IMG, rootfs, testing.TEST_IMAGE_CONFIG);

const podmanArgs = skipPodman ? [] : podmanWithImage(work, rootfs);
const ULIMITS = PODMAN_ULIMITS;

// Raw bundle: `crun spec` defaults, rootfs = the busybox tree, /bin/true, no terminal.
const { bundle, wrap } = rawBundle(work, rootfs);

const nodeEnv = { ...env, BERTH_MONITOR: 'node' };
const baseEnv = { ...env, BERTH_ROOT: join(work, 'root-base'), BERTH_RUNROOT: join(work, 'run-base') };
if (baseDist !== undefined) await new LocalImages(baseEnv.BERTH_ROOT).add(IMG, rootfs, testing.TEST_IMAGE_CONFIG);
const timed = (argv, options = {}) => timedProcess(argv, { env, ...options });

const cases = {
  'berth run --rm (bridge)': () => timed([...berthBin, 'run', '--rm', IMG, 'true']).ms,
  'berth run --rm --network none': () => timed([...berthBin, 'run', '--rm', '--network', 'none', IMG, 'true']).ms,
  'berth run --rm --network none --runtime runc': () => timed([...berthBin, 'run', '--rm', '--network', 'none', '--runtime', 'runc', IMG, 'true']).ms,
  'raw crun run (hybrid wrapper)': (i) => timed([...wrap, 'crun', 'run', '-b', bundle, `bench-crun-${suffix}-${i}`]).ms,
  'raw runc run': (i) => timed(['runc', 'run', '-b', bundle, `bench-runc-${suffix}-${i}`]).ms,
  'berth run -d + rm -f cycle (bridge)': () => {
    const a = timed([...berthBin, 'run', '-d', IMG, 'sleep', '1000']);
    return a.ms + timed([...berthBin, 'rm', '-f', a.out.trim()]).ms;
  },
  'berth run -d + rm -f cycle (none)': () => {
    const a = timed([...berthBin, 'run', '-d', '--network', 'none', IMG, 'sleep', '1000']);
    return a.ms + timed([...berthBin, 'rm', '-f', a.out.trim()]).ms;
  },
};
if (bothMonitors) {
  Object.assign(cases, {
    'berth run --rm --network none [node monitor]': () => timed([...berthBin, 'run', '--rm', '--network', 'none', IMG, 'true'], { env: nodeEnv }).ms,
    'berth run -d + rm -f cycle (none) [node monitor]': () => {
      const a = timed([...berthBin, 'run', '-d', '--network', 'none', IMG, 'sleep', '1000'], { env: nodeEnv });
      return a.ms + timed([...berthBin, 'rm', '-f', a.out.trim()], { env: nodeEnv }).ms;
    },
  });
}
if (baseDist !== undefined) {
  cases['berth run --rm --network none [base build]'] = () => timed([process.execPath, join(baseDist, 'cli/bin.js'), 'run', '--rm', '--network', 'none', IMG, 'true'], { env: baseEnv }).ms;
}
if (!skipPodman) {
  Object.assign(cases, {
    'podman run --rm --network none (runc)': () => timed(['podman', ...podmanArgs, 'run', '--rm', '--network', 'none', ...ULIMITS, PODMAN_IMAGE, 'true']).ms,
    'podman run -d + rm -f -t 0 cycle (none, runc)': () => {
      const a = timed(['podman', ...podmanArgs, 'run', '-d', '--network', 'none', ...ULIMITS, PODMAN_IMAGE, 'sleep', '1000']);
      return a.ms + timed(['podman', ...podmanArgs, 'rm', '-f', '-t', '0', a.out.trim()]).ms;
    },
  });
}

// Warm-up once each, then N alternated rounds.
for (const f of Object.values(cases)) f('warm');
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < N; i++) for (const [k, f] of Object.entries(cases)) samples[k].push(f(i));
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = Object.entries(samples).map(([k, xs]) => ({ k, med: med(xs), min: Math.min(...xs), max: Math.max(...xs) }));
const get = (k) => rows.find((r) => r.k === k)?.med;

// Idle memory: 5 detached sleepers, PSS/RSS of each monitor and of the runtime process it parents.
function pss(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss: Number(/^Rss:\s+(\d+)/m.exec(t)[1]), pss: Number(/^Pss:\s+(\d+)/m.exec(t)[1]) };
  } catch {
    return { rss: 0, pss: 0 };
  }
}
async function idleMemory(runEnv) {
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(timed([...berthBin, 'run', '-d', '--network', 'none', IMG, 'sleep', '1000'], { env: runEnv }).out.trim());
  await new Promise((r) => setTimeout(r, 1500));
  const mem = [];
  for (const id of ids) {
    const st = JSON.parse(readFileSync(join(env.BERTH_ROOT, 'containers', id, 'state.json'), 'utf8'));
    // The Node monitor parents a foreground `crun run`; conmon parents the container process itself (not counted twice).
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(st.monitorPid)]).toString().trim().split(/\s+/).map(Number).filter((p) => p > 0 && p !== st.pid);
    const m = pss(st.monitorPid);
    const rt = children.map(pss).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
    const c = pss(st.pid);
    mem.push({ monitor: m, runtime: rt, container: c });
  }
  timed([...berthBin, 'rm', '-f', ...ids], { env: runEnv });
  return mem;
}
const memories = [[process.env.BERTH_MONITOR ?? 'default', await idleMemory(env)]];
if (bothMonitors) memories.push(['node', await idleMemory(nodeEnv)]);
const avgOf = (mem) => (f) => mem.reduce((a, x) => a + f(x), 0) / mem.length / 1024;

const lines = [];
lines.push(`monitor: ${process.env.BERTH_MONITOR ?? 'default'}; n=${N} per case, alternated; medians (min–max), wall-clock ms; load average at end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
lines.push('');
lines.push('| case | median ms | min – max |');
lines.push('|---|---|---|');
for (const r of rows) lines.push(`| ${r.k} | ${r.med.toFixed(0)} | ${r.min.toFixed(0)} – ${r.max.toFixed(0)} |`);
lines.push('');
const ratio = (a, b) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : 'n/a');
lines.push(`- berth run --rm (none, runc) / podman run --rm (none, runc): **${ratio(get('berth run --rm --network none --runtime runc'), get('podman run --rm --network none (runc)'))}×**`);
lines.push(`- berth run --rm (none, crun) / podman run --rm (none, runc): **${ratio(get('berth run --rm --network none'), get('podman run --rm --network none (runc)'))}×**`);
lines.push(`- berth run --rm (none, crun) / raw crun run: **${ratio(get('berth run --rm --network none'), get('raw crun run (hybrid wrapper)'))}×**`);
lines.push(`- berth run --rm (none, runc) / raw runc run: **${ratio(get('berth run --rm --network none --runtime runc'), get('raw runc run'))}×**`);
lines.push(`- detached cycle berth (none) / podman (none): **${ratio(get('berth run -d + rm -f cycle (none)'), get('podman run -d + rm -f -t 0 cycle (none, runc)'))}×**`);
if (baseDist !== undefined) {
  lines.push(`- berth run --rm (none, crun), this build / base build: **${ratio(get('berth run --rm --network none'), get('berth run --rm --network none [base build]'))}×**; base build / podman (runc): **${ratio(get('berth run --rm --network none [base build]'), get('podman run --rm --network none (runc)'))}×**`);
}
if (bothMonitors) {
  lines.push(`- berth run --rm (none, crun), default monitor / Node monitor: **${ratio(get('berth run --rm --network none'), get('berth run --rm --network none [node monitor]'))}×**`);
  lines.push(`- detached cycle (none), default monitor / Node monitor: **${ratio(get('berth run -d + rm -f cycle (none)'), get('berth run -d + rm -f cycle (none) [node monitor]'))}×**`);
}
for (const [label, mem] of memories) {
  const avg = avgOf(mem);
  lines.push(`- idle memory per container, ${label} monitor (5 sleepers, crun): monitor PSS ${avg((x) => x.monitor.pss).toFixed(1)} MiB (RSS ${avg((x) => x.monitor.rss).toFixed(1)} MiB), runtime parent PSS ${avg((x) => x.runtime.pss).toFixed(1)} MiB (RSS ${avg((x) => x.runtime.rss).toFixed(1)} MiB), container PSS ${avg((x) => x.container.pss).toFixed(1)} MiB`);
}
console.log(lines.join('\n'));

if (!skipPodman) spawnSync('podman', [...podmanArgs, 'rm', '-af'], { stdio: 'ignore' });
spawnSync('ip', ['link', 'del', 'dev', env.BERTH_BRIDGE], { stdio: 'ignore' });
spawnSync('sh', ['-c', `grep -F '${work}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
rmSync(work, { recursive: true, force: true });
