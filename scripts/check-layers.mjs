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
// Narrower public entries: `src/<x>/<area>/index.ts` files (or a single-file codec) that other subsystems may import instead of the whole
// `src/<x>/index.ts`, so a CLI verb loads only the part it uses (each ESM file costs a CLI start ~0.5–1 ms of CPU on
// Node 20). Each must be re-exported by its subsystem's index.ts, so index.ts stays the complete surface; add one here
// deliberately, with a reason (docs/DEVELOPING.md).
const NARROW_ENTRIES = [
  'formats/gvariant/index.js', // ostree, sysroot, compose: GVariant codec without the OCI/Docker/RPM/Debian codecs
  'formats/ostree/index.js', // ostree object checksums and object names
  'formats/delta/index.js', // static delta superblocks and parts
  'formats/keyfile.js', // GKeyFile: repo config, remotes, origins (a single-file codec)
  'formats/bls-entry.js', // sysroot, cli host/admin: boot loader entries
  'formats/bls-kargs.js', // sysroot, cli host/admin: kernel arguments
  'formats/origin.js', // sysroot, cli host/admin: deployment origin files
  'formats/tar-path.js', // image: tar member names and whiteouts (layer unpacking)
  'formats/tar-pax-xattrs.js', // image: binary xattrs from PAX records (layer unpacking)
  'formats/oci/index.js', // image, engine: OCI descriptors, references, digests
  'formats/docker/index.js', // engine: go-units (humanDuration, sizes) and docker-archive manifests
  'image/image-store.js', // engine: the image store for `berth run`, without the registry client, pull and push
  'ostree/pull/index.js', // cli `ostree pull`: pull, remotes and the loose store, not commit/checkout/fsck/prune/serve
];
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
      if (NARROW_ENTRIES.includes(target)) continue;
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
// every narrower entry is part of its subsystem's full surface
for (const entry of NARROW_ENTRIES) {
  const [sub, ...rest] = entry.split('/');
  const indexText = readFileSync(join(SRC, sub, 'index.ts'), 'utf8');
  const spec = `./${rest.join('/')}`;
  if (!indexText.includes(`'${spec}'`)) problems.push(`${sub}/index.ts must re-export the narrower entry ${entry} (from '${spec}')`);
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
