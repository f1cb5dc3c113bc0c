import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import { serveRepo, signing } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { run } from './index.js';

async function berth(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const ctx: CommandContext = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd };
  const code = await run(argv, ctx);
  return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

async function ostree(...args: string[]): Promise<string> {
  return (await exec(['ostree', ...args])).stdout.toString();
}

test('berth ostree remote, pull, static-delta, sign verbs against repos the real ostree reads', async (t) => {
  if (!(await needTools(t, 'ostree', 'xz'))) return;
  const dir = await tempDir(t);
  const src = join(dir, 'src');
  await ostree('init', `--repo=${src}`, '--mode=archive');
  const tree = join(dir, 'tree');
  await exec(['mkdir', '-p', join(tree, 'usr/bin')]);
  await exec(['sh', '-c', `seq 1 5000 > ${tree}/usr/bin/data; echo hi > ${tree}/usr/bin/hi`]);
  const v1 = (await ostree('commit', `--repo=${src}`, '-b', 'os', `--tree=dir=${tree}`)).trim();
  await exec(['sh', '-c', `seq 1 5100 > ${tree}/usr/bin/data; echo new > ${tree}/usr/bin/new`]);
  const v2 = (await ostree('commit', `--repo=${src}`, '-b', 'os', `--tree=dir=${tree}`)).trim();

  // static-delta generate (default from = parent), list, show, then summary via ostree
  let r = await berth(dir, 'static-delta', `--repo=${src}`, 'generate', '--to=os');
  assert.equal(r.code, 0, r.err);
  r = await berth(dir, 'static-delta', `--repo=${src}`, 'list');
  assert.equal(r.out.trim(), `${v1}-${v2}`);
  r = await berth(dir, 'static-delta', `--repo=${src}`, 'show', `${v1}-${v2}`);
  assert.match(r.out, /Number of parts: 1/);
  await ostree('summary', `--repo=${src}`, '-u');

  // ed25519 sign and verify
  const keys = signing.generateEd25519KeyPair();
  r = await berth(dir, 'sign', `--repo=${src}`, 'os', keys.secret);
  assert.equal(r.code, 0, r.err);
  r = await berth(dir, 'sign', `--repo=${src}`, '--verify', 'os', keys.public);
  assert.match(r.out, /verified successfully/);
  r = await berth(dir, 'sign', `--repo=${src}`, '--verify', 'os', signing.generateEd25519KeyPair().public);
  assert.equal(r.code, 1);
  assert.match(r.err, /ed25519 verification of commit/);

  const served = await serveRepo({ root: src });
  t.after(() => served.close());
  const client = join(dir, 'client');
  await ostree('init', `--repo=${client}`, '--mode=bare-user');
  r = await berth(dir, 'remote', `--repo=${client}`, 'add', '--no-gpg-verify', `--sign-verify=ed25519=inline:${keys.public}`, 'origin', served.url, 'os');
  assert.equal(r.code, 0, r.err);
  assert.match(await readFile(join(client, 'config'), 'utf8'), /\[remote "origin"\]\nurl=.*\nbranches=os;\ngpg-verify=false\nverification-ed25519-key=.*\nsign-verify=true/);
  r = await berth(dir, 'remote', `--repo=${client}`, 'add', '--if-not-exists', 'origin', 'http://127.0.0.1:1/');
  assert.equal(r.code, 0);
  assert.equal((await berth(dir, 'remote', `--repo=${client}`, 'add', 'origin', 'http://x/')).code, 1);
  assert.equal((await berth(dir, 'remote', `--repo=${client}`, 'list', '-u')).out, `origin  ${served.url}\n`);
  assert.equal((await berth(dir, 'remote', `--repo=${client}`, 'show-url', 'origin')).out, `${served.url}\n`);
  assert.equal((await berth(dir, 'remote', `--repo=${client}`, 'refs', 'origin')).out, 'origin:os\n');
  assert.match((await berth(dir, 'remote', `--repo=${client}`, 'summary', 'origin')).out, new RegExp(`\\* os\\n    Latest Commit \\(\\d+ bytes\\):\\n      ${v2}`));
  // the real ostree reads the remote berth wrote
  assert.match(await ostree('remote', 'show-url', `--repo=${client}`, 'origin'), new RegExp(served.url));

  // pull (branches= from the remote) with JSON progress; v2 is ed25519-signed, v1 is not
  r = await berth(dir, 'pull', `--repo=${client}`, '--progress=json', 'origin');
  assert.equal(r.code, 0, r.err);
  const done = JSON.parse(r.out.trim().split('\n').at(-1)!) as { type: string; refs: Array<{ commit: string }> };
  assert.equal(done.type, 'done');
  assert.equal(done.refs[0]?.commit, v2);
  await ostree('fsck', `--repo=${client}`);
  assert.equal((await ostree('rev-parse', `--repo=${client}`, 'origin:os')).trim(), v2);

  // apply-offline of a --filename bundle into a second repo that has v1
  const bundle = join(dir, 'update.delta');
  assert.equal((await berth(dir, 'static-delta', `--repo=${src}`, 'generate', `--from=${v1}`, `--to=${v2}`, `--filename=${bundle}`)).code, 0);
  const other = join(dir, 'other');
  await ostree('init', `--repo=${other}`, '--mode=bare-user');
  await ostree('pull-local', `--repo=${other}`, src, v1);
  r = await berth(dir, 'static-delta', `--repo=${other}`, 'apply-offline', bundle);
  assert.equal(r.code, 0, r.err);
  await ostree('fsck', `--repo=${other}`);
  assert.match(await ostree('show', `--repo=${other}`, v2), new RegExp(`commit ${v2}`));

  // pull-local and remote delete
  const local = join(dir, 'local');
  await ostree('init', `--repo=${local}`, '--mode=archive');
  r = await berth(dir, 'pull-local', `--repo=${local}`, src, 'os');
  assert.equal(r.code, 0, r.err);
  await ostree('fsck', `--repo=${local}`);
  assert.equal((await berth(dir, 'static-delta', `--repo=${src}`, 'delete', `${v1}-${v2}`)).code, 0);
  assert.equal((await berth(dir, 'remote', `--repo=${client}`, 'delete', 'origin')).code, 0);
  assert.equal((await ostree('remote', 'list', `--repo=${client}`)).trim(), '');
});
