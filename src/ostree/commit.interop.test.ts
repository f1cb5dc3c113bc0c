import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { exec } from '../core/index.js';
import { needTools, tempDir } from '../core/test-support.js';
import { checkout } from './checkout.js';
import { commitTree } from './commit.js';
import { ObjectNotFound } from './errors.js';
import { Repo, REPO_MODES, type RepoMode } from './repo.js';
import { makeHostileTree, ostree, snapshotTree } from './test-trees.js';

const TS = '2023-06-01T12:00:00Z';
const TS_SECONDS = Math.floor(Date.parse(TS) / 1000);

async function setup(t: import('node:test').TestContext, mode: RepoMode) {
  const dir = await tempDir(t, 'berth-interop-');
  const tree = path.join(dir, 'tree');
  await makeHostileTree(tree);
  const ours = path.join(dir, 'berth-repo');
  const theirs = path.join(dir, 'ostree-repo');
  await ostree('init', `--repo=${theirs}`, `--mode=${mode}`);
  const repo = await Repo.init(ours, { mode });
  return { dir, tree, ours, theirs, repo };
}

for (const mode of REPO_MODES) {
  test(`commitTree() gives the same commit checksum as ostree commit in ${mode} mode, and each checks out the other's`, async (t) => {
    if (!(await needTools(t, 'ostree'))) return;
    const { dir, tree, ours, theirs, repo } = await setup(t, mode);
    const theirCommit = (await ostree('commit', `--repo=${theirs}`, '-b', 'test/os', '-s', 'Subject', '--body', 'Body text',
      `--timestamp=${TS}`, '--add-metadata-string=version=1.0', '--add-metadata=answer=42', `--tree=dir=${tree}`)).trim();
    const result = await commitTree(repo, {
      trees: [{ kind: 'dir', path: tree }], branch: 'test/os', subject: 'Subject', body: 'Body text', timestamp: TS_SECONDS,
      metadata: [['version', { type: 's', value: '1.0' }], ['answer', { type: 'i', value: 42 }]],
    });
    assert.equal(result.checksum, theirCommit);
    assert.equal((await fsp.readFile(path.join(ours, 'refs/heads/test/os'), 'utf8')), `${theirCommit}\n`);
    // The worker-thread path (used for big trees) writes the same objects.
    const viaWorkers = await commitTree(await Repo.init(path.join(dir, 'workers-repo'), { mode }), {
      trees: [{ kind: 'dir', path: tree }], branch: 'test/os', subject: 'Subject', body: 'Body text', timestamp: TS_SECONDS,
      metadata: [['version', { type: 's', value: '1.0' }], ['answer', { type: 'i', value: 42 }]], workers: 2,
    });
    assert.equal(viaWorkers.checksum, theirCommit);
    const fsckWorkers = await exec(['ostree', 'fsck', `--repo=${path.join(dir, 'workers-repo')}`], { check: false });
    assert.equal(fsckWorkers.exitCode, 0, fsckWorkers.stderr.toString());

    // The real ostree validates every object berth wrote.
    const fsck = await exec(['ostree', 'fsck', `--repo=${ours}`], { check: false });
    assert.equal(fsck.exitCode, 0, fsck.stderr.toString());
    // ... and lists the same tree from both repos.
    assert.equal(await ostree('ls', `--repo=${ours}`, '-R', '-X', 'test/os'), await ostree('ls', `--repo=${theirs}`, '-R', '-X', 'test/os'));

    // Cross checkouts: ostree from berth's repo, berth from ostree's repo; both must be identical.
    const userMode = mode !== 'bare';
    const a = path.join(dir, 'co-ostree-from-berth');
    const b = path.join(dir, 'co-berth-from-ostree');
    await ostree('checkout', `--repo=${ours}`, ...(userMode ? ['-U'] : []), 'test/os', a);
    await checkout(await Repo.open(theirs), 'test/os', b, { userMode });
    const snapA = await snapshotTree(a, { owners: !userMode, xattrs: !userMode });
    const snapB = await snapshotTree(b, { owners: !userMode, xattrs: !userMode });
    assert.deepEqual(snapB, snapA);
    if (mode === 'bare') {
      // A root checkout from a bare repo reproduces the input exactly (hardlinks aside).
      assert.deepEqual(await snapshotTree(b), await snapshotTree(tree));
    }
  });
}

test('commitTree() matches ostree for --orphan, --no-bindings, --owner-uid/gid, --no-xattrs and --tree=ref layering', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const { dir, tree, theirs, repo } = await setup(t, 'bare-user');
  const overlay = path.join(dir, 'overlay');
  await fsp.mkdir(path.join(overlay, 'usr/bin'), { recursive: true });
  await fsp.writeFile(path.join(overlay, 'usr/bin/tool'), 'replaced\n');
  await fsp.writeFile(path.join(overlay, 'new-file'), 'new\n');
  const base = (await ostree('commit', `--repo=${theirs}`, '--orphan', '--no-xattrs', '--owner-uid=0', '--owner-gid=0', `--timestamp=${TS}`, '-s', 'x', `--tree=dir=${tree}`)).trim();
  const ours = await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], orphan: true, noXattrs: true, ownerUid: 0, ownerGid: 0, timestamp: TS_SECONDS, subject: 'x' });
  assert.equal(ours.checksum, base);
  await ostree('refs', `--repo=${theirs}`, `--create=base`, base);
  await repo.setRef('base', ours.checksum);
  const layered = (await ostree('commit', `--repo=${theirs}`, '-b', 'layered', '--no-bindings', `--timestamp=${TS}`, '-s', 'l', '--tree=ref=base', `--tree=dir=${overlay}`)).trim();
  const ourLayered = await commitTree(repo, { trees: [{ kind: 'ref', rev: 'base' }, { kind: 'dir', path: overlay }], branch: 'layered', noBindings: true, timestamp: TS_SECONDS, subject: 'l' });
  assert.equal(ourLayered.checksum, layered);
  // The parent defaults to the branch's current commit.
  const second = await commitTree(repo, { trees: [{ kind: 'ref', rev: 'layered' }], branch: 'layered', timestamp: TS_SECONDS + 1, subject: 'again' });
  assert.equal((await repo.loadCommit(second.checksum)).parent, ourLayered.checksum);
  const skipped = await commitTree(repo, { trees: [{ kind: 'ref', rev: 'layered' }], branch: 'layered', skipIfUnchanged: true });
  assert.equal(skipped.skipped, true);
  assert.equal(skipped.checksum, second.checksum);
});

test('commitTree() from a tar matches ostree commit --tree=tar=', async (t) => {
  if (!(await needTools(t, 'ostree', 'tar'))) return;
  const { dir, theirs, repo } = await setup(t, 'archive');
  const src = path.join(dir, 'src');
  await fsp.mkdir(path.join(src, 'etc'), { recursive: true });
  await fsp.mkdir(path.join(src, 'usr/bin'), { recursive: true });
  await fsp.writeFile(path.join(src, 'etc/os-release'), 'ID=berth\n');
  await fsp.writeFile(path.join(src, 'usr/bin/x'), '#!/bin/sh\n');
  await fsp.chmod(path.join(src, 'usr/bin/x'), 0o755);
  await fsp.symlink('usr/bin', path.join(src, 'bin'));
  await fsp.link(path.join(src, 'usr/bin/x'), path.join(src, 'usr/bin/y'));
  const tarball = path.join(dir, 'rootfs.tar');
  await exec(['tar', '-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', tarball, '.']);
  const theirs1 = (await ostree('commit', `--repo=${theirs}`, '-b', 'tar', `--timestamp=${TS}`, '-s', 't', `--tree=tar=${tarball}`)).trim();
  const ours1 = await commitTree(repo, { trees: [{ kind: 'tar', path: tarball }], branch: 'tar', timestamp: TS_SECONDS, subject: 't' });
  assert.equal(ours1.checksum, theirs1);
});

test('checkout() with --union, --union-add, --subpath, --require-hardlinks and --force-copy behaves like ostree', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const { dir, tree, ours, repo } = await setup(t, 'bare-user');
  await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'os', timestamp: TS_SECONDS });
  const runBoth = async (name: string, prepare: (d: string) => Promise<void>, ostreeArgs: string[], opts: Parameters<typeof checkout>[3], sub = '') => {
    const a = path.join(dir, `${name}-ostree`);
    const b = path.join(dir, `${name}-berth`);
    await prepare(a);
    await prepare(b);
    await ostree('checkout', `--repo=${ours}`, ...ostreeArgs, 'os', path.join(a, sub));
    await checkout(repo, 'os', path.join(b, sub), opts);
    assert.deepEqual(await snapshotTree(b, { owners: false, xattrs: false }), await snapshotTree(a, { owners: false, xattrs: false }), name);
    return b;
  };
  const none = async (): Promise<void> => undefined;
  const preExisting = async (d: string): Promise<void> => {
    await fsp.mkdir(path.join(d, 'usr/bin'), { recursive: true });
    await fsp.writeFile(path.join(d, 'usr/bin/tool'), 'local edit\n');
    await fsp.writeFile(path.join(d, 'local-only'), 'mine\n');
  };
  await runBoth('union', preExisting, ['-U', '--union'], { userMode: true, union: true });
  await runBoth('union-add', preExisting, ['-U', '--union-add'], { userMode: true, unionAdd: true });
  await runBoth('subpath', none, ['-U', '--subpath=/usr/bin'], { userMode: true, subpath: '/usr/bin' });
  const hl = await runBoth('hardlinks', none, ['-U', '-H'], { userMode: true, requireHardlinks: true });
  assert.ok((await fsp.stat(path.join(hl, 'hello.txt'))).nlink > 1);
  // Worker threads (started at once here; 'auto' starts them only for big trees) give the same tree.
  await runBoth('workers', none, ['-U'], { userMode: true, workers: 2 });
  await runBoth('workers-subpath', none, ['-U', '--subpath=/usr'], { userMode: true, workers: 1, subpath: '/usr' });
  const copy = await runBoth('copy', none, ['-U', '-C'], { userMode: true, forceCopy: true });
  assert.equal((await fsp.stat(path.join(copy, 'hello.txt'))).nlink, 1);
  // An existing destination is refused without a union option, as ostree refuses it.
  await assert.rejects(checkout(repo, 'os', path.join(dir, 'copy-berth'), { userMode: true }), (e: unknown) => (e as { code?: string }).code === 'REPO_CHECKOUT_EXISTS');
  // A missing object met by a worker surfaces as the same typed error as on the main thread.
  const commit = await repo.loadCommit(await repo.resolveRev('os') as string);
  const victim = (await repo.loadDirTree(commit.rootTree)).files.find((f) => f.name === 'hello.txt')!;
  await fsp.rename(repo.objectPath(victim.checksum, 'file'), path.join(dir, 'moved-object'));
  for (const workers of [0, 2]) {
    await assert.rejects(checkout(repo, 'os', path.join(dir, `missing-${workers}`), { userMode: true, workers }),
      (e: unknown) => ObjectNotFound.is(e) && e.message === `Couldn't find file object '${victim.checksum}'`);
  }
});

test('re-committing an unchanged hardlinked checkout with linkCheckoutSpeedup writes nothing and keeps the tree', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const { dir, tree, repo } = await setup(t, 'bare-user');
  const first = await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'os', timestamp: TS_SECONDS });
  const co = path.join(dir, 'co');
  await checkout(repo, 'os', co, { userMode: true });
  const again = await commitTree(repo, { trees: [{ kind: 'dir', path: co }], branch: 'os2', timestamp: TS_SECONDS, linkCheckoutSpeedup: true });
  // Regular files are hardlinks to objects and are reused; symlinks are recreated by checkout, so
  // the one owned by another uid (only made as root) becomes a new object, as with ostree.
  assert.equal(again.contentWritten, process.getuid?.() === 0 ? 1 : 0);
  const [c1, c2] = [await repo.loadCommit(first.checksum), await repo.loadCommit(again.checksum)];
  const files = async (c: typeof c1) => (await repo.loadDirTree(c.rootTree)).files.filter((f) => f.name !== 'dangling');
  assert.deepEqual(await files(c2), await files(c1));
});
