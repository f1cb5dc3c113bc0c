import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { tempDir } from '../core/test-support.js';
import { findKernel } from './kernel.js';

async function put(root: string, rel: string, data: string): Promise<void> {
  await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fsp.writeFile(path.join(root, rel), data);
}

test('findKernel() takes usr/lib/modules/KVER and bootcsum = sha256(vmlinuz ‖ initramfs ‖ devicetree)', async (t) => {
  const root = await tempDir(t);
  await put(root, 'usr/lib/modules/6.1.0-1/vmlinuz', 'K');
  await put(root, 'usr/lib/modules/6.1.0-1/initramfs.img', 'I');
  await put(root, 'usr/lib/modules/6.1.0-1/devicetree', 'D');
  await put(root, 'usr/lib/modules/6.1.0-1/.vmlinuz.hmac', 'H');
  const k = await findKernel(root);
  assert.deepEqual(k, {
    srcDir: 'usr/lib/modules/6.1.0-1',
    kernelSrc: 'usr/lib/modules/6.1.0-1/vmlinuz',
    kernelName: 'vmlinuz-6.1.0-1',
    initramfsSrc: 'usr/lib/modules/6.1.0-1/initramfs.img',
    initramfsName: 'initramfs-6.1.0-1.img',
    devicetreeSrc: 'usr/lib/modules/6.1.0-1/devicetree',
    devicetreeName: 'devicetree-6.1.0-1',
    hmacSrc: 'usr/lib/modules/6.1.0-1/.vmlinuz.hmac',
    hmacName: '.vmlinuz-6.1.0-1.hmac',
    bootcsum: createHash('sha256').update('KID').digest('hex'),
  });
  assert.equal((await findKernel(root, { bootcsum: 'known' }))?.bootcsum, 'known');
});

test('findKernel() falls back to the legacy boot/ layout, and finds nothing in a tree without a kernel', async (t) => {
  const root = await tempDir(t);
  const sum = 'a'.repeat(64);
  await put(root, `boot/vmlinuz-5.0-${sum}`, 'K');
  await put(root, `boot/initramfs-5.0.img-${sum}`, 'I');
  const k = await findKernel(root);
  assert.equal(k?.bootcsum, sum);
  assert.equal(k?.kernelName, 'vmlinuz-5.0');
  assert.equal(k?.initramfsName, 'initramfs-5.0.img');
  assert.equal(await findKernel(await tempDir(t)), undefined);
});
