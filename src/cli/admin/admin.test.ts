// `berth ostree admin` against `ostree admin`: the same command sequence on twin sysroots (same
// commits) must leave the same boot entries, bootlinks, kernels, origins and status output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { needRoot, needTools } from '../../core/test-support.js';
import { exec } from '../../core/index.js';
import { sysrootTesting } from '../../sysroot/index.js';
import type { CommandContext } from '../context.js';
import { runAdmin } from './index.js';

const { makeTree, ostreeCommit, tmpfsDir } = sysrootTesting;

async function berth(args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  const ctx: CommandContext = { stdout, stderr: stdout, stdin: new PassThrough(), env: { ...process.env }, cwd: process.cwd() };
  const code = await runAdmin(args, ctx);
  return { code, out };
}

async function ostree(args: string[]): Promise<{ code: number; out: string }> {
  const r = await exec(['ostree', 'admin', ...args], { check: false });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const p = path.join(root, rel);
    const st = await fsp.lstat(p).catch(() => undefined);
    if (st === undefined) return;
    if (st.isSymbolicLink()) out[rel] = `-> ${await fsp.readlink(p)}`;
    else if (st.isFile()) out[rel] = rel.endsWith('.conf') || rel.endsWith('.origin') ? await fsp.readFile(p, 'utf8') : `${st.size} bytes`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${(st.mode & 0o7777).toString(8)}`;
      // Deployment contents are compared elsewhere; here the layout around them.
      if (/^ostree\/deploy\/[^/]+\/deploy\/[0-9a-f]{64}\.\d+$/.test(rel) || rel === 'ostree/repo') return;
      for (const n of (await fsp.readdir(p)).sort()) await walk(rel === '' ? n : `${rel}/${n}`);
    }
  }
  await walk('');
  return out;
}

test('berth ostree admin and ostree admin leave identical sysroots after the same command sequence', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'chattr'))) return;
  const dir = await tmpfsDir(t);
  const A = path.join(dir, 'ostree-made');
  const B = path.join(dir, 'berth-made');
  await fsp.mkdir(A);
  await fsp.mkdir(B);
  // init-fs and os-init by each tool itself.
  assert.equal((await ostree(['init-fs', A])).code, 0);
  assert.equal((await berth(['init-fs', B])).code, 0);
  assert.equal((await ostree([`--sysroot=${A}`, 'os-init', 'test'])).code, 0);
  assert.equal((await berth([`--sysroot=${B}`, 'os-init', 'test'])).out, 'ostree/deploy/test initialized as OSTree root\n');
  await makeTree(path.join(dir, 't1'));
  const v1 = await ostreeCommit(path.join(A, 'ostree/repo'), path.join(dir, 't1'), 'test/os', '1.0');
  await makeTree(path.join(dir, 't2'), { kernel: 'k2' });
  await ostreeCommit(path.join(A, 'ostree/repo'), path.join(dir, 't2'), 'test/os2', '2.0');
  await exec(['ostree', `--repo=${path.join(B, 'ostree/repo')}`, 'pull-local', path.join(A, 'ostree/repo'), 'test/os', 'test/os2']);
  await fsp.writeFile(path.join(dir, 'origin'), '[origin]\nrefspec=test/os2\ncustom=kept\n');

  const steps: string[][] = [
    ['deploy', '--os=test', '--karg=root=/dev/vda1', '--karg=rw', 'test/os'],
    ['deploy', '--os=test', '--karg-append=quiet', '--karg-append=console=ttyS0', 'test/os'],
    ['deploy', '--os=test', '--retain', `--origin-file=${path.join(dir, 'origin')}`, 'test/os2'],
    ['pin', '2'],
    ['deploy', '--os=test', '--karg=console=tty0', '--retain', 'test/os'],
    ['deploy', '--os=test', '--not-as-default', '--retain', '--no-prune', v1],
    ['status'],
    ['undeploy', '1'],
    ['kargs', 'edit-in-place', '--append-if-missing=foo=bar'],
    ['pin', '--unpin', '1'],
    ['set-origin', '--index=0', '--set=gpg-verify=false', 'upstream', 'http://127.0.0.1:9/repo', 'test/os'],
    ['cleanup'],
    ['status'],
  ];
  for (const step of steps) {
    const a = await ostree([`--sysroot=${A}`, ...step]);
    const b = await berth([`--sysroot=${B}`, ...step]);
    assert.equal(b.code, a.code, `${step.join(' ')}: exit codes (${a.out})`);
    if (step[0] === 'status') assert.equal(b.out, a.out, step.join(' '));
    const sa = await snapshot(A);
    const sb = await snapshot(B);
    assert.deepEqual(sb, sa, `after ${step.join(' ')}`);
  }
  // set-origin added the same remote to both repositories.
  const remotes = async (s: string) => (await exec(['ostree', `--repo=${path.join(s, 'ostree/repo')}`, 'remote', 'show-url', 'upstream'])).stdout.toString();
  assert.equal(await remotes(B), await remotes(A));
});
