import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tempDir } from '../core/test-support.js';
import { RootfsCache } from './tree-cache.js';

const STATUS = 'Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.22.21\n';

async function stageEntry(cache: RootfsCache, status = STATUS): Promise<string> {
  const staging = await cache.stage();
  await mkdir(join(staging, 'rootfs/var/lib/dpkg'), { recursive: true });
  await writeFile(join(staging, 'rootfs/var/lib/dpkg/status'), status);
  await writeFile(join(staging, 'essential-status'), status);
  return staging;
}

test('RootfsCache: publish then load; one entry per cache; leftovers of a crash are removed', async (t) => {
  const dir = await tempDir(t);
  const cache = new RootfsCache(dir);
  const reasons: string[] = [];
  assert.equal(await cache.load('k1', (r) => reasons.push(r)), undefined);
  assert.deepEqual(reasons, ['no cached root']);

  await cache.publish(await stageEntry(cache), { key: 'k1', indexDigests: { a: '1' }, packages: new Map([['dpkg', '1.22.21 amd64']]), requested: ['dpkg'] });
  const e = await cache.load('k1');
  assert.ok(e);
  assert.deepEqual(e.state.indexDigests, { a: '1' });
  assert.deepEqual([...e.state.packages], [['dpkg', '1.22.21 amd64']]);
  assert.equal(e.initramfsImage, undefined);

  // A staging directory a dead compose left behind is not an entry and goes with the next stage();
  // a live compose's stays.
  const live = await stageEntry(cache);
  await rename(live, join(dir, 'rootfs/.staging-999999999-dead'));
  await mkdir(join(dir, 'rootfs/.retired-x/rootfs'), { recursive: true });
  assert.equal(await cache.load('k2', (r) => reasons.push(r)), undefined);
  assert.equal(reasons.at(-1), 'the cached root was built with other sources or options');
  const other = await cache.stage();
  const next = await cache.stage();
  assert.deepEqual((await readdir(join(dir, 'rootfs'))).sort(), [basename(other), basename(next), 'k1'].sort());
  await cache.discard(next);
  await cache.discard(other);

  // Publishing another key replaces the entry.
  await cache.publish(await stageEntry(cache), { key: 'k2', indexDigests: {}, packages: new Map([['dpkg', '1.22.21 amd64']]), requested: ['dpkg'] });
  assert.deepEqual(await readdir(join(dir, 'rootfs')), ['k2']);
  assert.equal(await cache.load('k1'), undefined);
  assert.ok(await cache.load('k2'));
});

test('RootfsCache: an entry whose root disagrees with its state, or without a readable state, is not used', async (t) => {
  const dir = await tempDir(t);
  const cache = new RootfsCache(dir);
  await cache.publish(await stageEntry(cache), { key: 'k', indexDigests: {}, packages: new Map([['dpkg', '1.22.21 amd64']]), requested: ['dpkg'] });
  const status = join(dir, 'rootfs/k/rootfs/var/lib/dpkg/status');
  const reasons: string[] = [];
  await writeFile(status, `${STATUS}\nPackage: hello\nStatus: install ok unpacked\nArchitecture: amd64\nVersion: 2.10-5\n`);
  assert.equal(await cache.load('k', (r) => reasons.push(r)), undefined);
  await writeFile(status, `${STATUS}\nPackage: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.10-5\n`);
  assert.equal(await cache.load('k', (r) => reasons.push(r)), undefined);
  await writeFile(status, STATUS);
  assert.ok(await cache.load('k'));
  await writeFile(join(dir, 'rootfs/k/state.json'), '{"format":1,');
  assert.equal(await cache.load('k', (r) => reasons.push(r)), undefined);
  assert.deepEqual(reasons, [
    "the cached root's dpkg status does not match its state",
    "the cached root's dpkg status does not match its state",
    'the cached root has an unreadable state.json',
  ]);
});
