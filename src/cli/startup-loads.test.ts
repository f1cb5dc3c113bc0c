// What a CLI verb loads (issues 4 and 5: every ESM file costs a start ~0.5–1 ms of CPU on Node 20). A list, not a
// timing: each verb runs in a child node with the load-trace hook (testing/load-trace.ts), and the test names the
// subsystems, barrels and npm packages it must not pull in. Each case also names a module it must load, so a hook
// that recorded nothing would fail rather than pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from '../core/index.js';
import { tempDir } from '../core/test-support.js';

const DIST = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(DIST, 'cli/bin.js');
const HOOK = join(DIST, 'cli/testing/load-trace.js');

/** Runs `berth ARGV…` and returns what it loaded: dist-relative paths, `node:` builtins and `pkg:NAME` for packages. */
async function loadsOf(t: import('node:test').TestContext, argv: readonly string[]): Promise<string[]> {
  const dir = await tempDir(t, 'berth-loads-');
  const trace = join(dir, 'trace');
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_LOAD_TRACE: trace, BERTH_ROOT: join(dir, 'root'), BERTH_RUNROOT: join(dir, 'run'), BERTH_RUN_ROOT: join(dir, 'run') };
  delete env.NODE_OPTIONS;
  const r = await exec([process.execPath, '--import', HOOK, BIN, ...argv], { env, cwd: dir, check: false });
  assert.equal(r.exitCode, 0, `berth ${argv.join(' ')}: ${r.stderr.toString()}`);
  const urls = (await readFile(trace, 'utf8')).split('\n').filter((l) => l !== '');
  return urls.map((u) => {
    if (u.startsWith('node:')) return u;
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
    if (pkg !== null) return `pkg:${pkg[1]}`;
    const path = fileURLToPath(u);
    return path.startsWith(DIST) ? path.slice(DIST.length) : path;
  });
}

function assertNone(loaded: readonly string[], forbidden: RegExp, what: string): void {
  const hits = loaded.filter((m) => forbidden.test(m));
  assert.deepEqual(hits, [], `${what} loads ${hits.join(', ')}`);
}

const HEAVY_PACKAGES = /^pkg:(yaml|zod|tar-stream|fzstd|smol-toml|dockerode|undici)$/;

test('berth --version loads the CLI core only: no subsystem, no npm package, no process spawner', async (t) => {
  const loaded = await loadsOf(t, ['--version']);
  assert.ok(loaded.includes('cli/version.js'), loaded.join(' '));
  assertNone(loaded, /^(formats|ostree|sysroot|compose|image|runtime|engine|api|daemon|cluster|updates)\//, 'berth --version');
  assertNone(loaded, /^pkg:/, 'berth --version');
  assertNone(loaded, /^node:(child_process|net|http|https|tls|zlib|crypto|worker_threads)$/, 'berth --version');
});

test('berth ps loads the engine, not the image store, the OS subsystems, the formats barrel or test helpers', async (t) => {
  const loaded = await loadsOf(t, ['ps', '-a']);
  assert.ok(loaded.includes('engine/engine.js'), loaded.join(' '));
  assertNone(loaded, /^(ostree|sysroot|compose|image|api|daemon)\//, 'berth ps');
  assertNone(loaded, /^formats\/(index|treefile|nocloud|rpm-header|deb-control|lazy-libs)\.js$|^formats\/(gvariant|delta|ostree)\//, 'berth ps');
  // engine/index.ts still exports `testing` (engine/test-support.js + core/test-support.js: two small files)
  assertNone(loaded, /^image\/testing\//, 'berth ps');
  assertNone(loaded, /^pkg:/, 'berth ps');
});

test('berth images loads the image store without layer codecs, registry test harness or the TOML parser', async (t) => {
  const loaded = await loadsOf(t, ['images']);
  assert.ok(loaded.includes('image/image-store.js'), loaded.join(' '));
  assertNone(loaded, /^(ostree|sysroot|compose|runtime|engine|api|daemon)\//, 'berth images');
  assertNone(loaded, /^formats\/index\.js$|^formats\/(gvariant|delta|ostree)\//, 'berth images');
  assertNone(loaded, /^image\/testing\/(busybox|registry|tar-builder)\.js$/, 'berth images');
  assertNone(loaded, HEAVY_PACKAGES, 'berth images');
});

test('berth ostree pull loads the pull side only: no commit, checkout, fsck, prune, serve or delta generation', async (t) => {
  const loaded = await loadsOf(t, ['ostree', 'pull', '--help']);
  assert.ok(loaded.includes('ostree/pull/pull.js') && loaded.includes('ostree/delta/apply.js'), loaded.join(' '));
  assertNone(loaded, /^ostree\/(index|repo|commit|checkout|fsck|prune|serve|reader|traverse|diff|log|summary)\.js$/, 'berth ostree pull');
  assertNone(loaded, /^ostree\/delta\/(generate|walk|summary|index)\.js$/, 'berth ostree pull');
  assertNone(loaded, /^(sysroot|compose|image|runtime|engine|api|daemon)\//, 'berth ostree pull');
  assertNone(loaded, /^formats\/(index|treefile|nocloud|rpm-header|deb-control|lazy-libs)\.js$|^formats\/(oci|docker)\//, 'berth ostree pull');
  assertNone(loaded, HEAVY_PACKAGES, 'berth ostree pull');
});
