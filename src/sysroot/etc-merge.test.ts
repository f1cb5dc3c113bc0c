import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { tempDir, needRoot } from '../core/test-support.js';
import { exec } from '../core/index.js';
import { diffEtc, mergeEtc } from './etc-merge.js';
import { copyTree } from './tree-ops.js';

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fsp.writeFile(path.join(root, rel), content);
  }
}

/** old defaults, the admin's /etc (a copy, then edited), new defaults and new /etc (a copy). */
async function setup(t: Parameters<typeof tempDir>[0], oldDefaults: Record<string, string>, newDefaults: Record<string, string>) {
  const dir = await tempDir(t);
  const p = { oldDefaults: path.join(dir, 'old-usr-etc'), oldEtc: path.join(dir, 'old-etc'), newDefaults: path.join(dir, 'new-usr-etc'), newEtc: path.join(dir, 'new-etc') };
  await fsp.mkdir(p.oldDefaults);
  await fsp.mkdir(p.newDefaults);
  await write(p.oldDefaults, oldDefaults);
  await write(p.newDefaults, newDefaults);
  await copyTree(p.oldDefaults, p.oldEtc);
  return p;
}

test('mergeEtc() carries modified, added and removed files and takes untouched new defaults', async (t) => {
  const p = await setup(t, { hostname: 'a\n', profile: 'p\n', motd: 'm1\n' }, { hostname: 'a\n', profile: 'p\n', motd: 'm2\n', 'new.conf': 'n\n' });
  await fsp.writeFile(path.join(p.oldEtc, 'hostname'), 'mine\n');
  await fsp.writeFile(path.join(p.oldEtc, 'local.conf'), 'l\n');
  await fsp.rm(path.join(p.oldEtc, 'profile'));
  await copyTree(p.newDefaults, p.newEtc);
  const r = await mergeEtc(p);
  assert.deepEqual([r.modified, r.added, r.removed, r.conflicts, r.unmerged], [['hostname'], ['local.conf'], ['profile'], [], []]);
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'hostname'), 'utf8'), 'mine\n');
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'local.conf'), 'utf8'), 'l\n');
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'motd'), 'utf8'), 'm2\n', 'unmodified locally: new default');
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'new.conf'), 'utf8'), 'n\n');
  await assert.rejects(fsp.access(path.join(p.newEtc, 'profile')));
});

test('mergeEtc() reports a conflict when the admin and the new defaults changed the same file, keeping the admin version', async (t) => {
  const p = await setup(t, { 'a.conf': '1\n', 'b.conf': 'b\n' }, { 'a.conf': '2\n', 'b.conf': 'b2\n' });
  await fsp.writeFile(path.join(p.oldEtc, 'a.conf'), 'local\n');
  await fsp.rm(path.join(p.oldEtc, 'b.conf'));
  await copyTree(p.newDefaults, p.newEtc);
  const r = await mergeEtc(p);
  assert.deepEqual(r.conflicts, ['a.conf', 'b.conf']);
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'a.conf'), 'utf8'), 'local\n');
  await assert.rejects(fsp.access(path.join(p.newEtc, 'b.conf')));
});

test('mergeEtc() carries permission and ownership changes, symlinks, and directories replaced by files and back', async (t) => {
  if (!needRoot(t)) return;
  const p = await setup(t, { 'secret': 's\n', 'd/x': 'x\n', 'f': 'f\n', 'keep/y': 'y\n' }, { 'secret': 's\n', 'd/x': 'x\n', 'f': 'f\n', 'keep/y': 'y\n', 'keep/z': 'z\n' });
  await fsp.chmod(path.join(p.oldEtc, 'secret'), 0o600);
  await fsp.chown(path.join(p.oldEtc, 'secret'), 0, 42);
  await fsp.symlink('../usr/share/zoneinfo/UTC', path.join(p.oldEtc, 'localtime'));
  await fsp.rm(path.join(p.oldEtc, 'd'), { recursive: true });
  await fsp.writeFile(path.join(p.oldEtc, 'd'), 'now a file\n');
  await fsp.rm(path.join(p.oldEtc, 'f'));
  await write(p.oldEtc, { 'f/inner': 'now a dir\n' });
  await fsp.chmod(path.join(p.oldEtc, 'keep'), 0o750);
  await copyTree(p.newDefaults, p.newEtc);
  const changes = await diffEtc(p.oldDefaults, p.oldEtc);
  assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`), ['modified d', 'modified f', 'modified keep', 'added localtime', 'modified secret']);
  const r = await mergeEtc(p);
  assert.deepEqual(r.unmerged, []);
  const st = await fsp.stat(path.join(p.newEtc, 'secret'));
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.gid, 42);
  assert.equal(await fsp.readlink(path.join(p.newEtc, 'localtime')), '../usr/share/zoneinfo/UTC');
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'd'), 'utf8'), 'now a file\n');
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'f/inner'), 'utf8'), 'now a dir\n');
  assert.equal((await fsp.stat(path.join(p.newEtc, 'keep'))).mode & 0o777, 0o750);
  assert.equal(await fsp.readFile(path.join(p.newEtc, 'keep/z'), 'utf8'), 'z\n', 'new default inside a re-permissioned dir');
});

test('mergeEtc() reports special files it cannot carry over instead of dropping them silently', async (t) => {
  if (!needRoot(t)) return;
  const p = await setup(t, { a: 'a\n' }, { a: 'a\n' });
  await exec(['mkfifo', path.join(p.oldEtc, 'initctl')]);
  await copyTree(p.newDefaults, p.newEtc);
  const r = await mergeEtc(p);
  assert.deepEqual(r.added, ['initctl']);
  assert.deepEqual(r.unmerged, ['initctl']);
});
