import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { needRoot, needTools } from '../core/test-support.js';
import { exec } from '../core/index.js';
import { originForRefspec } from '../formats/index.js';
import { Sysroot, deploy, OstreeCliRepo, BerthRepo, cleanup, stage } from './index.js';
import { makeTree, ostreeAdmin, ostreeCommit, ostreeSysroot, tmpfsDir } from './testing.js';

function open(s: string, extra: Partial<Parameters<typeof Sysroot.load>[0]> = {}): Promise<Sysroot> {
  return Sysroot.load({ path: s, openRepo: async (p) => (process.env.BERTH_SYSROOT_REPO === 'cli' ? new OstreeCliRepo(p) : BerthRepo.open(p)), ...extra });
}

/** Every file, dir and symlink under `root` (relative), with link targets and file bytes. */
async function snapshot(root: string, rels: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const p = path.join(root, rel);
    let st;
    try {
      st = await fsp.lstat(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) out[rel] = `-> ${await fsp.readlink(p)}`;
    else if (st.isFile()) out[rel] = (await fsp.readFile(p)).toString('base64');
    else if (st.isDirectory()) {
      out[rel] = 'dir';
      for (const n of await fsp.readdir(p)) await walk(`${rel}/${n}`);
    }
  }
  for (const r of rels) await walk(r);
  return out;
}

test('deploy() writes the same boot entries, bootlinks, kernels and origin as ostree admin deploy', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'chattr'))) return;
  const dir = await tmpfsDir(t);
  await fsp.mkdir(path.join(dir, 'a'));
  const a = await ostreeSysroot(path.join(dir, 'a'));
  await fsp.mkdir(path.join(dir, 'b'));
  const b = await ostreeSysroot(path.join(dir, 'b'));
  await makeTree(path.join(dir, 'tree'), { version: '1.0' });
  const csum = await ostreeCommit(path.join(a, 'ostree/repo'), path.join(dir, 'tree'), 'test/os', '1.0');
  await exec(['ostree', `--repo=${path.join(b, 'ostree/repo')}`, 'pull-local', path.join(a, 'ostree/repo'), 'test/os']);

  await ostreeAdmin(a, 'deploy', '--os=test', '--karg=root=/dev/vda1', '--karg=rw', 'test/os');
  const s = await open(b);
  const r = await deploy(s, { stateroot: 'test', checksum: csum, origin: originForRefspec('test/os'), kargs: 'root=/dev/vda1 rw' });
  assert.equal(r.bootswap, true);
  assert.equal(r.subbootdir, 'boot.1.1');

  const rels = ['boot', 'ostree/boot.0', 'ostree/boot.1', 'ostree/boot.1.0', 'ostree/boot.1.1', `ostree/deploy/test/deploy/${csum}.0.origin`];
  assert.deepEqual(await snapshot(b, rels), await snapshot(a, rels));
  const lsattr = (await exec(['lsattr', '-d', path.join(b, `ostree/deploy/test/deploy/${csum}.0`)])).stdout.toString();
  assert.match(lsattr, /^-*i/, 'deployment root is immutable');
  assert.equal(await fsp.readFile(path.join(b, `ostree/deploy/test/deploy/${csum}.0/etc/hostname`), 'utf8'), 'default-host\n');
  // ostree keeps a ref per deployment so prune never drops a deployed commit.
  assert.match((await exec(['ostree', `--repo=${path.join(b, 'ostree/repo')}`, 'refs'])).stdout.toString(), /^ostree\/1\/1\/0$/m);
});

test('ostree admin status reads berth deployments in berth order; berth reads and upgrades what ostree deployed', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'chattr'))) return;
  const dir = await tmpfsDir(t);
  const S = await ostreeSysroot(dir);
  const repo = path.join(S, 'ostree/repo');
  await makeTree(path.join(dir, 't1'), { etc: { 'profile': 'p1\n' } });
  const v1 = await ostreeCommit(repo, path.join(dir, 't1'), 'test/os', '1.0');
  let s = await open(S);
  s = (await deploy(s, { stateroot: 'test', checksum: v1, origin: originForRefspec('test/os'), kargs: 'root=/dev/vda1 rw quiet' })).sysroot;

  // The admin edits /etc of deployment 1: modify, add, remove.
  const d1 = s.deploymentDir(s.deployments[0]!);
  await fsp.writeFile(path.join(d1, 'etc/hostname'), 'myhost-local\n');
  await fsp.writeFile(path.join(d1, 'etc/local-added.conf'), 'x=1\n');
  await fsp.rm(path.join(d1, 'etc/profile'));

  await makeTree(path.join(dir, 't2'), { etc: { 'profile': 'p2\n', 'new-default.conf': 'n\n' }, files: { 'usr/bin/tool': 'v2\n' } });
  const v2 = await ostreeCommit(repo, path.join(dir, 't2'), 'test/os', '2.0');
  const logs: string[] = [];
  s = await open(S, { log: (l) => logs.push(l) });
  const r2 = await deploy(s, { stateroot: 'test', checksum: v2, origin: originForRefspec('test/os') });
  s = r2.sysroot;
  assert.ok(logs.includes('Copying /etc changes: 1 modified, 1 removed, 1 added'), logs.join('\n'));
  assert.deepEqual(s.deployments.map((d) => d.checksum), [v2, v1]);
  const d2 = s.deploymentDir(s.deployments[0]!);
  assert.equal(await fsp.readFile(path.join(d2, 'etc/hostname'), 'utf8'), 'myhost-local\n');
  assert.equal(await fsp.readFile(path.join(d2, 'etc/local-added.conf'), 'utf8'), 'x=1\n');
  await assert.rejects(fsp.access(path.join(d2, 'etc/profile')));
  assert.equal(await fsp.readFile(path.join(d2, 'etc/new-default.conf'), 'utf8'), 'n\n');
  assert.equal(s.deployments[0]!.kargs.replace(/ ostree=\S+/, ''), 'root=/dev/vda1 rw quiet', 'kargs inherited from the merge deployment');

  const status = await ostreeAdmin(S, 'status');
  assert.equal(
    status,
    `  test ${v2}.0\n    Version: 2.0\n    origin refspec: test/os\n  test ${v1}.0\n    Version: 1.0\n    origin refspec: test/os\n`,
  );

  // The real ostree deploys v3 on top of berth's sysroot; berth reads it and deploys again.
  await makeTree(path.join(dir, 't3'), { files: { 'usr/bin/tool': 'v3\n' } });
  const v3 = await ostreeCommit(repo, path.join(dir, 't3'), 'test/os', '3.0');
  await ostreeAdmin(S, 'deploy', '--os=test', '--retain', 'test/os');
  s = await open(S);
  assert.deepEqual(s.deployments.map((d) => d.checksum), [v3, v2, v1]);
  assert.equal(await fsp.readFile(path.join(s.deploymentDir(s.deployments[0]!), 'etc/hostname'), 'utf8'), 'myhost-local\n');
  s = (await deploy(s, { stateroot: 'test', checksum: v1, origin: originForRefspec('test/os') })).sysroot;
  assert.deepEqual(s.deployments.map((d) => `${d.checksum}.${d.serial}`), [`${v1}.1`, `${v3}.0`]);
  const status2 = await ostreeAdmin(S, 'status');
  assert.match(status2, new RegExp(`^  test ${v1}\\.1\\n    Version: 1\\.0\\n    origin refspec: test/os\\n  test ${v3}\\.0\\n`));
  // Cleanup removed v2's deployment (no longer referenced); ostree agrees nothing is left over.
  await assert.rejects(fsp.access(path.join(S, `ostree/deploy/test/deploy/${v2}.0`)));
  await ostreeAdmin(S, 'cleanup');
  const c = await cleanup(await open(S));
  assert.equal(c.sysroot.deployments.length, 2);
});

/**
 * Runs the real `ostree admin status` booted into deployment `deployDir`: a private mount
 * namespace where "/" is the deployment (as ostree-prepare-root makes it), the physical root at
 * /sysroot, /boot from the sysroot, the host's /usr for the ostree binary, /run/ostree-booted set.
 */
async function ostreeStatusBootedInto(S: string, deployDir: string, work: string, runDir: string): Promise<string> {
  const R = path.join(work, 'booted-root');
  await fsp.mkdir(R, { recursive: true });
  const script = [
    'set -e',
    `mount --make-rprivate /`,
    `mount --bind "${deployDir}" "${R}"`,
    `mount --rbind /usr "${R}/usr"`,
    `mount --bind "${S}" "${R}/sysroot"`,
    `mount --bind "${S}/boot" "${R}/boot"`,
    `mount -t proc proc "${R}/proc"`,
    `mount --bind /dev "${R}/dev"`,
    `mount --bind "${runDir}" "${R}/run"`,
    `touch "${R}/run/ostree-booted"`,
    `chroot "${R}" /usr/bin/ostree admin status`,
  ].join('\n');
  return (await exec(['unshare', '--mount', 'sh', '-c', script])).stdout.toString();
}

test('the real ostree booted into a berth deployment shows berth\'s order with booted, pending and rollback marks', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'chattr', 'unshare', 'chroot'))) return;
  const dir = await tmpfsDir(t);
  const S = await ostreeSysroot(dir);
  const repo = path.join(S, 'ostree/repo');
  const commits: string[] = [];
  for (const v of ['1', '2', '3']) {
    const tree = path.join(dir, `t${v}`);
    await makeTree(tree, { files: { 'usr/bin/tool': `v${v}\n` } });
    for (const [l, target] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/sbin'], ['ostree', 'sysroot/ostree']]) {
      await fsp.symlink(target!, path.join(tree, l!));
    }
    commits.push(await ostreeCommit(repo, tree, 'test/os', `${v}.0`));
  }
  const [v1, v2, v3] = commits as [string, string, string];
  const origin = originForRefspec('test/os');
  let s = await open(S);
  s = (await deploy(s, { stateroot: 'test', checksum: v2, origin, kargs: 'rw' })).sysroot;
  s = (await deploy(s, { stateroot: 'test', checksum: v1, origin })).sysroot;
  // Boot v1 (the default now), then deploy v3 keeping everything: [v3, v1 (booted), v2].
  const runDir = path.join(dir, 'run');
  await fsp.mkdir(runDir);
  const cmdline = s.deployments[0]!.kargs;
  s = await open(S, { cmdline, runDir });
  assert.equal(s.booted?.checksum, v1);
  s = (await deploy(s, { stateroot: 'test', checksum: v3, origin, retain: true })).sysroot;
  assert.deepEqual(s.deployments.map((d) => d.checksum), [v3, v1, v2]);
  assert.equal(s.booted?.checksum, v1, 'still booted after the bootversion swap removed its bootlink');

  const real = await ostreeStatusBootedInto(S, s.deploymentDir(s.booted!), dir, runDir);
  const expected =
    `  test ${v3}.0 (pending)\n    Version: 3.0\n    origin refspec: test/os\n` +
    `* test ${v1}.0\n    Version: 1.0\n    origin refspec: test/os\n` +
    `  test ${v2}.0 (rollback)\n    Version: 2.0\n    origin refspec: test/os\n`;
  assert.equal(real, expected);
  const { pending, rollback } = s.queryDeploymentsFor();
  assert.deepEqual([pending?.checksum, s.booted?.checksum, rollback?.checksum], [v3, v1, v2]);

  // berth stages v2 (GVariant state in /run/ostree/staged-deployment); the real ostree reads it.
  s = (await stage(s, { stateroot: 'test', checksum: v2, origin })).sysroot;
  assert.equal(s.staged?.checksum, v2);
  const realStaged = await ostreeStatusBootedInto(S, s.deploymentDir(s.booted!), dir, runDir);
  // The staged deployment is now the "pending" one, so v3 loses its mark, in both tools.
  assert.equal(realStaged, `  test ${v2}.1 (staged)\n    Version: 2.0\n    origin refspec: test/os\n${expected.replace(' (pending)', '')}`);
  assert.equal(s.queryDeploymentsFor().pending?.staged, true);
});

test('berth and the real ostree exclude each other through ostree/lock (OFD lock), and a second berth waits', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'perl'))) return;
  const { spawn } = await import('node:child_process');
  const { lockSysroot } = await import('./index.js');
  const dir = await tmpfsDir(t);
  const S = await ostreeSysroot(dir);
  const lock = await lockSysroot(S);
  // ostree's cleanup takes the sysroot lock: it must wait for berth's.
  const ostree = spawn('ostree', ['admin', 'cleanup', `--sysroot=${S}`], { stdio: 'ignore' });
  const done = new Promise<number | null>((r) => ostree.once('close', (code) => r(code)));
  const early = await Promise.race([done, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 1500))]);
  assert.equal(early, 'waiting', 'ostree admin cleanup ran while berth held the lock');
  // Another berth gives up after its bounded wait, naming the lock.
  let waited = false;
  await assert.rejects(lockSysroot(S, { timeoutMs: 300, onWait: () => (waited = true) }), (e: Error & { code?: string }) => e.code === 'SYSROOT_LOCKED');
  assert.equal(waited, true);
  await lock.release();
  assert.equal(await done, 0);
  // Once free, it is berth's again at once.
  await (await lockSysroot(S, { timeoutMs: 5000 })).release();
});
