#!/usr/bin/env node
// Benchmark: network updates, berth vs the real `ostree` in one run, same trees, same server.
//
//   node bench/pull.mjs [--runs=3] [--initial-runs=1] [--no-append] [--only=CASE,…] [--fs=loop|dir]
//
// Trees: bench/tree.mjs (≈27k files, v2 = 2 % modified, 250 removed, 250 added; cached in bench/work/).
// Setup (never timed, cached in bench/work/pull/): an archive repo with v1 (ref bench/v1) and
// v2 (ref bench/os, parent v1) committed by ostree; two copies of it, one delta'd by
// `ostree static-delta generate` (+ `ostree summary -u`), one by `berth ostree static-delta
// generate` (+ berth's summary). Both are served by one in-process static HTTP server (HTTP/1.1,
// keep-alive) on 127.0.0.1 that counts requests and bytes per run. Delta generation is timed too.
// Clients are fresh bare-user repos (initial) or copies of a bare-user repo holding v1 with
// refs/remotes/origin/bench/os = v1 (updates). Wall time covers the whole `pull` process.
// --fs=loop (the default when root with mkfs.ext4): each client repo is on its own fresh ext4 loop mount,
// copied there and synced before the timed pull (see bench/lib/fresh-fs.mjs for why); --fs=dir: hardlinked
// copies in one scratch dir on the root fs, each deleted after its run.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { canLoopMount, freshFilesystems } from './lib/fresh-fs.mjs';
import { ensureTrees } from './tree.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const work = join(root, 'bench/work');
const pw = join(work, 'pull');
const args = process.argv.slice(2);
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const RUNS = Math.max(1, Number(opt('runs', '3')));
const INITIAL_RUNS = Math.max(1, Number(opt('initial-runs', '1')));
const ONLY = opt('only', '').split(',').filter(Boolean);
const APPEND = !args.includes('--no-append');
const FS = opt('fs', canLoopMount() ? 'loop' : 'dir');
if (FS !== 'loop' && FS !== 'dir') throw new Error(`--fs=${FS}: expected loop or dir`);
const TIMESTAMP2 = '2026-01-02 00:00:00 +0000';
// A private copy of bin/ and dist/, so a rebuild by someone else in the middle of a run cannot change what is
// measured. berth runs as users run it, through bin/berth (which keeps Node from parsing NODE_EXTRA_CA_CERTS).
const SNAP = join(work, 'pull', 'snapshot');
const DIST = join(SNAP, 'dist');
rmSync(join(work, 'pull', 'dist-snapshot'), { recursive: true, force: true });
rmSync(SNAP, { recursive: true, force: true });
mkdirSync(SNAP, { recursive: true });
spawnSync('cp', ['-a', join(root, 'dist'), DIST]);
spawnSync('cp', ['-a', join(root, 'bin'), join(SNAP, 'bin')]);
const BERTH = [join(SNAP, 'bin/berth'), 'ostree'];
const log = (m) => process.stderr.write(`${m}\n`);

function sh(argv, options = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').slice(0, 2000)}`);
  return r.stdout;
}

/** Async run (the server lives in this process), wall-clock timed. */
function timed(argv) {
  return new Promise((resolveRun, reject) => {
    const t0 = process.hrtime.bigint();
    // GNU time reports the child's CPU seconds (user + system) on its last stderr line
    const child = spawn('/usr/bin/time', ['-f', '\nBENCH-CPU %U %S', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`${argv.join(' ')} failed (exit ${code}): ${err.slice(0, 2000)}`));
      else {
        const m = /\nBENCH-CPU ([\d.]+) ([\d.]+)\s*$/.exec(err);
        loads.push(loadavg()[0]);
        resolveRun({ wall, out, err: m === null ? err : err.slice(0, m.index), cpu: m === null ? NaN : Number(m[1]) + Number(m[2]) });
      }
    });
  });
}

/** 1-min load average sampled at the end of every timed process. */
const loads = [];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- setup (cached) ---------------------------------------------------------------------------
const trees = ensureTrees(work, log);
mkdirSync(pw, { recursive: true });
const base = join(pw, 'server-base');
if (!existsSync(join(base, '.bench-ok'))) {
  log('bench: committing v1 and v2 into an archive server repo with ostree (once)…');
  rmSync(base, { recursive: true, force: true });
  const refRepo = join(work, 'repo-archive-v1');
  if (existsSync(join(refRepo, '.bench-ok'))) sh(['cp', '-al', refRepo, base]);
  else {
    sh(['ostree', 'init', `--repo=${base}`, '--mode=archive']);
    sh(['ostree', 'commit', `--repo=${base}`, '-b', 'bench/v1', '-s', 'bench v1', '--timestamp=2026-01-01 00:00:00 +0000', `--tree=dir=${trees.v1}`]);
  }
  rmSync(join(base, '.bench-ok'), { force: true });
  const v1 = sh(['ostree', 'rev-parse', `--repo=${base}`, 'bench/v1']).trim();
  sh(['ostree', 'refs', `--repo=${base}`, '--create=bench/os', v1]);
  sh(['ostree', 'commit', `--repo=${base}`, '-b', 'bench/os', '-s', 'v2', `--timestamp=${TIMESTAMP2}`, `--tree=dir=${trees.v2}`]);
  sh(['touch', join(base, '.bench-ok')]);
}
const V1 = sh(['ostree', 'rev-parse', `--repo=${base}`, 'bench/v1']).trim();
const V2 = sh(['ostree', 'rev-parse', `--repo=${base}`, 'bench/os']).trim();
const clientV1 = join(pw, 'client-v1');
if (!existsSync(join(clientV1, '.bench-ok'))) {
  log('bench: a bare-user client repo holding v1 (once)…');
  rmSync(clientV1, { recursive: true, force: true });
  sh(['ostree', 'init', `--repo=${clientV1}`, '--mode=bare-user']);
  sh(['ostree', 'pull-local', `--repo=${clientV1}`, base, V1]);
  sh(['ostree', 'refs', `--repo=${clientV1}`, `--create=origin:bench/os`, V1]);
  sh(['touch', join(clientV1, '.bench-ok')]);
}

mkdirSync(join(work, 'scratch'), { recursive: true }); // absent on a machine whose bench/work was made by tree.mjs only
const scratchRoot = mkdtempSync(join(work, 'scratch', 'pull-'));
const fsHelper = freshFilesystems(scratchRoot, { log, onSignal: () => rmSync(scratchRoot, { recursive: true, force: true }) });
process.on('exit', () => {
  fsHelper.unmountAll();
  rmSync(scratchRoot, { recursive: true, force: true });
});
const fresh = (name) => mkdtempSync(join(scratchRoot, `${name}-`));

// ---- the server ---------------------------------------------------------------------------------
const counters = { requests: 0, bytes: 0, byKind: {} };
function resetCounters() {
  counters.requests = 0;
  counters.bytes = 0;
  counters.byKind = {};
}
const roots = {};
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const [, name, ...rest] = url.pathname.split('/');
  const dir = roots[name];
  const rel = normalize(decodeURIComponent(rest.join('/'))).replace(/^(\.\.(\/|$))+/, '');
  if (dir === undefined) return void res.writeHead(404).end();
  readFile(join(dir, rel)).then(
    (body) => {
      counters.requests++;
      counters.bytes += body.length;
      const kind = rel.startsWith('deltas/') ? 'delta' : rel.endsWith('.filez') ? 'filez' : 'meta';
      counters.byKind[kind] = (counters.byKind[kind] ?? 0) + body.length;
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
    },
    () => {
      counters.requests++;
      res.writeHead(404).end();
    },
  );
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const PORT = server.address().port;
const urlOf = (name) => `http://127.0.0.1:${PORT}/${name}/`;

// ---- delta generation (timed) ---------------------------------------------------------------------
const results = [];
async function genDelta(tool) {
  const dir = join(fresh(`server-${tool}`), 'repo');
  sh(['cp', '-al', base, dir]);
  const argv = tool === 'ostree'
    ? ['ostree', 'static-delta', 'generate', `--repo=${dir}`, `--from=${V1}`, `--to=${V2}`]
    : [...BERTH, 'static-delta', `--repo=${dir}`, 'generate', `--from=${V1}`, `--to=${V2}`];
  const r = await timed(argv);
  if (tool === 'ostree') sh(['ostree', 'summary', '-u', `--repo=${dir}`]);
  else sh([process.execPath, '--input-type=module', '-e', `import { LooseStore, updateSummary } from '${join(DIST, 'ostree/index.js')}'; await updateSummary(await LooseStore.open(${JSON.stringify(dir)}));`]);
  const size = Number(sh(['du', '-sb', '--apparent-size', join(dir, 'deltas')]).split('\t')[0]);
  return { dir, wall: r.wall, cpu: r.cpu, size };
}
log('bench: generating the v1→v2 delta with each tool…');
const genO = await genDelta('ostree');
const genB = await genDelta('berth');
roots.ostree = genO.dir;
roots.berth = genB.dir;
results.push({ id: 'delta-generate', what: 'static-delta generate v1→v2 (archive repo)', o: { wall: genO.wall, cpu: genO.cpu, bytes: genO.size }, b: { wall: genB.wall, cpu: genB.cpu, bytes: genB.size } });

// ---- pulls ---------------------------------------------------------------------------------------------
function makeClient(kind, serverName) {
  const dir = join(FS === 'loop' ? fsHelper.freshFs(`client-${kind}`) : fresh(`client-${kind}`), 'repo');
  if (kind === 'initial') sh(['ostree', 'init', `--repo=${dir}`, '--mode=bare-user']);
  else sh(['cp', FS === 'loop' ? '-a' : '-al', clientV1, dir]);
  sh(['ostree', 'remote', 'add', `--repo=${dir}`, '--no-gpg-verify', 'origin', urlOf(serverName)]);
  // The copy's writeback is not part of the timed pull: the loop fs, then the host fs under its image file
  // (left dirty, ~800 MB of it was written back during the pulls that followed: ±25 % run to run).
  if (FS === 'loop') sh(['sync']);
  return dir;
}
function dropClient(dir) {
  if (FS === 'loop') fsHelper.unmount(dirname(dir));
  rmSync(FS === 'loop' ? dirname(dirname(dir)) : dirname(dir), { recursive: true, force: true });
}

const CASES = [
  { id: 'initial', what: 'initial pull of v1 (fresh bare-user repo)', runs: INITIAL_RUNS, kind: 'initial', ref: 'bench/v1', flags: [] },
  { id: 'update-nodelta', what: 'update v1→v2, --disable-static-deltas', runs: RUNS, kind: 'update', ref: 'bench/os', flags: ['--disable-static-deltas'] },
  { id: 'update-delta', what: 'update v1→v2 with each tool’s own static delta', runs: RUNS, kind: 'update', ref: 'bench/os', flags: [] },
  { id: 'update-ostree-delta', what: 'update v1→v2 with ostree’s delta (both clients)', runs: RUNS, kind: 'update', ref: 'bench/os', flags: [], server: 'ostree' },
];

for (const c of CASES) {
  if (ONLY.length > 0 && !ONLY.includes(c.id)) continue;
  const samples = { ostree: [], berth: [] };
  for (let i = 0; i < c.runs; i++) {
    for (const tool of i % 2 === 0 ? ['ostree', 'berth'] : ['berth', 'ostree']) {
      const serverName = c.server ?? tool;
      const client = makeClient(c.kind, serverName);
      const argv = tool === 'ostree'
        ? ['ostree', 'pull', `--repo=${client}`, ...c.flags, 'origin', c.ref]
        : [...BERTH, 'pull', `--repo=${client}`, '--progress=none', ...c.flags, 'origin', c.ref];
      resetCounters();
      const r = await timed(argv);
      samples[tool].push({ wall: r.wall, cpu: r.cpu, bytes: counters.bytes, requests: counters.requests, byKind: { ...counters.byKind } });
      log(`bench: ${c.id} ${tool} run ${i + 1}: ${r.wall.toFixed(2)} s (${r.cpu.toFixed(2)} CPU-s, load ${loadavg()[0].toFixed(1)}), ${counters.requests} requests, ${(counters.bytes / 1e6).toFixed(2)} MB ${JSON.stringify(counters.byKind)}`);
      // correctness: the pulled ref is the expected commit and the repo is consistent
      const want = c.ref === 'bench/v1' ? V1 : V2;
      const got = sh(['ostree', 'rev-parse', `--repo=${client}`, `origin:${c.ref}`]).trim();
      if (got !== want) throw new Error(`${tool} pulled ${got}, expected ${want}`);
      if (i === 0) sh(['ostree', 'fsck', '--quiet', `--repo=${client}`]);
      dropClient(client);
    }
  }
  const pick = (xs) => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)), bytes: median(xs.map((x) => x.bytes)), requests: median(xs.map((x) => x.requests)) });
  results.push({ id: c.id, what: c.what, runs: c.runs, o: pick(samples.ostree), b: pick(samples.berth) });
}
server.close();

// ---- report -------------------------------------------------------------------------------------------
const mb = (n) => (n / 1e6).toFixed(2);
const lines = [
  '',
  `## Network updates: pull and static deltas (bench/pull.mjs) — ${new Date().toISOString().slice(0, 16)}Z`,
  '',
  `Command: \`node bench/pull.mjs --runs=${RUNS} --initial-runs=${INITIAL_RUNS}${ONLY.length > 0 ? ` --only=${ONLY.join(',')}` : ''}\` · ${cpus().length} vCPU ${cpus()[0]?.model ?? ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()} · ostree ${sh(['ostree', '--version']).match(/Version: '([^']+)'/)?.[1]} · Node ${process.version}`,
  `Trees: v1 ${trees.stats?.v1?.files ?? ''} files; v2 = ${JSON.stringify(trees.stats?.changes ?? {})}. Server: in-process static HTTP/1.1 on 127.0.0.1, bytes = response bodies counted by the server. Times: whole-process wall and CPU (user + system, GNU time), median of the runs (alternating order). berth runs through bin/berth. ${FS === 'loop' ? 'Each client repo on its own fresh journal-less ext4 loop mount, copied and synced (`sync`, also the image file underneath) before the pull (--fs=loop)' : 'Client repos are hardlinked copies on the root fs (--fs=dir)'}. 1-min load average at the end of the timed processes: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (median ${median(loads).toFixed(1)}).`,
  '',
  '| case | runs | ostree s | berth s | time ratio | ostree CPU s | berth CPU s | ostree MB | berth MB | bytes ratio | ostree req | berth req |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.what} | ${r.runs ?? 1} | ${r.o.wall.toFixed(2)} | ${r.b.wall.toFixed(2)} | **${(r.b.wall / r.o.wall).toFixed(2)}×** | ${r.o.cpu.toFixed(2)} | ${r.b.cpu.toFixed(2)} | ${mb(r.o.bytes)} | ${mb(r.b.bytes)} | **${(r.b.bytes / r.o.bytes).toFixed(2)}×** | ${r.o.requests ?? ''} | ${r.b.requests ?? ''} |`),
  '',
  'delta-generate bytes = size of `deltas/` on disk; pull bytes = what the server sent for that pull.',
  '',
];
process.stdout.write(lines.join('\n'));
if (APPEND) appendFileSync(join(root, 'bench/RESULTS.md'), lines.join('\n'));
