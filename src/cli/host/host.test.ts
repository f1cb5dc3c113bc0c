// End-to-end on a tmpfs sysroot: `berth ostree admin` and `berth host` driven in-process, boots
// simulated by passing the default entry's options as the kernel command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as http from 'node:http';
import { needRoot, needTools, tempDir } from '../../core/test-support.js';
import { blsGet, parseBlsEntry } from '../../formats/index.js';
import { sysrootTesting } from '../../sysroot/index.js';

const { makeTree, ostreeAdmin, ostreeCommit, ostreeSysroot, tmpfsDir } = sysrootTesting;
import type { CommandContext } from '../context.js';
import { runAdmin } from '../admin/index.js';
import { run as runHost } from './index.js';

function ctxWith(env: Record<string, string>): { ctx: CommandContext; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let buf = '';
  stdout.on('data', (b: Buffer) => (buf += b.toString()));
  stderr.on('data', (b: Buffer) => (buf += b.toString()));
  return { ctx: { stdout, stderr, stdin: new PassThrough(), env: { ...process.env, ...env }, cwd: process.cwd() }, out: () => buf };
}

async function defaultCmdline(sysroot: string): Promise<string> {
  const dir = path.join(sysroot, 'boot/loader/entries');
  const names = await fsp.readdir(dir);
  for (const n of names) {
    const e = parseBlsEntry(await fsp.readFile(path.join(dir, n), 'utf8'));
    if (blsGet(e, 'version') === String(names.length)) return blsGet(e, 'options')!;
  }
  throw new Error('no default entry');
}

test('host upgrade makes a tentative default; failing health checks roll it back after 3 boots, shown in status', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'chattr'))) return;
  const dir = await tmpfsDir(t);
  const S = await ostreeSysroot(dir);
  const repo = path.join(S, 'ostree/repo');
  await makeTree(path.join(dir, 't1'));
  const v1 = await ostreeCommit(repo, path.join(dir, 't1'), 'test/os', '1.0');
  let runN = 0;
  const boot = async () => ({ BERTH_CMDLINE: await defaultCmdline(S), BERTH_RUNDIR: path.join(dir, `run${runN++}`) });

  const a = ctxWith({});
  assert.equal(await runAdmin([`--sysroot=${S}`, 'deploy', '--os=test', '--karg=root=/dev/vda1', '--karg=rw', 'test/os'], a.ctx), 0);
  assert.match(a.out(), /Bootloader updated; bootconfig swap: yes; bootversion: boot\.1\.1, deployment count change: 1/);

  // First boot of v1: not tentative (nothing to compare with).
  let env = await boot();
  let c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'health-check'], c.ctx), 0);

  await makeTree(path.join(dir, 't2'), {
    kernel: 'k2',
    files: { 'usr/bin/tool': 'v2\n', 'usr/lib/berth/health.d/10-service': '#!/bin/sh\necho "service x down" >&2\nexit 1\n' },
  });
  await fsp.chmod(path.join(dir, 't2/usr/lib/berth/health.d/10-service'), 0o755);
  const v2 = await ostreeCommit(repo, path.join(dir, 't2'), 'test/os', '2.0');

  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'upgrade', '--preview'], c.ctx), 0);
  assert.match(c.out(), new RegExp(`Version: 2\\.0 .*\\n\\s+Commit: ${v2}`));
  assert.match(c.out(), /^M    \/usr\/bin\/tool$/m);
  assert.match(c.out(), /^A    \/usr\/lib\/berth$/m);
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'upgrade'], c.ctx), 0);
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'status', '--json'], c.ctx), 0);
  const j = JSON.parse(c.out()) as { deployments: Array<{ checksum: string; booted: boolean }>; 'berth-tentative': { deployment: string; bootsLeft: number } };
  assert.deepEqual(j.deployments.map((d) => [d.checksum, d.booted]), [[v2, false], [v1, true]]);
  assert.deepEqual(j['berth-tentative'], { deployment: `test/${v2}.0`, bootsLeft: 3 });
  c = ctxWith(env);
  assert.equal(await runAdmin([`--sysroot=${S}`, 'status'], c.ctx), 0);
  assert.equal(c.out(), `  test ${v2}.0 (pending)\n    Version: 2.0\n    origin refspec: test/os\n* test ${v1}.0\n    Version: 1.0\n    origin refspec: test/os\n`);

  // Three boots of v2, each failing its health check; the third rolls back.
  const outcomes: number[] = [];
  for (let i = 0; i < 3; i++) {
    env = await boot();
    c = ctxWith(env);
    outcomes.push(await runHost([`--sysroot=${S}`, 'health-check'], c.ctx));
    if (i < 2) assert.match(c.out(), new RegExp(`Boot ${i + 1} of test/${v2}\\.0 failed: 10-service exited 1: service x down`));
    else assert.match(c.out(), /Rolled back from/);
  }
  assert.deepEqual(outcomes, [1, 1, 1]);
  env = await boot();
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'status'], c.ctx), 0);
  assert.match(c.out(), new RegExp(`Warning: rolled back from test/${v2}\\.0 after 3 failed boots: 10-service exited 1: service x down`));
  assert.match(c.out(), new RegExp(`Deployments:\\n\u25cf test/os\\n\\s+Version: 1\\.0 \\(.*\\)\\n\\s+Commit: ${v1}\\n\\n  test/os\\n\\s+Version: 2\\.0`));
  // The real ostree agrees on the order.
  assert.match(await ostreeAdmin(S, 'status'), new RegExp(`^  test ${v1}\\.0\\n[\\s\\S]*  test ${v2}\\.0\\n`));

  // kargs creates a new deployment with the changed arguments; rollback swaps back.
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'kargs', '--append=quiet', '--replace=root=/dev/vda2'], c.ctx), 0);
  c = ctxWith(env);
  await runHost([`--sysroot=${S}`, 'kargs'], c.ctx);
  assert.equal(c.out(), 'root=/dev/vda2 rw quiet\n');
  // Boot the new (tentative) default; berthd answers on its socket, so the boot is good.
  const socket = path.join(await tempDir(t), 'berthd.sock'); // outside the tmpfs, so it never holds it busy
  const server = http.createServer((_req, res) => res.end('OK'));
  await new Promise<void>((r) => server.listen(socket, r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  env = await boot();
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'health-check', `--berthd-socket=${socket}`], c.ctx), 0, c.out());
  assert.match(c.out(), /is healthy; tentative mark cleared/);
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'rollback'], c.ctx), 0);
  c = ctxWith(env);
  await runHost([`--sysroot=${S}`, 'kargs'], c.ctx);
  assert.equal(c.out(), 'root=/dev/vda1 rw\n');

  // pin, then undeploy refuses the booted one.
  c = ctxWith(env);
  assert.equal(await runAdmin([`--sysroot=${S}`, 'pin', '1'], c.ctx), 0);
  assert.match(await ostreeAdmin(S, 'status'), /Pinned: yes/);
  await assert.rejects(runAdmin([`--sysroot=${S}`, 'undeploy', '1'], ctxWith(env).ctx), /booted/);

  // deploy VERSION walks the origin ref's history; rebase switches the origin ref.
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'deploy', '1.0'], c.ctx), 0, c.out());
  c = ctxWith(env);
  await runHost([`--sysroot=${S}`, 'status', '--json'], c.ctx);
  assert.equal((JSON.parse(c.out()) as { deployments: Array<{ checksum: string }> }).deployments[0]!.checksum, v1);
  await assert.rejects(runHost([`--sysroot=${S}`, 'deploy', '9.9'], ctxWith(env).ctx), /No commit with version "9\.9"/);
  await makeTree(path.join(dir, 't3'), { files: { 'usr/bin/tool': 'other\n' } });
  const v3 = await ostreeCommit(repo, path.join(dir, 't3'), 'test/other', '3.0');
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'rebase', 'test/other'], c.ctx), 0, c.out());
  c = ctxWith(env);
  await runHost([`--sysroot=${S}`, 'status', '--json'], c.ctx);
  const after = JSON.parse(c.out()) as { deployments: Array<{ checksum: string; origin: string }> };
  assert.deepEqual([after.deployments[0]!.checksum, after.deployments[0]!.origin], [v3, 'test/other']);
  assert.match(await ostreeAdmin(S, 'status'), new RegExp(`^  test ${v3}\\.0\\n    Version: 3\\.0\\n    origin refspec: test/other\\n`));

  // cleanup -p drops the pending deployment (the rebase), -r the rollback.
  const count = async () => {
    const x = ctxWith(env);
    await runHost([`--sysroot=${S}`, 'status', '--json'], x.ctx);
    return (JSON.parse(x.out()) as { deployments: Array<{ checksum: string; booted: boolean }> }).deployments;
  };
  const before = await count();
  assert.equal(await runHost([`--sysroot=${S}`, 'cleanup', '-p'], ctxWith(env).ctx), 0);
  const afterP = await count();
  assert.equal(afterP.length, before.length - 1);
  assert.ok(!afterP.some((d) => d.checksum === v3));
  assert.ok(afterP[0]!.booted);

  // Staged upgrade on the booted host: nothing changes in the boot entries until finalize.
  await fsp.writeFile(path.join(S, 'ostree/repo/refs/heads/test/os'), `${v2}\n`);
  const entriesBefore = await fsp.readdir(path.join(S, 'boot/loader/entries'));
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'rebase', '--stage', 'test/os'], c.ctx), 0, c.out());
  c = ctxWith(env);
  assert.equal(await runAdmin([`--sysroot=${S}`, 'status'], c.ctx), 0);
  assert.match(c.out(), new RegExp(`^  test ${v2}\\.\\d+ \\(staged\\)\\n`));
  assert.deepEqual(await fsp.readdir(path.join(S, 'boot/loader/entries')), entriesBefore);
  c = ctxWith(env);
  assert.equal(await runHost([`--sysroot=${S}`, 'finalize'], c.ctx), 0, c.out());
  assert.equal((await count())[0]!.checksum, v2);
  assert.match(await ostreeAdmin(S, 'status'), new RegExp(`^  test ${v2}\\.\\d+\\n`));
});

test('host status verifies each deployment against its origin remote\'s keys: valid, then unsigned', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'chattr'))) return;
  const { addRemote, generateEd25519KeyPair, signCommit } = await import('../../ostree/index.js');
  const { exec } = await import('../../core/index.js');
  const dir = await tmpfsDir(t);
  const S = await ostreeSysroot(dir);
  const repo = path.join(S, 'ostree/repo');
  const key = generateEd25519KeyPair();
  await addRemote({ repo }, 'origin', 'http://127.0.0.1:9/repo', { noGpgVerify: true, set: [['sign-verify', 'true'], ['verification-ed25519-key', key.public]] });
  await makeTree(path.join(dir, 't1'));
  const v1 = await ostreeCommit(repo, path.join(dir, 't1'), 'local/os', '1.0');
  await signCommit(repo, v1, { ed25519: [key.secret] });
  await exec(['ostree', `--repo=${repo}`, 'refs', `--create=origin:test/os`, v1]);
  assert.equal(await runAdmin([`--sysroot=${S}`, 'deploy', '--os=test', '--karg=root=/dev/vda1', 'origin:test/os'], ctxWith({}).ctx), 0);
  let c = ctxWith({ BERTH_CMDLINE: await defaultCmdline(S) });
  assert.equal(await runHost([`--sysroot=${S}`, 'status'], c.ctx), 0);
  assert.match(c.out(), new RegExp(`Commit: ${v1}\\n\\s+Ed25519Signature: Valid signature by ${key.public.replace(/[+/]/g, '\\$&')}\\n`));

  // An unsigned commit on the same remote says so (status reads; only pull and deploy refuse).
  await makeTree(path.join(dir, 't2'), { files: { 'usr/bin/tool': 'v2\n' } });
  const v2 = await ostreeCommit(repo, path.join(dir, 't2'), 'local/os', '2.0');
  await exec(['ostree', `--repo=${repo}`, 'refs', '--force', `--create=origin:test/os`, v2]);
  assert.equal(await runAdmin([`--sysroot=${S}`, 'deploy', '--os=test', 'origin:test/os'], ctxWith({}).ctx), 0);
  c = ctxWith({ BERTH_CMDLINE: await defaultCmdline(S) });
  assert.equal(await runHost([`--sysroot=${S}`, 'status', '--json'], c.ctx), 0);
  const json = JSON.parse(c.out()) as { deployments: Array<{ checksum: string; 'berth-signatures'?: Array<{ state: string }> }> };
  assert.deepEqual(json.deployments.map((d) => [d.checksum, d['berth-signatures']?.[0]?.state]), [[v2, 'unsigned'], [v1, 'valid']]);
});
