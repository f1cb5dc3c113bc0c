import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { needRoot, needTools, tempDir } from '../core/test-support.js';
import { exec } from '../core/index.js';
import { decodeDirTree, encodeGVariant } from '../formats/index.js';
import { Repo } from '../ostree/index.js';
import { decodeDirTreeFast, hardlinkFarm } from './hardlink-farm.js';

test('decodeDirTreeFast() decodes every dirtree of a real ostree commit like the general codec', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const dir = await tempDir(t);
  const tree = path.join(dir, 'tree');
  // Enough entries for 2-byte framing offsets, non-ASCII names, empty dirs.
  for (let i = 0; i < 200; i++) {
    await fsp.mkdir(path.join(tree, `d${i % 7}`, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(tree, `d${i % 7}`, `f-${i}-\u00e9\u4e2d`), `x${i}`);
  }
  await fsp.mkdir(path.join(tree, 'empty'));
  await exec(['ostree', `--repo=${path.join(dir, 'repo')}`, 'init', '--mode=bare-user']);
  await exec(['ostree', `--repo=${path.join(dir, 'repo')}`, 'commit', '-b', 'x', `--tree=dir=${tree}`]);
  let n = 0;
  for (const sub of await fsp.readdir(path.join(dir, 'repo/objects'))) {
    for (const f of await fsp.readdir(path.join(dir, 'repo/objects', sub))) {
      if (!f.endsWith('.dirtree')) continue;
      const bytes = await fsp.readFile(path.join(dir, 'repo/objects', sub, f));
      assert.deepEqual(decodeDirTreeFast(bytes), decodeDirTree(bytes));
      n++;
    }
  }
  assert.ok(n >= 8, `${n} dirtrees`);
});

test('decodeDirTreeFast() refuses the names the general codec refuses', () => {
  const csum = new Uint8Array(32);
  for (const bad of ['..', '.', 'a/b', '']) {
    const bytes = Buffer.from(encodeGVariant('(a(say)a(sayay))', [[[bad, csum]], []]));
    assert.throws(() => decodeDirTreeFast(bytes));
  }
});

test('hardlinkFarm() makes the same tree as ostree checkout, hardlinked, and restores the cwd', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree'))) return;
  const dir = await tempDir(t);
  const tree = path.join(dir, 'tree');
  await fsp.mkdir(path.join(tree, 'usr/bin'), { recursive: true });
  await fsp.writeFile(path.join(tree, 'usr/bin/a'), 'a');
  await fsp.chmod(path.join(tree, 'usr/bin'), 0o750);
  await fsp.symlink('usr/bin', path.join(tree, 'bin'));
  const repoPath = path.join(dir, 'repo');
  await exec(['ostree', `--repo=${repoPath}`, 'init', '--mode=bare']);
  const csum = (await exec(['ostree', `--repo=${repoPath}`, 'commit', '-b', 'x', `--tree=dir=${tree}`])).stdout.toString().trim();
  const cwd = process.cwd();
  const files = await hardlinkFarm(await Repo.open(repoPath), csum, path.join(dir, 'farm'));
  assert.equal(process.cwd(), cwd);
  assert.equal(files, 2);
  await exec(['ostree', `--repo=${repoPath}`, 'checkout', csum, path.join(dir, 'co')]);
  const ls = async (root: string) => (await exec(['sh', '-c', `cd ${JSON.stringify(root)} && find . -printf '%p %M %u %l %n\\n' | sort`])).stdout.toString();
  assert.equal(await ls(path.join(dir, 'farm')), await ls(path.join(dir, 'co')));
});
