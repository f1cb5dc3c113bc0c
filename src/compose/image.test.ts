// `berth image build` without a full compose: a small OS tree (placeholder kernel) into a GPT disk with
// GRUB, then the real GRUB booted by qemu reads the menu berth wrote and tries the default entry's kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { needRoot, needTools } from '../core/test-support.js';
import { exec } from '../core/index.js';
import { blsGet, originForRefspec, parseBlsEntry } from '../formats/index.js';
import { BerthRepo, deploy, Sysroot, sysrootTesting } from '../sysroot/index.js';
import { buildDiskImage } from './image.js';

async function debugfsCat(image: string, offset: number, file: string): Promise<string> {
  return (await exec(['debugfs', '-R', `cat ${file}`, `${image}?offset=${offset}`])).stdout.toString('utf8');
}

/** Serial output of a BIOS boot of `image` until `until` matches (bounded), then qemu is stopped. */
async function grubSerial(image: string, until: RegExp, timeoutMs: number): Promise<string> {
  const qemu = spawn('qemu-system-x86_64', ['-machine', 'pc', '-accel', 'tcg', '-m', '256', '-display', 'none', '-no-reboot', '-serial', 'stdio', '-monitor', 'none',
    '-drive', `file=${image},format=raw,if=ide`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${until} on the serial console within ${timeoutMs} ms; got:\n${out.slice(-2000)}`)), timeoutMs);
      qemu.stdout.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        if (until.test(out)) {
          clearTimeout(timer);
          resolve(out);
        }
      });
      qemu.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`qemu exited (${code}) before ${until}:\n${out.slice(-2000)}`));
      });
    });
  } finally {
    if (qemu.exitCode === null) qemu.kill('SIGKILL');
  }
}

test('image build: GRUB in the MBR reads the menu berth generated from the BLS entries and loads the default kernel path', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'qemu-system-x86_64', 'grub-mkimage', 'mkfs.ext4', 'sfdisk', 'debugfs'))) return;
  const dir = await sysrootTesting.tmpfsDir(t, '1g');
  const tree = path.join(dir, 'tree');
  await sysrootTesting.makeTree(tree, { prettyName: 'Berth Image Test' });
  const repo = path.join(dir, 'repo');
  await exec(['ostree', `--repo=${repo}`, 'init', '--mode=archive']);
  const checksum = await sysrootTesting.ostreeCommit(repo, tree, 'test/os', '7.1');
  const image = path.join(dir, 'disk.raw');
  const built = await buildDiskImage({ repo, rev: 'test/os', output: image, sizeBytes: 96 * 1024 ** 2, kargs: ['console=ttyS0'] });
  assert.equal(built.checksum, checksum);

  const stub = await debugfsCat(image, built.rootOffset, '/boot/grub/grub.cfg');
  assert.match(stub, /^source \/boot\/loader\/grub\.cfg$/m);
  const menu = await debugfsCat(image, built.rootOffset, '/boot/loader/grub.cfg');
  const entries = (await exec(['debugfs', '-R', 'ls -p /boot/loader/entries', `${image}?offset=${built.rootOffset}`])).stdout.toString()
    .split('\n').map((l) => l.split('/')[5] ?? '').filter((n) => n.endsWith('.conf'));
  assert.equal(entries.length, 1);
  const entry = parseBlsEntry(await debugfsCat(image, built.rootOffset, `/boot/loader/entries/${entries[0]}`));
  const linux = blsGet(entry, 'linux')!;
  assert.match(menu, new RegExp(`^\\s*linux /boot${linux.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*console=ttyS0`, 'm'));
  assert.match(menu, /^menuentry 'Berth Image Test 7\.1 \(ostree:0\)'/m);

  // The placeholder kernel is not a bzImage: GRUB found the file the menu names and refused its magic.
  // A wrong path would print "file ... not found" instead; no GRUB at all, no menu text.
  const booting = /Booting `([^']*)'[\s\S]*?(invalid magic number|not found)/;
  let serial = await grubSerial(image, booting, 120_000);
  assert.deepEqual(booting.exec(serial)?.slice(1), ['Berth Image Test 7.1 (ostree:0)', 'invalid magic number']);

  // An upgrade on the host (berth's deploy into the image's sysroot, loop-mounted): GRUB's next boot
  // takes the new default from the menu of the new boot version.
  await sysrootTesting.makeTree(tree, { prettyName: 'Berth Image Test', kernel: 'k2' });
  const v2 = await sysrootTesting.ostreeCommit(repo, tree, 'test/os', '7.2');
  const mnt = path.join(dir, 'mnt');
  await fsp.mkdir(mnt);
  await exec(['mount', '-o', `loop,offset=${built.rootOffset}`, image, mnt]);
  try {
    await exec(['ostree', `--repo=${path.join(mnt, 'ostree/repo')}`, 'pull-local', repo, v2]);
    const s = await Sysroot.load({ path: mnt, openRepo: (p) => BerthRepo.open(p) });
    await deploy(s, { stateroot: s.deployments[0]!.stateroot, checksum: v2, origin: originForRefspec('test/os') });
  } finally {
    await exec(['umount', mnt]);
  }
  serial = await grubSerial(image, booting, 120_000);
  assert.deepEqual(booting.exec(serial)?.slice(1), ['Berth Image Test 7.2 (ostree:0)', 'invalid magic number']);
  assert.match(serial, /Berth Image Test 7\.1 \(ostree:1\)/, 'the old deployment stays in the menu');
  await fsp.rm(image, { force: true });
});
