#!/usr/bin/env node
// Fails on an import that points the wrong way between subsystems, reaches past another
// subsystem's index.ts, or gives a pure module (formats, renderers, schedulers) I/O.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const SRC = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');

// subsystem -> subsystems it may import (core is allowed everywhere)
const ALLOWED = {
  core: [],
  formats: [],
  ostree: ['formats'],
  sysroot: ['ostree', 'formats'],
  compose: ['ostree', 'sysroot', 'formats'],
  image: ['formats'],
  runtime: ['image', 'formats'],
  engine: ['runtime', 'image', 'formats'],
  api: ['engine', 'formats'],
  cluster: ['formats'],
  updates: ['sysroot', 'ostree', 'formats'],
  cli: ['formats', 'ostree', 'sysroot', 'compose', 'image', 'runtime', 'engine', 'api', 'cluster', 'updates'],
  daemon: ['formats', 'ostree', 'sysroot', 'compose', 'image', 'runtime', 'engine', 'api', 'cluster', 'updates', 'cli'],
};
const PURE = [/^formats\//, /^cli\/render\//, /^cluster\/scheduler\.ts$/, /^cluster\/reconcile\.ts$/, /^runtime\/oci-spec\.ts$/];
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|dgram|child_process)$/;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const IMPORT_REGEXP = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
const graph = new Map();
for (const file of walk(SRC)) {
  const rel = relative(SRC, file);
  const isTest = /\.test\.ts$/.test(rel);
  const sub = rel.split('/')[0];
  if (!(sub in ALLOWED)) {
    problems.push(`${rel}: unknown subsystem ${sub}`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT_REGEXP)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) {
      const target = relative(SRC, resolve(dirname(file), spec));
      const tsub = target.split('/')[0];
      if (tsub === sub) continue;
      if (!isTest) {
        if (!(graph.has(sub))) graph.set(sub, new Set());
        graph.get(sub).add(tsub);
      }
      if (tsub !== 'core' && !ALLOWED[sub]?.includes(tsub) && !isTest) {
        problems.push(`${rel}: ${sub} may not import ${tsub} (${spec})`);
      }
      // core/test-support.js is the shared test toolkit: tests and test helpers may import it, product code not.
      if (target === 'core/test-support.js') {
        if (!isTest && !/(^|\/)(testing\/|test-)/.test(rel)) problems.push(`${rel}: product code may not import core/test-support.ts`);
        continue;
      }
      if (target.split('/').length > 2 || !/^[a-z]+\/index\.js$/.test(target)) {
        problems.push(`${rel}: cross-subsystem import must go through ${tsub}/index.ts (${spec})`);
      }
    } else if (!isTest && PURE.some((r) => r.test(rel)) && IO_MODULES.test(spec)) {
      problems.push(`${rel}: pure module may not import ${spec}`);
    }
  }
  if (!isTest && PURE.some((r) => r.test(rel)) && /\bDate\.now\(\)|\bsetTimeout\(|\bsetInterval\(/.test(text)) {
    problems.push(`${rel}: pure module may not read the clock or set timers`);
  }
}
// cycle check over the subsystem graph
const state = new Map();
function visit(n, stack) {
  if (state.get(n) === 1) problems.push(`import cycle: ${[...stack, n].join(' -> ')}`);
  if (state.get(n)) return;
  state.set(n, 1);
  for (const m of graph.get(n) ?? []) visit(m, [...stack, n]);
  state.set(n, 2);
}
for (const n of graph.keys()) visit(n, []);

if (problems.length > 0) {
  console.error(`check-layers: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`check-layers: ok (${graph.size} subsystems with cross imports)`);
