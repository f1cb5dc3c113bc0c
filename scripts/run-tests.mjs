#!/usr/bin/env node
// Builds, checks layering, then runs node:test over dist/**/*.test.js.
// Arguments filter test files by substring: `node scripts/run-tests.mjs ostree/ image/`.
// --no-build skips tsc; --concurrency=N sets parallel test files (default 2).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const concurrency = args.find((a) => a.startsWith('--concurrency='))?.split('=')[1] ?? '2';

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (!args.includes('--no-build')) {
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
}
run(process.execPath, [join(root, 'scripts/check-layers.mjs')]);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.test.js')) yield p;
  }
}
// Files that take minutes start first, so they overlap the rest instead of running alone at the end.
const SLOW_FIRST = ['compose/boot.e2e.test.js', 'compose/tree-incremental.interop.test.js'];
const rank = (f) => (SLOW_FIRST.some((s) => f.endsWith(s)) ? 0 : 1);
const files = [...walk(join(root, 'dist'))]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BERTH_TEST: '1' },
});
process.exit(r.status ?? 1);
