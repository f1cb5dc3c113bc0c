#!/usr/bin/env node
// berth deploy vs `ostree admin deploy` of the same ~27k-file commit (bench/tree.mjs tree-v1), in one
// run, alternating, on a sysroot on a tmpfs this script mounts (ostree FIFREEZEs /boot's filesystem,
// so never on the root fs). Each run deploys the same commit again: a 27k-entry hardlink checkout,
// /etc copy + 3-way merge, a bootlink swap, and cleanup of the oldest deployment. Both tools are
// timed as whole processes (`ostree admin deploy` vs `bin/berth ostree admin deploy`).
// Usage: node bench/deploy.mjs [runs=5]   (root; after `npx tsc -p .`)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, appendFileSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { ensureTrees } from './tree.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const runs = Number(process.argv[2] ?? 5);
function sh(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
/** Wall seconds, and CPU seconds (user + sys, from /usr/bin/time): wall is noisy on a shared host. */
function timed(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'BERTH-CPU %U %S', ...argv], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const m = /BERTH-CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, cpu: m === null ? NaN : Number(m[1]) + Number(m[2]) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { v1, stats } = ensureTrees(join(root, 'bench/work'));
const mnt = mkdtempSync('/tmp/berth-bench-deploy-');
sh(['mount', '-t', 'tmpfs', '-o', 'size=8g', `berth-bench-${process.pid}`, mnt]);
try {
  const S = join(mnt, 'sysroot');
  sh(['mkdir', S]);
  sh(['ostree', 'admin', 'init-fs', S]);
  sh(['ostree', 'admin', `--sysroot=${S}`, 'os-init', 'test']);
  const repo = join(S, 'ostree/repo');
  sh(['ostree', `--repo=${repo}`, 'commit', '-b', 'test/os', `--tree=dir=${v1}`, '--add-metadata-string=version=1.0']);
  sh(['ostree', 'admin', `--sysroot=${S}`, 'deploy', '--os=test', '--karg=rw', 'test/os']); // warm-up, first deployment
  const ostreeT = [];
  const berthT = [];
  for (let i = 0; i < runs; i++) {
    ostreeT.push(timed(['ostree', 'admin', `--sysroot=${S}`, 'deploy', '--os=test', 'test/os']));
    berthT.push(timed([join(root, 'bin/berth'), 'ostree', 'admin', `--sysroot=${S}`, 'deploy', '--os=test', 'test/os']));
  }
  const status = sh(['ostree', 'admin', `--sysroot=${S}`, 'status']);
  if (!/test [0-9a-f]{64}\.\d+/.test(status)) throw new Error('ostree cannot read the sysroot after the runs');
  const mo = median(ostreeT.map((x) => x.wall));
  const mb = median(berthT.map((x) => x.wall));
  const co = median(ostreeT.map((x) => x.cpu));
  const cb = median(berthT.map((x) => x.cpu));
  const line = (xs) => xs.map((x) => x.wall.toFixed(2)).join(', ');
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const text = `
## Deploy (sysroot): berth vs ostree admin deploy — ${new Date().toISOString().slice(0, 16)}Z

Command: \`node bench/deploy.mjs ${runs}\` (root; tmpfs sysroot; tree-v1 = ${stats.v1.files} files, ${stats.v1.symlinks} symlinks,
${stats.v1.dirs} dirs). Each run re-deploys the same commit (hardlink checkout, /etc copy + merge, bootlink swap,
cleanup of the oldest deployment); whole-process wall time, alternating tools, ${runs} runs each.

| tool | median wall s | median CPU s (user+sys) | wall per run s |
|---|---|---|---|
| \`ostree admin deploy\` (2022.7) | ${mo.toFixed(2)} | ${co.toFixed(2)} | ${line(ostreeT)} |
| \`berth ostree admin deploy\` | ${mb.toFixed(2)} | ${cb.toFixed(2)} | ${line(berthT)} |

Ratio berth / ostree: **${(mb / mo).toFixed(2)}× wall, ${(cb / co).toFixed(2)}× CPU** (goal ≤ 1.0×); load average at the end: ${load}.
After the runs \`ostree admin status\` still reads the sysroot.
`;
  process.stdout.write(text);
  appendFileSync(join(root, 'bench/RESULTS.md'), text);
} finally {
  spawnSync('umount', [mnt]);
  rmdirSync(mnt);
}
