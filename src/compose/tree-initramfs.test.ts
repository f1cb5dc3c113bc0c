import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tempDir } from '../core/test-support.js';
import { dracutInputsDigest } from './tree-initramfs.js';

const KVER = '6.12.0-1-amd64';

async function put(root: string, rel: string, text = rel): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), text);
}

test('dracutInputsDigest() changes with what dracut reads and not with unrelated packages', async (t) => {
  const root = await tempDir(t);
  await symlink('usr/bin', join(root, 'bin'));
  await put(root, 'usr/lib/dracut/modules.d/90lvm/module-setup.sh', 'check() { require_binaries lvm || return 1; }\ninst_multiple -o "mkfs.$fs"\n');
  await put(root, `usr/lib/modules/${KVER}/kernel/virtio_blk.ko`);
  await put(root, `usr/lib/modules/${KVER}/modules.dep`);
  await put(root, 'usr/bin/systemctl');
  await put(root, 'usr/lib/systemd/system/systemd-udevd.service');
  await put(root, 'etc/hostname', 'berth\n');
  const files = ['usr/bin/systemctl', 'bin/mount', 'etc/hostname'];
  const args = ['--no-hostonly'];
  const digest = (): Promise<string> => dracutInputsDigest(root, KVER, args, files);
  const d0 = await digest();
  assert.equal(await dracutInputsDigest(root, KVER, ['--no-hostonly', '--add', 'ostree'], files) === d0, false);

  // Unrelated: a program no dracut module names, its documentation, the initramfs itself.
  await put(root, 'usr/bin/hello');
  await put(root, 'usr/share/doc/hello/copyright');
  await put(root, `usr/lib/modules/${KVER}/initramfs.img`);
  await writeFile(join(root, 'etc/hostname'), 'berth\n'); // rewritten with the same content
  assert.equal(await digest(), d0);

  const changes: [string, () => Promise<void>, () => Promise<void>][] = [
    ['a file the initramfs holds', () => put(root, 'usr/bin/systemctl', 'new'), () => put(root, 'usr/bin/systemctl')],
    ['a path the initramfs holds appears (through /bin)', () => put(root, 'usr/bin/mount'), () => rm(join(root, 'usr/bin/mount'))],
    ['a program a module checks for', () => put(root, 'usr/bin/lvm'), () => rm(join(root, 'usr/bin/lvm'))],
    ['a program by a prefix a module names', () => put(root, 'usr/sbin/mkfs.ext4'), () => rm(join(root, 'usr/sbin/mkfs.ext4'))],
    ['a kernel module', () => put(root, `usr/lib/modules/${KVER}/kernel/virtio_net.ko`), () => rm(join(root, `usr/lib/modules/${KVER}/kernel/virtio_net.ko`))],
    ['dracut configuration', () => put(root, 'etc/dracut.conf.d/x.conf', 'add_drivers+=" nvme "'), () => rm(join(root, 'etc/dracut.conf.d'), { recursive: true })],
    ['a systemd unit', () => put(root, 'usr/lib/systemd/system/new.service'), () => rm(join(root, 'usr/lib/systemd/system/new.service'))],
    ['a new name in /etc', () => put(root, 'etc/crypttab'), () => rm(join(root, 'etc/crypttab'))],
  ];
  for (const [what, change, undo] of changes) {
    await change();
    assert.notEqual(await digest(), d0, what);
    await undo();
    assert.equal(await digest(), d0, `${what} (undone)`);
  }
});
