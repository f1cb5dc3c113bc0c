import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { exec } from '../core/index.js';
import { main, type CommandContext } from '../cli/index.js';
import { composeTree } from './compose.js';
import { diffPackages, renderDiffLines } from './db-diff.js';
import { ComposeRepo } from './repo.js';
import { basePackage, buildRpmRepo, SHELL_PACKAGE, toolPackage } from './rpm-fixtures.js';
import { needRoot, needTools, tempDir } from '../core/test-support.js';

async function berth(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const ctx: CommandContext = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd() };
  const code = await main(argv, ctx);
  return { code, out, err };
}

async function ostree(repo: string, ...args: string[]): Promise<string> {
  return (await exec(['ostree', `--repo=${repo}`, ...args])).stdout.toString();
}

test('compose tree with the RPM backend: dnf install, postprocess, versioned commit, no-op recompose, package diff', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'rpmbuild', 'createrepo_c', 'dnf', 'rpm', 'ostree', 'busybox', 'unshare'))) return;
  const dir = await tempDir(t);
  const repoDir = await buildRpmRepo(join(dir, 'v1'), [SHELL_PACKAGE, basePackage('1.0'), toolPackage('1.0')]);
  const tf = join(dir, 'tf');
  await mkdir(tf);
  await writeFile(join(tf, 'local.repo'), `[local]\nname=local test packages\nbaseurl=file://${repoDir}\ngpgcheck=0\n`);
  await writeFile(join(tf, 'motd'), 'composed by berth\n');
  await writeFile(join(tf, 'common.yaml'), 'repos: [local]\nautomatic-version-prefix: "1"\nrecommends: false\n');
  await writeFile(join(tf, 'test.yaml'), [
    'include: common.yaml',
    'ref: test/${basearch}/rpm',
    'packages: [berth-test-tool]',
    'add-files: [[motd, /etc/motd]]',
    'remove-files: [usr/share/berth-test/link.txt]',
    'postprocess:',
    '  - |',
    '    #!/bin/sh',
    '    echo post > /usr/share/berth-test/postprocess-ran',
    'add-commit-metadata: {berth.test: yes}',
    '',
  ].join('\n'));
  const repo = join(dir, 'repo');
  const cacheDir = join(dir, 'cache');
  const phases: string[] = [];
  const first = await composeTree({ treefile: join(tf, 'test.yaml'), repo, cacheDir, basearch: 'x86_64', onPhase: (p) => phases.push(p) });
  assert.equal(first.noop, false);
  assert.equal(first.version, '1');
  assert.equal(first.ref, 'test/x86_64/rpm');
  assert.deepEqual([...new Set(phases)], ['treefile', 'sources', 'inputhash', 'install', 'postprocess', 'commit']);

  // What real ostree sees in the commit.
  assert.match(await ostree(repo, 'show', '--print-metadata-key=version', first.ref), /'1'/);
  assert.match(await ostree(repo, 'show', '--print-metadata-key=berth.test', first.ref), /'yes'/);
  const pkglist = await ostree(repo, 'show', '--print-metadata-key=rpmostree.rpmdb.pkglist', first.ref);
  assert.match(pkglist, /\('berth-test-base', uint64 0, '1\.0', '1', 'noarch'\)/);
  await ostree(repo, 'fsck');
  const top = await ostree(repo, 'ls', first.ref, '/');
  for (const l of ['/home -> var/home', '/root -> var/roothome', '/ostree -> sysroot/ostree', '/media -> run/media']) assert.ok(top.includes(l), l);
  assert.equal((await ostree(repo, 'cat', first.ref, '/usr/etc/motd')), 'composed by berth\n');
  assert.equal((await ostree(repo, 'cat', first.ref, '/usr/etc/berth-test/base.conf')), 'version=1.0\n');
  assert.equal((await ostree(repo, 'cat', first.ref, '/usr/share/berth-test/postprocess-ran')), 'post\n');
  assert.match(await ostree(repo, 'ls', first.ref, '/usr/lib/sysimage/rpm'), /rpmdb\.sqlite/);
  assert.doesNotMatch(await ostree(repo, 'ls', '-R', first.ref, '/usr/share/berth-test'), /link\.txt/);
  assert.equal((await ostree(repo, 'ls', first.ref, '/var')).trim().split('\n').length, 1, '/var is empty');
  const tmpfiles = await ostree(repo, 'cat', first.ref, '/usr/lib/tmpfiles.d/berth-autovar.conf');
  // No passwd in this tree, so owners are numeric (tmpfiles.d takes both).
  assert.match(tmpfiles, /^d \/var\/lib\/berth-test-base 0755 (root|0) (root|0) - -$/m, 'the %post-created dir is a tmpfiles.d entry');

  // Same inputs: a no-op.
  const again = await composeTree({ treefile: join(tf, 'test.yaml'), repo, cacheDir, basearch: 'x86_64' });
  assert.equal(again.noop, true);
  assert.equal(again.checksum, first.checksum);

  // A new package version in the repository: a new commit, version counted up, a package diff.
  await buildRpmRepo(join(dir, 'v1'), [basePackage('1.1')]);
  const second = await composeTree({ treefile: join(tf, 'test.yaml'), repo, cacheDir, basearch: 'x86_64' });
  assert.equal(second.noop, false);
  assert.equal(second.version, '1.1');
  const r = new ComposeRepo(repo);
  const a = await r.readCommit((await r.resolveRev(`${second.ref}^`))!);
  const b = await r.readCommit(second.checksum!);
  assert.equal(b.parent, first.checksum);
  const d = diffPackages(a.packages!, b.packages!);
  assert.deepEqual(d.upgraded.map((c) => `${c.name} ${c.from} ${c.to}`), ['berth-test-base 1.0-1 1.1-1']);
  assert.equal(renderDiffLines(d), '!berth-test-base-1.0-1.noarch\n=berth-test-base-1.1-1.noarch\n');

  // The CLI verbs over the same repository.
  const diffCli = await berth(['db', 'diff', `--repo=${repo}`, '--format=diff', `${second.ref}^`, second.ref]);
  assert.equal(diffCli.code, 0, diffCli.err);
  assert.equal(diffCli.out, '!berth-test-base-1.0-1.noarch\n=berth-test-base-1.1-1.noarch\n');
  const json = await berth(['db', 'diff', `--repo=${repo}`, '--format=json', `${second.ref}^`, second.ref]);
  assert.deepEqual(JSON.parse(json.out).upgraded, [{ name: 'berth-test-base', arch: 'noarch', 'previous-evr': '1.0-1', evr: '1.1-1' }]);
  const listCli = await berth(['db', 'list', `--repo=${repo}`, second.ref, 'berth-test-t*']);
  assert.equal(listCli.out, `ostree commit: ${second.ref} (${second.checksum})\n berth-test-tool-1.0-1.noarch\n`);
  const missing = await berth(['db', 'diff', `--repo=${repo}`, 'no/such/ref', second.ref]);
  assert.equal(missing.code, 4, 'not-found exit code');
  const noop = await berth(['compose', 'tree', `--repo=${repo}`, `--cachedir=${cacheDir}`, '--basearch=x86_64', join(tf, 'test.yaml')]);
  assert.equal(noop.code, 0, noop.err);
  assert.match(noop.out, /No apparent changes since previous commit/);
  assert.match(noop.err, /inputhash/);
  await writeFile(join(tf, 'bad.yaml'), 'ref: x\npackages: [a]\nrepos: local\n');
  const bad = await berth(['compose', 'tree', `--repo=${repo}`, join(tf, 'bad.yaml')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bad\.yaml:3: repos: /);
});
