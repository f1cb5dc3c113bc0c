// Fault injection: fail every write step of deploy, bootlink-only redeploy, rollback, cleanup,
// finalize, automatic rollback and kargs edit-in-place in turn, then check the sysroot still boots
// the old or the new default, with every boot entry pointing at a complete deployment, and that
// the real ostree still reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { needRoot, needTools } from '../core/test-support.js';
import { exec } from '../core/index.js';
import { blsGet, originForRefspec, parseBlsEntry } from '../formats/index.js';
import { bootCheck, cleanup, deploy, GRUB_STUB_SOURCE_LINE, finalizeStaged, InjectedFault, BerthRepo, markTentative, setKargsInPlace, stage, Sysroot, writeDeployments, type Failpoint, type SysrootOptions } from './index.js';
import { makeTree, ostreeAdmin, ostreeCommit, ostreeSysroot, tmpfsDir } from './testing.js';

interface Env {
  readonly root: string; // holds sysroot/ and rundir/
  readonly v1: string;
  readonly v2: string;
}

function opts(root: string, extra: Partial<SysrootOptions> = {}): SysrootOptions {
  return { path: path.join(root, 'sysroot'), runDir: path.join(root, 'rundir'), openRepo: async (p) => BerthRepo.open(p), ...extra };
}

async function defaultEntryOptions(sysroot: string): Promise<string> {
  const dir = path.join(sysroot, 'boot/loader/entries');
  for (const n of await fsp.readdir(dir)) {
    const e = parseBlsEntry(await fsp.readFile(path.join(dir, n), 'utf8'));
    const count = (await fsp.readdir(dir)).length;
    if (blsGet(e, 'version') === String(count)) return blsGet(e, 'options')!;
  }
  throw new Error('no default entry');
}

/** The boot invariant: loadable, every entry complete, default is one of `allowed`. */
async function checkBootable(root: string, allowed: readonly string[], label: string, withOstree = true): Promise<string> {
  const s = await Sysroot.load(opts(root));
  const sysroot = path.join(root, 'sysroot');
  const entriesDir = path.join(sysroot, 'boot/loader/entries');
  const entries = await fsp.readdir(entriesDir);
  assert.equal(entries.length, s.deployments.filter((d) => !d.staged).length, label);
  for (const n of entries) {
    const e = parseBlsEntry(await fsp.readFile(path.join(entriesDir, n), 'utf8'));
    for (const key of ['linux', 'initrd']) await fsp.access(path.join(sysroot, 'boot', blsGet(e, key)!));
  }
  for (const d of s.deployments.filter((x) => !x.staged)) {
    const dir = s.deploymentDir(d);
    await fsp.access(path.join(dir, 'usr/lib/os-release'));
    await fsp.access(path.join(dir, 'etc/hostname'));
    await fsp.access(`${dir}.origin`);
  }
  const def = s.deployments.find((d) => !d.staged)!;
  // GRUB's menu (berth images) switches with the entries: its first item boots the default entry.
  const menu = await fsp.readFile(path.join(sysroot, 'boot/loader/grub.cfg'), 'utf8');
  const defaultEntry = parseBlsEntry(await fsp.readFile(path.join(entriesDir, `ostree-${entries.length}-${def.stateroot}.conf`), 'utf8'));
  assert.equal(/^\s*linux (\S+)/m.exec(menu)?.[1], `/boot${blsGet(defaultEntry, 'linux')!}`, `${label}: GRUB menu boots the default entry`);
  assert.equal((menu.match(/^menuentry /gm) ?? []).length, entries.length, `${label}: one GRUB item per entry`);
  assert.ok(allowed.includes(`${def.checksum}.${def.serial}`), `${label}: default ${def.checksum}.${def.serial} not in ${allowed.join(', ')}`);
  if (withOstree) await ostreeAdmin(sysroot, 'status'); // the real tool still reads it
  return `${def.checksum}.${def.serial}`;
}

async function copyEnv(from: string, to: string): Promise<void> {
  await exec(['cp', '-a', from, to]);
}

type Op = (root: string, failpoint: Failpoint) => Promise<unknown>;

/** Runs `op` once counting steps, then once per step failing at it. Returns steps covered. */
async function faultEvery(base: string, scratch: string, name: string, op: Op, allowed: readonly string[]): Promise<string[]> {
  const counting = path.join(scratch, `${name}-count`);
  await copyEnv(base, counting);
  const steps: string[] = [];
  await op(counting, (s) => {
    steps.push(s);
  });
  const after = await checkBootable(counting, allowed, `${name} without faults`);
  assert.ok(allowed.includes(after));
  for (let k = 0; k < steps.length; k++) {
    const run = path.join(scratch, `${name}-${k}`);
    await copyEnv(base, run);
    let n = 0;
    await assert.rejects(
      op(run, (s) => {
        if (n++ === k) throw new InjectedFault(`Injected fault at ${s}`, { step: s });
      }),
      (e: unknown) => InjectedFault.is(e),
    );
    await checkBootable(run, allowed, `${name}: fault at step ${k} (${steps[k]})`);
    // Recovery: a cleanup after the crash leaves a bootable sysroot too.
    await cleanup(await Sysroot.load(opts(run)), { prune: false });
    await checkBootable(run, allowed, `${name}: cleanup after fault at step ${k}`, false);
    await exec(['sh', '-c', `chattr -R -i ${JSON.stringify(run)} 2>/dev/null; rm -rf ${JSON.stringify(run)}`], { check: false });
  }
  return steps;
}

test('a fault at any write step of deploy, redeploy, rollback, cleanup, finalize, auto-rollback and kargs leaves the old or new default bootable', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'chattr', 'cp'))) return;
  const dir = await tmpfsDir(t, '1g');
  const tplRoot = path.join(dir, 'tpl');
  await fsp.mkdir(tplRoot);
  const S = await ostreeSysroot(tplRoot);
  await fsp.mkdir(path.join(tplRoot, 'rundir'));
  const repo = path.join(S, 'ostree/repo');
  await makeTree(path.join(dir, 't1'), { kernel: 'k1' });
  const v1 = await ostreeCommit(repo, path.join(dir, 't1'), 'test/os', '1.0');
  await makeTree(path.join(dir, 't2'), { kernel: 'k2', etc: { 'new.conf': 'x\n' } });
  const v2 = await ostreeCommit(repo, path.join(dir, 't2'), 'test/os', '2.0');
  const origin = originForRefspec('test/os');
  // As in a berth disk image: GRUB's stub hands over to the menu beside the entries.
  await fsp.mkdir(path.join(S, 'boot/grub'), { recursive: true });
  await fsp.writeFile(path.join(S, 'boot/grub/grub.cfg'), `search --label --set=root berth-root\n${GRUB_STUB_SOURCE_LINE}\n`);
  await deploy(await Sysroot.load(opts(tplRoot)), { stateroot: 'test', checksum: v1, origin, kargs: 'rw' });
  const scratch = path.join(dir, 'scratch');
  await fsp.mkdir(scratch);
  const covered: Record<string, number> = {};

  // 1. deploy v2 (new kernel: bootversion swap), from [v1.0].
  const base1 = path.join(dir, 'base1');
  await copyEnv(tplRoot, base1);
  covered.deploy = (await faultEvery(base1, scratch, 'deploy', async (root, fp) =>
    deploy(await Sysroot.load(opts(root, { failpoint: fp })), { stateroot: 'test', checksum: v2, origin }), [`${v1}.0`, `${v2}.0`])).length;

  // 2. redeploy the same commit over [v1.1, v1.0]: only bootlinks change (sub-bootversion swap).
  const base2 = path.join(dir, 'base2');
  await copyEnv(tplRoot, base2);
  await deploy(await Sysroot.load(opts(base2)), { stateroot: 'test', checksum: v1, origin });
  covered.redeploy = (await faultEvery(base2, scratch, 'redeploy', async (root, fp) => {
    const r = await deploy(await Sysroot.load(opts(root, { failpoint: fp })), { stateroot: 'test', checksum: v1, origin });
    assert.equal(r.bootswap, false);
  }, [`${v1}.1`, `${v1}.2`])).length;

  // 3. rollback over [v2.0, v1.0]: reorder, bootversion swap.
  const base3 = path.join(dir, 'base3');
  await copyEnv(tplRoot, base3);
  await deploy(await Sysroot.load(opts(base3)), { stateroot: 'test', checksum: v2, origin });
  covered.rollback = (await faultEvery(base3, scratch, 'rollback', async (root, fp) => {
    const s = await Sysroot.load(opts(root, { failpoint: fp }));
    await writeDeployments(s, [s.deployments[1]!, s.deployments[0]!]);
  }, [`${v2}.0`, `${v1}.0`])).length;

  // 4. cleanup after a deploy that skipped it (old bootversion, unreferenced deployment left).
  const base4 = path.join(dir, 'base4');
  await copyEnv(base3, base4);
  {
    const s = await Sysroot.load(opts(base4));
    await deploy(s, { stateroot: 'test', checksum: v2, origin, noCleanup: true });
  }
  covered.cleanup = (await faultEvery(base4, scratch, 'cleanup', async (root, fp) =>
    cleanup(await Sysroot.load(opts(root, { failpoint: fp })), { prune: true }), [`${v2}.1`])).length;

  // 5. finalize a staged v2 on a "booted" v1.
  const base5 = path.join(dir, 'base5');
  await copyEnv(tplRoot, base5);
  const cmdline = await defaultEntryOptions(path.join(base5, 'sysroot'));
  await stage(await Sysroot.load(opts(base5, { cmdline })), { stateroot: 'test', checksum: v2, origin });
  covered.finalize = (await faultEvery(base5, scratch, 'finalize', async (root, fp) => {
    const r = await finalizeStaged(await Sysroot.load(opts(root, { cmdline, failpoint: fp })));
    assert.ok(r !== undefined);
  }, [`${v1}.0`, `${v2}.0`])).length;

  // 6. automatic rollback: a tentative v2, booted, fails its (only) allowed boot.
  const base6 = path.join(dir, 'base6');
  await copyEnv(base3, base6);
  const cmdline6 = await defaultEntryOptions(path.join(base6, 'sysroot'));
  {
    const s = await Sysroot.load(opts(base6, { cmdline: cmdline6 }));
    await markTentative(s, s.deployments[1], 1);
  }
  const failing = [{ name: 'always-fails', run: async () => ({ ok: false, detail: 'down' }) }];
  covered.autoRollback = (await faultEvery(base6, scratch, 'auto-rollback', async (root, fp) => {
    const r = await bootCheck(await Sysroot.load(opts(root, { cmdline: cmdline6, failpoint: fp })), { checks: failing });
    assert.equal(r.kind, 'rolled-back');
  }, [`${v2}.0`, `${v1}.0`])).length;

  // 7. kargs edit-in-place: each entry replaced atomically, so any mix of old and new is bootable.
  const base7 = path.join(dir, 'base7');
  await copyEnv(base3, base7);
  covered.kargsInPlace = (await faultEvery(base7, scratch, 'kargs', async (root, fp) => {
    const s = await Sysroot.load(opts(root, { failpoint: fp }));
    for (const d of s.deployments) await setKargsInPlace(s, d, `${d.kargs} quiet`);
  }, [`${v2}.0`])).length;

  const total = Object.values(covered).reduce((a, b) => a + b, 0);
  t.diagnostic(`fault-injection steps covered: ${total} (${JSON.stringify(covered)})`);
  assert.ok(total >= 40, `covered ${total}`);
});
