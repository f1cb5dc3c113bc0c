#!/usr/bin/env node
// Fixed cost of starting a berth CLI command (issues 4 and 5): modules loaded, wall and CPU per verb.
//
//   node bench/startup.mjs [--runs=15] [--compare=DIR] [--only=CASE,…] [--no-append]
//
// Cases: `node -e 0` (Node's own start), `berth --version`, `berth ps`, `berth images`, `berth ostree refs`,
// `berth ostree pull` of a small update (300 files, v2 changes 20) from `berth repo serve` on 127.0.0.1 next to
// the real `ostree pull` of the same update, and as root `berth run --rm --network none IMG true`.
// Every berth case runs through bin/berth, as users run it. --compare=DIR adds the same cases for another build
// (DIR/bin/berth + DIR/dist, e.g. a frozen copy of main), alternated with this one in every round.
// Timing: a small Python runner forks each command and reads wait4()'s rusage (user + system CPU of the process
// and the children it waited for, microseconds) and the wall time around it; preparation steps (a fresh copy of the
// client repository before each pull) are not timed. Modules: one extra run per case with the load-trace hook
// (dist/cli/testing/load-trace.js) counts the ESM files, builtins and package entry points the verb loads.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { privateBerthEnv } from './lib/peers.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=') ?? dflt;
const RUNS = Math.max(1, Number(opt('runs', '15')));
const ONLY = opt('only', '').split(',').filter(Boolean);
const COMPARE = opt('compare', '');
const APPEND = !args.includes('--no-append');
const isRoot = process.getuid() === 0;
const log = (m) => process.stderr.write(`${m}\n`);

function sh(argv, options = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').slice(0, 2000)}`);
  return r.stdout;
}

// Private copies of bin/ and dist/ (a rebuild in the middle of a run cannot change what is measured).
const work = mkdtempSync(join(tmpdir(), 'berth-bench-startup-'));
const builds = [];
function snapshot(label, from) {
  const dir = join(work, `build-${label}`);
  mkdirSync(dir);
  sh(['cp', '-a', join(from, 'dist'), join(dir, 'dist')]);
  sh(['cp', '-a', join(from, 'bin'), join(dir, 'bin')]);
  sh(['cp', join(from, 'package.json'), join(dir, 'package.json')]);
  // the builds resolve npm packages through this checkout's node_modules
  sh(['ln', '-s', join(root, 'node_modules'), join(dir, 'node_modules')]);
  builds.push({ label, dir, berth: join(dir, 'bin/berth') });
}
snapshot('this', root);
if (COMPARE !== '') snapshot('compare', resolve(COMPARE));
const TRACE_HOOK = join(builds[0].dir, 'dist/cli/testing/load-trace.js');

const { env } = privateBerthEnv(work, 'bs');
delete env.NODE_OPTIONS;

// ---- a small update: 300 files in 30 directories; v2 modifies 10, adds 5, removes 5 -------------------------
const tree = join(work, 'tree');
for (let d = 0; d < 30; d++) {
  mkdirSync(join(tree, `d${d}`), { recursive: true });
  for (let f = 0; f < 10; f++) writeFileSync(join(tree, `d${d}`, `f${f}`), `${d}/${f} `.repeat(50 + d * 10 + f));
}
const server = join(work, 'server');
sh(['ostree', 'init', `--repo=${server}`, '--mode=archive']);
sh(['ostree', 'commit', `--repo=${server}`, '-b', 'os', '-s', 'v1', '--timestamp=2026-01-01 00:00:00 +0000', `--tree=dir=${tree}`]);
const V1 = sh(['ostree', 'rev-parse', `--repo=${server}`, 'os']).trim();
for (let i = 0; i < 10; i++) writeFileSync(join(tree, `d${i * 3}`, 'f1'), `changed ${i}`.repeat(100));
for (let i = 0; i < 5; i++) writeFileSync(join(tree, `d${i * 5}`, 'new'), `new ${i}`.repeat(100));
for (let i = 0; i < 5; i++) rmSync(join(tree, `d${i * 5 + 1}`, 'f2'));
sh(['ostree', 'commit', `--repo=${server}`, '-b', 'os', '-s', 'v2', '--timestamp=2026-01-02 00:00:00 +0000', `--tree=dir=${tree}`]);
sh(['ostree', 'summary', '-u', `--repo=${server}`]);
const V2 = sh(['ostree', 'rev-parse', `--repo=${server}`, 'os']).trim();

// berth repo serve on a kernel-chosen loopback port (this checkout's build; not measured)
const serve = spawn(builds[0].berth, ['repo', 'serve', server, '--port=0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((ok, fail) => {
  let out = '';
  serve.stdout.on('data', (b) => {
    out += b;
    const m = / on (http:\/\/\S+)/.exec(out);
    if (m) ok(m[1].endsWith('/') ? m[1] : `${m[1]}/`);
  });
  serve.on('exit', (code) => fail(new Error(`berth repo serve exited (${code})`)));
  setTimeout(() => fail(new Error('berth repo serve did not start in 20 s')), 20_000).unref();
});
const clientV1 = join(work, 'client-v1');
sh(['ostree', 'init', `--repo=${clientV1}`, '--mode=bare-user']);
sh(['ostree', 'remote', 'add', `--repo=${clientV1}`, '--no-gpg-verify', 'origin', url]);
sh(['ostree', 'pull', `--repo=${clientV1}`, 'origin', V1]);
sh(['ostree', 'refs', `--repo=${clientV1}`, '--create=origin:os', V1]);
const scratch = join(work, 'client');
const freshClient = ['sh', '-c', `rm -rf '${scratch}' && cp -a '${clientV1}' '${scratch}'`];

// ---- a container image for run --rm (root only) ----------------------------------------------------------
// Two: the engine tests' plain rootfs image (LocalImages) and a docker-archive loaded into the image store with
// `berth load`, as users get images (its run also loads the image store).
let IMG;
const STORE_IMG = 'localhost/bench-startup:latest';
if (isRoot) {
  const { testing, LocalImages } = await import(join(builds[0].dir, 'dist/engine/index.js'));
  IMG = testing.TEST_IMAGE;
  const rootfs = await testing.makeBusyboxRootfs(work);
  await new LocalImages(env.BERTH_ROOT).add(IMG, rootfs, testing.TEST_IMAGE_CONFIG);
  const { buildBusyboxImage } = await import(join(builds[0].dir, 'dist/image/index.js'));
  const built = await buildBusyboxImage({ dir: join(work, 'image'), tag: STORE_IMG });
  sh([builds[0].berth, 'load', '-i', built.dockerArchive], { env });
}

// ---- cases ------------------------------------------------------------------------------------------------------
const cases = [{ id: 'node', what: '`node -e 0` (Node start, no berth)', argv: () => ['env', '-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '-e', '0'], peer: true }];
const verbCases = [
  { id: 'version', what: '`berth --version`', args: ['--version'] },
  { id: 'ps', what: '`berth ps`', args: ['ps'] },
  { id: 'images', what: '`berth images`', args: ['images'] },
  { id: 'ostree-refs', what: '`berth ostree refs`', args: ['ostree', 'refs', `--repo=${clientV1}`] },
  { id: 'ostree-pull', what: '`berth ostree pull` (300-file tree, 20 files changed)', args: ['ostree', 'pull', `--repo=${scratch}`, '--progress=none', 'origin', 'os'], prep: freshClient, check: true },
  ...(isRoot ? [
    { id: 'run-rm', what: '`berth run --rm --network none IMG true` (rootfs image)', args: ['run', '--rm', '--network', 'none', IMG, 'true'] },
    { id: 'run-rm-store', what: '`berth run --rm --network none IMG true` (image from `berth load`)', args: ['run', '--rm', '--network', 'none', STORE_IMG, 'true'] },
  ] : []),
];
cases.push({ id: 'ostree-pull-peer', what: '`ostree pull` (same update, the peer)', argv: () => ['ostree', 'pull', `--repo=${scratch}`, 'origin', 'os'], prep: freshClient, check: true, peer: true });
for (const b of builds) {
  for (const c of verbCases) cases.push({ ...c, id: `${c.id}@${b.label}`, build: b, argv: () => [b.berth, ...c.args] });
}
const selected = cases.filter((c) => ONLY.length === 0 || ONLY.some((o) => c.id === o || c.id.startsWith(`${o}@`)));

// ---- modules per case (one traced run each) -----------------------------------------------------------------
const modules = {};
for (const c of selected.filter((x) => !x.peer)) {
  if (c.prep) sh(c.prep);
  const traceFile = join(work, `trace-${c.id}`);
  rmSync(traceFile, { force: true });
  const [, ...rest] = c.argv();
  const entry = join(c.build.dir, 'dist/cli/bin.js');
  sh([process.execPath, '--import', TRACE_HOOK, entry, ...rest.slice(0)], { env: { ...env, BERTH_LOAD_TRACE: traceFile } });
  const urls = readFileSync(traceFile, 'utf8').split('\n').filter(Boolean);
  modules[c.id] = {
    total: urls.length,
    berth: urls.filter((u) => u.includes('/dist/')).length,
    builtin: urls.filter((u) => u.startsWith('node:')).length,
    packages: [...new Set(urls.filter((u) => u.includes('/node_modules/')).map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)[1]))],
  };
}

// ---- timing: a Python runner (wait4 rusage) ---------------------------------------------------------------------
const RUNNER = String.raw`
import json, os, sys, time
plan = json.load(sys.stdin)
env = plan['env']
out = []
for step in plan['steps']:
    if step.get('prep'):
        pid = os.fork()
        if pid == 0:
            os.execvpe(step['prep'][0], step['prep'], env)
        _, st, _ = os.wait4(pid, 0)
        if st != 0: sys.exit('prep failed: %r' % step['prep'])
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open('/dev/null', os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execvpe(step['argv'][0], step['argv'], env)
    _, st, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    out.append({'id': step['id'], 'status': os.waitstatus_to_exitcode(st), 'wall': wall, 'cpu': ru.ru_utime + ru.ru_stime, 'load': os.getloadavg()[0]})
json.dump(out, sys.stdout)
`;
const steps = [];
for (const c of selected) steps.push({ id: c.id, argv: c.argv(), prep: c.prep }); // warm-up round (dropped)
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 === 0 ? selected : [...selected].reverse();
  for (const c of order) steps.push({ id: c.id, argv: c.argv(), prep: c.prep, round: i });
}
log(`bench: ${selected.length} cases × ${RUNS} runs (+1 warm-up)…`);
const t0 = Date.now();
const raw = JSON.parse(sh(['python3', '-c', RUNNER], { input: JSON.stringify({ env, steps }) }));
const elapsed = (Date.now() - t0) / 1000;
const failed = raw.filter((r) => r.status !== 0);
if (failed.length > 0) throw new Error(`failed runs: ${JSON.stringify(failed.slice(0, 5))}`);
// the last pull left v2 behind
if (selected.some((c) => c.check)) {
  const got = sh(['ostree', 'rev-parse', `--repo=${scratch}`, 'origin:os']).trim();
  if (got !== V2) throw new Error(`pull ended at ${got}, want ${V2}`);
  sh(['ostree', 'fsck', `--repo=${scratch}`]);
}
const timedRuns = raw.slice(selected.length);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loads = timedRuns.map((r) => r.load);
const rows = selected.map((c) => {
  const rs = timedRuns.filter((r) => r.id === c.id);
  return { c, wall: median(rs.map((r) => r.wall)) * 1000, cpu: median(rs.map((r) => r.cpu)) * 1000, wmin: Math.min(...rs.map((r) => r.wall)) * 1000, wmax: Math.max(...rs.map((r) => r.wall)) * 1000, m: modules[c.id] };
});

// ---- report --------------------------------------------------------------------------------------------------
const commit = sh(['git', '-C', root, 'rev-parse', '--short', 'HEAD']).trim();
const dirty = sh(['git', '-C', root, 'status', '--porcelain', '--untracked-files=no']).trim() !== '' ? '+dirty' : '';
const lines = [];
lines.push(`## CLI start: modules and CPU per verb (bench/startup.mjs) — ${new Date().toISOString().slice(0, 16)}Z`);
lines.push('');
lines.push(`Command: \`node bench/startup.mjs ${args.join(' ')}\` · build ${commit}${dirty}${COMPARE ? ` (this) vs ${COMPARE} (compare)` : ''} · ${cpus().length} vCPU · Node ${process.version} · ${isRoot ? 'root' : 'non-root'}`);
lines.push(`Medians of ${RUNS} runs per case, cases alternated in every round; wall ms (min–max) and CPU ms (user + system, wait4 rusage). 1-min load average during the runs: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (median ${median(loads).toFixed(1)}); the whole series took ${elapsed.toFixed(0)} s.`);
lines.push('');
lines.push('| case | build | modules (berth / builtin / packages) | wall ms | min – max | CPU ms |');
lines.push('|---|---|---|---|---|---|');
for (const r of rows) {
  const m = r.m ? `${r.m.total} (${r.m.berth} / ${r.m.builtin} / ${r.m.packages.length ? r.m.packages.join(', ') : '–'})` : '–';
  lines.push(`| ${r.c.what} | ${r.c.build?.label ?? 'peer'} | ${m} | ${r.wall.toFixed(0)} | ${r.wmin.toFixed(0)} – ${r.wmax.toFixed(0)} | ${r.cpu.toFixed(0)} |`);
}
const text = lines.join('\n');
console.log(text);
if (APPEND) appendFileSync(join(root, 'bench/RESULTS.md'), `\n${text}\n`);

// ---- cleanup -------------------------------------------------------------------------------------------------------
serve.kill('SIGTERM');
await new Promise((r) => serve.once('exit', r));
if (isRoot) {
  spawnSync('ip', ['link', 'del', 'dev', env.BERTH_BRIDGE], { stdio: 'ignore' });
  spawnSync('sh', ['-c', `grep -F '${work}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
}
rmSync(work, { recursive: true, force: true });
if (existsSync(work)) log(`bench: could not remove ${work}`);
