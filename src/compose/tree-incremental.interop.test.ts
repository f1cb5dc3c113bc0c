import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { exec } from '../core/index.js';
import { main, type CommandContext } from '../cli/index.js';
import { needRoot, needTools, tempDir } from '../core/test-support.js';
import { composeTree, type ComposeResult } from './compose.js';

/**
 * Incremental Debian compose against a full one, with mmdebstrap and apt's configured sources of
 * this machine (Debian 13 minbase; .deb files shared with the boot test in $BERTH_COMPOSE_CACHE).
 */

async function berth(argv: string[]): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  const ctx: CommandContext = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: process.cwd() };
  assert.equal(await main(argv, ctx), 0, `berth ${argv.join(' ')}`);
  return out;
}

function treefile(packages: string[], extra: string[] = []): string {
  return [
    'ref: test/incremental',
    'apt-suite: trixie',
    'apt-sources: host',
    'apt-variant: minbase',
    'recommends: false',
    'documentation: false',
    `packages: [${packages.join(', ')}]`,
    ...extra,
    '',
  ].join('\n');
}

test('incremental compose: the cached root plus added packages equals a full compose; removals fall back to a full one', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'mmdebstrap', 'apt-get', 'ostree', 'unshare'))) return;
  const dir = await tempDir(t);
  const debs = join(process.env.BERTH_COMPOSE_CACHE ?? '/var/cache/berth-test/compose', 'debs');
  await mkdir(debs, { recursive: true });
  const cacheDir = join(dir, 'cache');
  await mkdir(cacheDir);
  await symlink(debs, join(cacheDir, 'debs'));
  await writeFile(join(dir, 'v1.yaml'), treefile(['hello']));
  await writeFile(join(dir, 'v2.yaml'), treefile(['hello', 'bc']));
  await writeFile(join(dir, 'v3.yaml'), treefile(['hello', 'bc'], ['postprocess: ["#!/bin/sh\\necho v3 > /usr/share/berth-v3\\n"]']));
  const repoFull = join(dir, 'repo-full');
  const repoInc = join(dir, 'repo-inc');
  const compose = async (name: string, repo: string): Promise<ComposeResult & { detail: string }> => {
    const details: string[] = [];
    const r = await composeTree({ treefile: join(dir, `${name}.yaml`), repo, cacheDir, onPhase: (p, d) => p === 'install' && details.push(d) });
    t.diagnostic(`${name} → ${repo.split('/').at(-1)}: ${JSON.stringify(r.install)} ${JSON.stringify(r.timings)}`);
    return { ...r, detail: details.join(' | ') };
  };

  // v2 from scratch: the reference, and the first cached root.
  const full = await compose('v2', repoFull);
  assert.equal(full.install?.path, 'full');
  assert.equal(full.install?.reason, 'no cached root');
  assert.equal(full.install?.cached, true);

  // v1 drops bc: a removal is never incremental (a purge can leave what maintainer scripts made).
  const v1 = await compose('v1', repoInc);
  assert.equal(v1.install?.path, 'full');
  assert.equal(v1.install?.reason, 'packages were removed or changed version');
  assert.equal(v1.install?.cached, true);

  // v1 → v2: bc and the libraries it needs on top of the cached v1 root.
  const inc = await compose('v2', repoInc);
  assert.equal(inc.install?.path, 'incremental', inc.detail);
  assert.ok(inc.install?.added?.some((p) => p.startsWith('bc=')), JSON.stringify(inc.install));
  assert.ok(inc.install!.added!.length > 1, 'bc brings its readline library');
  assert.match(inc.detail, /^incremental: the cached root plus \d+ package\(s\): /);

  // Same packages and versions as the full compose, read back through `berth db list`.
  const listFull = await berth(['db', 'list', `--repo=${repoFull}`, 'test/incremental']);
  const listInc = await berth(['db', 'list', `--repo=${repoInc}`, 'test/incremental']);
  assert.equal(listInc.replace(/^.*\n/, ''), listFull.replace(/^.*\n/, ''));
  assert.match(listInc, /\bbc-1\./);
  assert.equal(inc.packages, full.packages);
  const dbDiff = await berth(['db', 'diff', `--repo=${repoInc}`, '--format=diff', 'test/incremental^', 'test/incremental']);
  assert.match(dbDiff, /^\+bc-/m);
  assert.doesNotMatch(dbDiff, /^-/m);

  // A valid commit with the new package's files, and the same dpkg database as the full compose.
  await exec(['ostree', `--repo=${repoInc}`, 'fsck']);
  const ls = (await exec(['ostree', `--repo=${repoInc}`, 'ls', 'test/incremental', '/usr/bin/bc', '/usr/bin/hello'])).stdout.toString();
  assert.match(ls, /\/usr\/bin\/bc$/m);
  assert.match(ls, /\/usr\/bin\/hello$/m);
  const status = async (repo: string): Promise<string> =>
    (await exec(['ostree', `--repo=${repo}`, 'cat', 'test/incremental', '/usr/lib/sysimage/dpkg/status'])).stdout.toString().split('\n\n').sort().join('\n\n');
  assert.equal(await status(repoInc), await status(repoFull));

  // A treefile change that leaves the packages alone: the cached root as it is, no apt run.
  const v3 = await compose('v3', repoInc);
  assert.equal(v3.install?.path, 'incremental', v3.detail);
  assert.deepEqual(v3.install?.added, []);
  assert.equal((await exec(['ostree', `--repo=${repoInc}`, 'cat', 'test/incremental', '/usr/share/berth-v3'])).stdout.toString(), 'v3\n');
  assert.equal(await berth(['db', 'diff', `--repo=${repoInc}`, '--format=diff', 'test/incremental^', 'test/incremental']), '');
});
