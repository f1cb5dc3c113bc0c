import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import tarStream from 'tar-stream';
import { exec, isHostError } from '../core/index.js';
import { tempDir } from '../core/test-support.js';
import { checkout } from './checkout.js';
import { commitTree } from './commit.js';
import { Repo, REPO_MODES } from './repo.js';

const code = (c: string) => (e: unknown) => isHostError(e) && e.code === c;

async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      out.push(r);
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

async function smallRepo(t: import('node:test').TestContext, mode: (typeof REPO_MODES)[number] = 'bare-user') {
  const dir = await tempDir(t, 'berth-repo-');
  const tree = path.join(dir, 'tree');
  await fsp.mkdir(path.join(tree, 'sub'), { recursive: true });
  await fsp.writeFile(path.join(tree, 'a'), 'alpha\n');
  await fsp.writeFile(path.join(tree, 'sub/b'), 'beta\n'.repeat(1000));
  const repo = await Repo.init(path.join(dir, 'repo'), { mode });
  const { checksum } = await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'main', timestamp: 1 });
  return { dir, tree, repo, checksum };
}

test('Repo.init() writes ostree\'s layout and config for every mode', async (t) => {
  const dir = await tempDir(t);
  for (const mode of REPO_MODES) {
    const p = path.join(dir, mode);
    const repo = await Repo.init(p, { mode });
    assert.equal(repo.mode, mode);
    assert.equal(await fsp.readFile(path.join(p, 'config'), 'utf8'), `[core]\nrepo_version=1\nmode=${mode === 'archive' ? 'archive-z2' : mode}\n`);
    for (const d of ['objects', 'refs/heads', 'refs/remotes', 'refs/mirrors', 'tmp', 'state', 'extensions']) assert.ok((await fsp.stat(path.join(p, d))).isDirectory(), d);
  }
  await fsp.writeFile(path.join(dir, 'bare', 'config'), '[core]\nrepo_version=2\nmode=bare\n');
  await assert.rejects(Repo.open(path.join(dir, 'bare')), code('REPO_BAD_CONFIG'));
  await assert.rejects(Repo.open(path.join(dir, 'missing')), code('REPO_NOT_FOUND'));
  await fsp.writeFile(path.join(dir, 'bare', 'config'), '[core]\nrepo_version=1\nmode=weird\n');
  await assert.rejects(Repo.open(path.join(dir, 'bare')), code('REPO_BAD_MODE'));
});

test('setRef() and readRef() refuse ref names that would escape refs/', async (t) => {
  const { repo, checksum, dir } = await smallRepo(t);
  for (const bad of ['../../config', 'a/../../b', '..', '.', '', '/abs', 'a//b', 'a/', '-x', 'x y', 'origin:../x', '../evil:x']) {
    await assert.rejects(repo.setRef(bad, checksum), code('REPO_INVALID_REF'), bad);
    await assert.rejects(repo.readRef(bad), code('REPO_INVALID_REF'), bad);
  }
  await assert.rejects(repo.setRef('0'.repeat(64), checksum), code('REPO_INVALID_REF'));
  await assert.rejects(repo.setRef('ok', 'not-a-checksum'), code('REPO_INVALID_REF'));
  assert.deepEqual(await listAll(path.join(dir, 'repo/refs')), ['heads', 'heads/main', 'mirrors', 'remotes']);
  await repo.setRef('origin:os/x86_64', checksum);
  assert.equal(await repo.readRef('origin:os/x86_64'), checksum);
  assert.equal(await repo.resolveRev('os/x86_64'), checksum); // unique remote ref by bare name, as ostree
  assert.deepEqual([...(await repo.listRefs()).keys()], ['main', 'origin:os/x86_64']);
});

test('resolveRev() takes checksums, unique prefixes and REV^, and says when a prefix is ambiguous', async (t) => {
  const { repo, checksum, tree } = await smallRepo(t);
  assert.equal(await repo.resolveRev(checksum.slice(0, 6)), checksum);
  const second = await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'main', timestamp: 2 });
  assert.equal(await repo.resolveRev('main^'), checksum);
  assert.equal(await repo.resolveRev('main'), second.checksum);
  await assert.rejects(repo.resolveRev('main^^'), code('REPO_REF_NOT_FOUND'));
  await assert.rejects(repo.resolveRev('nope'), code('REPO_REF_NOT_FOUND'));
  // two commit objects sharing a prefix
  const fake = `${checksum.slice(0, 8)}${'0'.repeat(56)}`;
  await fsp.copyFile(repo.objectPath(checksum, 'commit'), repo.objectPath(fake, 'commit'));
  await assert.rejects(repo.resolveRev(checksum.slice(0, 8)), code('REPO_AMBIGUOUS_REV'));
});

test('a corrupt or truncated metadata object fails checkout with a typed error and creates nothing', async (t) => {
  const { repo, checksum, dir } = await smallRepo(t);
  const commit = await repo.loadCommit(checksum);
  const treePath = repo.objectPath(commit.rootTree, 'dirtree');
  const good = await fsp.readFile(treePath);
  await fsp.chmod(treePath, 0o644);
  const flipped = Buffer.from(good);
  flipped[3] = flipped[3]! ^ 0xff;
  await fsp.writeFile(treePath, flipped);
  await assert.rejects(checkout(repo, 'main', path.join(dir, 'co1'), { userMode: true }), code('REPO_OBJECT_CORRUPT'));
  await fsp.writeFile(treePath, good.subarray(0, good.length - 5));
  await assert.rejects(checkout(repo, 'main', path.join(dir, 'co2'), { userMode: true }), code('REPO_OBJECT_CORRUPT'));
  await assert.rejects(fsp.lstat(path.join(dir, 'co1')), { code: 'ENOENT' });
  await assert.rejects(fsp.lstat(path.join(dir, 'co2')), { code: 'ENOENT' });
  const commitPath = repo.objectPath(checksum, 'commit');
  await fsp.writeFile(commitPath, (await fsp.readFile(commitPath)).subarray(0, 20));
  await assert.rejects(repo.loadCommit(checksum), code('REPO_OBJECT_CORRUPT'));
});

test('a truncated archive content object fails checkout with REPO_OBJECT_CORRUPT', async (t) => {
  const { repo, dir } = await smallRepo(t, 'archive');
  const commit = await repo.loadCommit((await repo.resolveRev('main'))!);
  const sub = (await repo.loadDirTree(commit.rootTree)).dirs.find((d) => d.name === 'sub')!;
  const b = (await repo.loadDirTree(sub.treeChecksum)).files[0]!;
  const p = repo.objectPath(b.checksum, 'file');
  const bytes = await fsp.readFile(p);
  await fsp.writeFile(p, bytes.subarray(0, bytes.length - 10));
  await assert.rejects(checkout(repo, 'main', path.join(dir, 'co'), { userMode: true }), code('REPO_OBJECT_CORRUPT'));
  await fsp.writeFile(p, bytes.subarray(0, 6));
  await assert.rejects(checkout(repo, 'main', path.join(dir, 'co-b'), { userMode: true }), code('REPO_OBJECT_CORRUPT'));
});

test('a commit that fails part-way changes nothing: no objects, no staging left, ref unchanged', async (t) => {
  const { repo, dir, checksum } = await smallRepo(t);
  const before = await listAll(path.join(dir, 'repo'));
  const bad = path.join(dir, 'bad-tree');
  await fsp.mkdir(bad);
  for (let i = 0; i < 50; i++) await fsp.writeFile(path.join(bad, `f${i}`), `new content ${i}\n`);
  await exec(['mkfifo', path.join(bad, 'zz-fifo')]);
  await assert.rejects(commitTree(repo, { trees: [{ kind: 'dir', path: bad }], branch: 'main' }), code('REPO_UNSUPPORTED_FILE_TYPE'));
  assert.deepEqual(await listAll(path.join(dir, 'repo')), before);
  assert.equal(await repo.readRef('main'), checksum);
});

test('commitTree() refuses hostile tar entries and creates nothing', async (t) => {
  const { repo, dir } = await smallRepo(t);
  const before = await listAll(path.join(dir, 'repo'));
  for (const name of ['../escape', 'a/../../escape', 'ok/../../x']) {
    const pack = tarStream.pack();
    pack.entry({ name: 'fine', size: 3 }, 'abc');
    pack.entry({ name, size: 4 }, 'evil');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const tarball = path.join(dir, 'evil.tar');
    await fsp.writeFile(tarball, Buffer.concat(chunks));
    await assert.rejects(commitTree(repo, { trees: [{ kind: 'tar', path: tarball }], branch: 'evil' }), code('REPO_BAD_TAR_ENTRY'), name);
  }
  assert.deepEqual((await listAll(path.join(dir, 'repo'))).filter((p) => !p.endsWith('evil.tar')), before);
});

test('content objects are written crash-safely: staged under tmp/, then renamed into objects/', async (t) => {
  const { repo, dir } = await smallRepo(t);
  assert.deepEqual((await fsp.readdir(path.join(dir, 'repo/tmp'))).filter((n) => n.startsWith('staging-')), []);
  for (const name of await listAll(path.join(dir, 'repo/objects'))) assert.ok(!name.includes('.tmp'), name);
  assert.equal(await fsp.readFile(path.join(dir, 'repo/refs/heads/main'), 'utf8'), `${await repo.readRef('main')}\n`);
});

test('a staging dir left by a dead transaction is removed once older than core.tmp-expiry-secs', async (t) => {
  const { repo, dir, tree } = await smallRepo(t);
  const stale = path.join(dir, 'repo/tmp/staging-deadbeef');
  const fresh = path.join(dir, 'repo/tmp/staging-alive');
  await fsp.mkdir(path.join(stale, 'ab'), { recursive: true });
  await fsp.mkdir(fresh);
  const old = new Date(Date.now() - 2 * 86400 * 1000);
  await fsp.utimes(stale, old, old);
  await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'again', timestamp: 3 });
  assert.deepEqual((await fsp.readdir(path.join(dir, 'repo/tmp'))).filter((n) => n.startsWith('staging-')), ['staging-alive']);
});

test('the repository lock: commits wait for a prune\'s exclusive lock, berth\'s and the real ostree\'s alike', async (t) => {
  const { repo, dir } = await smallRepo(t);
  const { lockRepo } = await import('./repo-lock.js');
  const { KeyFile } = await import('../formats/index.js');
  const repoPath = path.join(dir, 'repo');
  const config = KeyFile.parse(`${repo.config.toString()}`);
  config.setValue('core', 'lock-timeout-secs', '1');
  await repo.writeConfig(config);
  const tree = path.join(dir, 'tree2');
  await fsp.mkdir(tree);
  await fsp.writeFile(path.join(tree, 'f'), 'x\n');
  const held = await lockRepo(repoPath, config, 'exclusive'); // what a prune holds
  await assert.rejects(commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'other' }), code('REPO_LOCKED'));
  const ostree = await exec(['ostree', `--repo=${repoPath}`, 'commit', '-b', 'other', `--tree=dir=${tree}`], { check: false });
  assert.notEqual(ostree.exitCode, 0);
  assert.match(ostree.stderr.toString(), /Locking repo shared failed/);
  await held.release();
  await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'other' });
  // Shared holders do not exclude each other: a transaction does not wait for another one.
  const a = await lockRepo(repoPath, config, 'shared');
  const b = await lockRepo(repoPath, config, 'shared');
  await Promise.all([a.release(), b.release()]);
});
