#!/usr/bin/env node
// Benchmark: berth vs the real `ostree` on the same ≥ 20,000-file / ≥ 500 MB tree, in one run.
//
//   node bench/ostree.mjs [--runs=5] [--warmup=1] [--only=CASE,…] [--no-append] [--profile] [--dist=DIR] [--fs=loop|dir]
//
// --dist runs berth from another build directory (default dist/), e.g. a private `tsc --outDir`
// copy, so that rebuilds of the checkout during a long run cannot change what is measured.
//
// Builds the trees once (bench/tree.mjs, cached in bench/work/), then for every case runs one
// unmeasured warm-up per tool and RUNS measured runs, alternating ostree and berth so that
// machine noise hits both. Times are whole-process wall times (start-up included), CPU and peak
// RSS come from /usr/bin/time. Setup (fresh repos, scratch copies) is never timed. Commits use
// the same --timestamp for both tools, so equal commit checksums prove the tools agree.
// With --profile, berth runs once more per case under `node --cpu-prof` and the top functions by
// self time are printed (and written to RESULTS.md).
//
// --fs=loop (the default when root with mkfs.ext4): the cases that write a full set of objects
// (commit into a fresh repo, re-commit of a hardlinked checkout) do so on a fresh journal-less
// ext4 (like this machine's root fs) loop-mounted for that one run, so every run of either tool
// starts from the same filesystem state. On the shared scratch dir (--fs=dir), each run came
// right after the previous run's 27k-file repo was deleted, and journal-less ext4 skips inodes
// freed in the last 60 s (360 s while their inode-table block is dirty) by scanning the group's
// bitmap from the start on every allocation (ialloc.c find_inode_bit → recently_deleted):
// 10–30 CPU-s of kernel time per commit for either tool, varying with how many such inodes the
// group held, which made medians swing between series.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, loadavg } from 'node:os';
const loadStart = loadavg()[0].toFixed(1);
import { join, resolve, dirname } from 'node:path';
import { canLoopMount, freshFilesystems } from './lib/fresh-fs.mjs';
import { ensureTrees } from './tree.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const work = join(root, 'bench/work');
const args = process.argv.slice(2);
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const RUNS = Math.max(1, Number(opt('runs', '5')));
const ONLY = opt('only', '').split(',').filter(Boolean);
const APPEND = !args.includes('--no-append');
const PROFILE = args.includes('--profile');
const TIMESTAMP = '2026-01-01 00:00:00 +0000';
const DIST = resolve(opt('dist', join(root, 'dist')));
const WARMUP = Math.max(0, Number(opt('warmup', '1')));
const FS = opt('fs', canLoopMount() ? 'loop' : 'dir');
if (FS !== 'loop' && FS !== 'dir') throw new Error(`--fs=${FS}: expected loop or dir`);
const BERTH = [process.execPath, join(DIST, 'cli/bin.js'), 'ostree'];
const log = (m) => process.stderr.write(`${m}\n`);

function sh(argv, options = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status}): ${r.stderr?.slice(0, 2000)}`);
  return r.stdout;
}

const TOOLS = {
  ostree: (verbArgs) => ['ostree', ...verbArgs],
  berth: (verbArgs) => [...BERTH, ...verbArgs],
};

/** One timed run: wall via hrtime, user/sys/peak RSS via /usr/bin/time. */
function timed(argv) {
  const out = join(scratchRoot, `time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', out, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const [user, sys, rssKiB] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  rmSync(out, { force: true });
  return { ok: r.status === 0, status: r.status, stdout: r.stdout, stderr: r.stderr, wall, cpu: user + sys, rssMiB: rssKiB / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- reference repos made once by ostree (v1 in bare-user and archive), reused read-only ----
function ensureRefRepo(mode, tree) {
  const repo = join(work, `repo-${mode}-v1`);
  const marker = join(repo, '.bench-ok');
  if (existsSync(marker)) return repo;
  rmSync(repo, { recursive: true, force: true });
  log(`bench: making reference ${mode} repo with ostree (once)…`);
  sh(['ostree', 'init', `--repo=${repo}`, `--mode=${mode}`]);
  sh(['ostree', 'commit', `--repo=${repo}`, '-b', 'bench/v1', '-s', 'bench v1', `--timestamp=${TIMESTAMP}`, `--tree=dir=${tree}`]);
  sh(['touch', marker]);
  return repo;
}

let scratchRoot;
const fresh = (name) => mkdtempSync(join(scratchRoot, `${name}-`));

let fsHelper;
/** A directory on a fresh ext4 loop mount (bench/lib/fresh-fs.mjs), or a plain scratch dir with --fs=dir. */
const freshFs = (name) => (FS === 'dir' ? fresh(name) : fsHelper.freshFs(name));
const unmountAll = () => fsHelper?.unmountAll();
const copyRepo = (src) => { const d = join(fresh('repo'), 'repo'); sh(['cp', '-al', src, d]); return d; };

/** Cases: setup(tool) → { args, cleanup? } (untimed), then args are run by the tool and timed. */
function defineCases(trees, repoBu, repoAr) {
  const commitArgs = (repo, ref, tree) =>
    ['commit', `--repo=${repo}`, '-b', ref, '-s', 'bench', `--timestamp=${TIMESTAMP}`, `--tree=dir=${tree}`];
  return [
    { id: 'checkout-hardlinks', what: 'checkout -U (hardlinks) from the bare-user repo', goal: 1.0,
      setup: () => ({ args: ['checkout', `--repo=${repoBu}`, '-U', 'bench/v1', join(fresh('co'), 'co')] }) },
    { id: 'fsck-bare-user', what: 'fsck the bare-user repo', goal: 1.0,
      setup: () => ({ args: ['fsck', `--repo=${repoBu}`] }) },
    { id: 'fsck-archive', what: 'fsck the archive repo', goal: 1.0,
      setup: () => ({ args: ['fsck', `--repo=${repoAr}`] }) },
    { id: 'commit-bare-user', what: 'commit v1 into a fresh bare-user repo', goal: 0.8,
      setup: (tool) => { const r = join(freshFs('c'), 'repo'); sh(TOOLS[tool](['init', `--repo=${r}`, '--mode=bare-user'])); return { args: commitArgs(r, 'bench/v1', trees.v1) }; } },
    { id: 'recommit-hardlinked', what: 're-commit an unchanged hardlinked checkout (bare-user repo holding v1)', goal: 0.8,
      setup: () => {
        // The checkout's files carry user.ostreemeta (hardlinks to bare-user objects), which both
        // tools commit as an xattr: ~25k new objects per run, so this case gets a fresh fs too.
        const r = FS === 'loop' ? join(freshFs('r'), 'repo') : copyRepo(repoBu);
        if (FS === 'loop') sh(['cp', '-a', repoBu, r]);
        const co = join(dirname(r), 'co');
        sh(['ostree', 'checkout', `--repo=${r}`, '-U', 'bench/v1', co]);
        return { args: commitArgs(r, 'bench/re', co) };
      } },
    { id: 'commit-v2-over-v1', what: 'commit v2 into the bare-user repo holding v1 (98 % unchanged)', goal: 0.8,
      setup: () => ({ args: commitArgs(copyRepo(repoBu), 'bench/v1', trees.v2) }) },
    { id: 'commit-archive', what: 'commit v1 into a fresh archive repo', goal: 0.8,
      setup: (tool) => { const r = join(freshFs('c'), 'repo'); sh(TOOLS[tool](['init', `--repo=${r}`, '--mode=archive'])); return { args: commitArgs(r, 'bench/v1', trees.v1) }; } },
  ];
}

function cleanScratch() {
  unmountAll();
  for (const name of readdirSync(scratchRoot)) if (!name.startsWith('prof')) rmSync(join(scratchRoot, name), { recursive: true, force: true });
}

function runCase(c) {
  const results = { ostree: [], berth: [] };
  const checksums = { ostree: new Set(), berth: new Set() };
  const errors = {};
  for (let i = 1 - WARMUP; i <= RUNS; i++) {
    for (const tool of ['ostree', 'berth']) {
      if (errors[tool]) continue;
      let r;
      try {
        const { args: verbArgs } = c.setup(tool);
        r = timed(TOOLS[tool](verbArgs));
      } catch (err) {
        r = { ok: false, stderr: String(err.message ?? err) };
      }
      if (!r.ok) {
        errors[tool] = `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(0, 3).join(' | ')}`;
        log(`  ${c.id} ${tool}: FAILED ${errors[tool]}`);
      } else {
        if (c.id.startsWith('commit') || c.id.startsWith('recommit')) checksums[tool].add(r.stdout.trim());
        if (i > 0) results[tool].push(r); // runs up to 0 are warm-ups
        log(`  ${c.id} ${tool} ${i <= 0 ? 'warm-up' : `run ${i}`}: ${r.wall.toFixed(2)} s, ${r.rssMiB.toFixed(0)} MiB`);
      }
      cleanScratch();
    }
  }
  const summary = (rs) => rs.length === 0 ? undefined : {
    wall: median(rs.map((r) => r.wall)), min: Math.min(...rs.map((r) => r.wall)), max: Math.max(...rs.map((r) => r.wall)),
    cpu: median(rs.map((r) => r.cpu)), rss: Math.max(...rs.map((r) => r.rssMiB)),
  };
  const o = summary(results.ostree), b = summary(results.berth);
  let same;
  if (checksums.ostree.size > 0 && checksums.berth.size > 0) {
    same = checksums.ostree.size === 1 && checksums.berth.size === 1 && [...checksums.ostree][0] === [...checksums.berth][0];
  }
  return { ...c, o, b, errors, ratio: o && b ? b.wall / o.wall : undefined, sameChecksum: same };
}

// ---- profiling: aggregate self time per function from a .cpuprofile ----
function topFunctions(profilePath, n = 12) {
  const prof = JSON.parse(readFileSync(profilePath, 'utf8'));
  const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const nd = byId.get(prof.samples[i]);
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    const cf = nd.callFrame;
    const where = cf.url ? `${cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  return { totalMs: total / 1000, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => ({ fn: k, ms: us / 1000, pct: (100 * us) / total })) };
}

function profileCase(c) {
  const dir = join(scratchRoot, `prof-${c.id}`);
  mkdirSync(dir, { recursive: true });
  const { args: verbArgs } = c.setup('berth');
  const argv = [process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, ...BERTH.slice(1), ...verbArgs];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const out = r.status === 0 && files.length > 0 ? topFunctions(join(dir, files[0])) : undefined;
  cleanScratch();
  return out;
}

// ---- main ----
const fmt = (x, d = 2) => (x === undefined ? '–' : x.toFixed(d));
function report(results, trees, cmdline, profiles) {
  const s = trees.stats.v1;
  const lines = [];
  lines.push(`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — berth vs ostree ${ostreeVersion}`);
  lines.push('');
  lines.push(`Command: \`${cmdline}\``);
  lines.push('');
  lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}. ` +
    `Tree v1: ${s.files.toLocaleString('en')} files, ${s.symlinks} symlinks, ${s.dirs} dirs, ${(s.bytes / 1e6).toFixed(1)} MB; ` +
    `v2: ${trees.stats.changes.modified} modified, ${trees.stats.changes.removed} removed, ${trees.stats.changes.added} added. ` +
    `Median of ${RUNS} runs after ${WARMUP} warm-up(s), alternating tools; whole-process wall time; page cache warm; default fsync for both; ` +
    `${FS === 'loop' ? 'commit and re-commit runs each on a fresh journal-less ext4 loop mount' : 'all repos in one scratch dir on the root fs, each deleted after its run'}. ` +
    `1-min load average at the start/end: ${loadStart} / ${loadavg()[0].toFixed(1)}.`);
  lines.push('');
  lines.push('| case | ostree s (min–max) | berth s (min–max) | berth/ostree | goal | CPU s ostree / berth | peak RSS MiB ostree / berth | same commit checksum |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const cell = (x, err) => (x ? `${fmt(x.wall)} (${fmt(x.min)}–${fmt(x.max)})` : `failed: ${err ?? 'n/a'}`.replaceAll('|', '\\|').slice(0, 160));
    const ok = r.ratio === undefined ? '' : r.ratio <= r.goal ? ' ✓' : ' ✗';
    lines.push(`| ${r.id}: ${r.what} | ${cell(r.o, r.errors.ostree)} | ${cell(r.b, r.errors.berth)} | ${r.ratio === undefined ? '–' : fmt(r.ratio) + ok} | ≤ ${r.goal} | ` +
      `${fmt(r.o?.cpu)} / ${fmt(r.b?.cpu)} | ${fmt(r.o?.rss, 0)} / ${fmt(r.b?.rss, 0)} | ${r.sameChecksum === undefined ? '–' : r.sameChecksum ? 'yes' : 'NO'} |`);
  }
  if (profiles.length > 0) {
    lines.push('');
    lines.push('Where berth\'s time goes (`node --cpu-prof`, one run per case, self time):');
    for (const { id, prof } of profiles) {
      if (!prof) { lines.push(`- ${id}: profile failed`); continue; }
      lines.push(`- ${id} (${fmt(prof.totalMs / 1000)} s sampled): ` + prof.top.map((t) => `${t.fn} ${fmt(t.pct, 1)} %`).join('; '));
    }
  }
  return `${lines.join('\n')}\n`;
}

if (!existsSync(join(DIST, 'cli/bin.js'))) { log(`bench: build first (npx tsc -p .), no ${DIST}/cli/bin.js`); process.exit(1); }
const ostreeVersion = sh(['ostree', '--version']).match(/Version: '([^']+)'/)?.[1] ?? '?';
const trees = ensureTrees(work, log);
const repoBu = ensureRefRepo('bare-user', trees.v1);
const repoAr = ensureRefRepo('archive', trees.v1);
mkdirSync(join(work, 'scratch'), { recursive: true });
scratchRoot = mkdtempSync(join(work, 'scratch', 'run-'));
fsHelper = freshFilesystems(scratchRoot, { log, onSignal: () => rmSync(scratchRoot, { recursive: true, force: true }) });
try {
  const cases = defineCases(trees, repoBu, repoAr).filter((c) => ONLY.length === 0 || ONLY.includes(c.id));
  const results = [];
  for (const c of cases) {
    log(`bench: ${c.id} — ${c.what}`);
    results.push(runCase(c));
    // a partial report after every case, in case a long run has to be stopped
    writeFileSync(join(work, `last-run-${process.pid}.md`), report(results, trees, `node bench/ostree.mjs ${args.join(' ')}`.trim(), []));
  }
  const profiles = PROFILE ? cases.map((c) => { log(`bench: profiling berth ${c.id}`); return { id: c.id, prof: profileCase(c) }; }) : [];
  const text = report(results, trees, `node bench/ostree.mjs ${args.join(' ')}`.trim(), profiles);
  process.stdout.write(text);
  if (APPEND) appendFileSync(join(root, 'bench/RESULTS.md'), `\n${text}`);
} finally {
  unmountAll();
  rmSync(scratchRoot, { recursive: true, force: true });
}
