import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { exec } from '../core/index.js';
import { needTools, tempDir } from '../core/test-support.js';
import type { CommandContext } from './context.js';
import { run } from './tour.js';

async function tour(cwd: string): Promise<string> {
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  const ctx: CommandContext = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd };
  assert.equal(await run([], ctx), 0);
  return Buffer.concat(out).toString();
}

test('tour() commits, logs, diffs and checks out, and a second run changes nothing', async (t) => {
  const dir = await tempDir(t, 'berth-tour-');
  const first = await tour(dir);
  assert.match(first, /2\. Two commits of a sample tree \(\d+ objects written\)/);
  assert.match(first, /M {4}\/usr\/bin\/hello\n {3}M {4}\/usr\/etc\/os-release\n {3}D {4}\/usr\/bin\/README\n {3}A {4}\/usr\/share\/doc\/berth\/NEWS/);
  assert.match(first, /fsck verified \d+ objects of 2 commits, no errors/);
  assert.equal(await readFile(join(dir, '.berth/checkout/usr/etc/os-release'), 'utf8'), 'NAME="berth sample"\nVERSION_ID=2\n');
  const second = await tour(dir);
  assert.match(second, /already there: nothing new written/);
  const ids = (s: string): string[] => [...s.matchAll(/^ {3}v[12] ([0-9a-f]{64})/gm)].map((m) => m[1]!);
  assert.deepEqual(ids(second), ids(first));
  assert.equal(ids(first).length, 2);
});

test('the tour repository is one the real ostree reads and fscks', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const dir = await tempDir(t, 'berth-tour-');
  await tour(dir);
  const repo = join(dir, '.berth/repo');
  const fsck = await exec(['ostree', 'fsck', `--repo=${repo}`]);
  assert.match(fsck.stdout.toString(), /object fsck of 2 commits completed successfully/);
  const log = await exec(['ostree', 'log', `--repo=${repo}`, 'tour/main']);
  assert.match(log.stdout.toString(), /Sample tree v2[\s\S]*Sample tree v1/);
});
