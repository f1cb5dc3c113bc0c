import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, ImageStore } from '../image/index.js';
import { needRoot, tempDir } from './test-support.js';
import { StoreImages } from './store-images.js';

async function mounted(target: string): Promise<boolean> {
  return (await readFile('/proc/mounts', 'utf8')).split('\n').some((l) => l.split(' ')[1] === target);
}

test('StoreImages.unmountRootfs() releases the image store overlay of a stopped container and keeps its changes', async (t) => {
  if (!needRoot(t)) return;
  const built = await buildBusyboxImage({ dir: await tempDir(t) });
  const root = await mkdtemp(join(tmpdir(), 'berth-store-images-'));
  const store = await ImageStore.open({ root });
  const img = await store.importOciLayout(built.ociDir, { names: ['localhost/stop-unmount:1'] });
  const images = new StoreImages(root);
  const containerId = `c${Math.random().toString(16).slice(2, 10)}`;
  const containerDir = join(root, 'containers', containerId);
  await mkdir(containerDir, { recursive: true });
  t.after(async () => {
    await images.removeRootfs(containerId, containerDir); // unmounts before the directory goes
    await rm(root, { recursive: true, force: true });
  });
  const merged = await images.mountRootfs(containerId, img.id, containerDir);
  assert.equal(await mounted(merged), true);
  await images.unmountRootfs(containerId, containerDir);
  assert.equal(await mounted(merged), false);
  const again = await images.mountRootfs(containerId, img.id, containerDir);
  assert.equal(again, merged);
  assert.equal(await mounted(merged), true);
});
