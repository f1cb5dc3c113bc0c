import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { isHostError } from '../core/index.js';
import { tempDir } from '../core/test-support.js';
import { sha256Digest } from '../formats/index.js';
import { ContentStore } from './content-store.js';

const code = (c: string) => (e: unknown) => isHostError(e) && e.code === c;

test('ContentStore keeps exact bytes, read-only, named by their sha256', async (t) => {
  const store = new ContentStore(await tempDir(t));
  await store.init();
  const bytes = Buffer.from('{"a":1}\n');
  const info = await store.putBytes(bytes);
  assert.equal(info.digest, sha256Digest(bytes));
  assert.deepEqual(await store.readBytes(info.digest), bytes);
  assert.equal((await fsp.stat(store.blobPath(info.digest))).mode & 0o777, 0o444);
  assert.deepEqual(await store.putBytes(bytes), info, 'idempotent');
  await assert.rejects(store.putBytes(Buffer.from('x'), info.digest), code('IMAGE_DIGEST_MISMATCH'));
  await assert.rejects(store.readBytes(sha256Digest('absent')), code('IMAGE_BLOB_NOT_FOUND'));
  assert.throws(() => store.blobPath('sha256:../../etc'), code('IMAGE_INVALID_DIGEST'));
});

test('ContentStore ingests are invisible until verified, and resume where an interrupted writer stopped', async (t) => {
  const store = new ContentStore(await tempDir(t));
  await store.init();
  const data = Buffer.alloc(300_000, 7);
  data.write('berth', 1000);
  const digest = sha256Digest(data);
  const w1 = await store.openWriter('pull-x');
  await w1.write(data.subarray(0, 100_000));
  await assert.rejects(store.openWriter('pull-x'), code('IMAGE_INGEST_LOCKED'));
  await w1.close(); // the process "dies" here: bytes stay in the ingest
  assert.equal(await store.has(digest), false, 'nothing visible before commit');
  const w2 = await store.openWriter('pull-x');
  assert.equal(w2.offset, 100_000);
  await w2.write(data.subarray(100_000));
  assert.deepEqual(await w2.commit({ digest, size: data.length }), { digest, size: data.length });
  assert.deepEqual(await store.readBytes(digest), data);
  assert.deepEqual(await store.ingests(), []);
});

test('ContentStore drops an ingest whose digest or size is wrong and publishes nothing', async (t) => {
  const store = new ContentStore(await tempDir(t));
  await store.init();
  const w = await store.openWriter('bad');
  await w.write(Buffer.from('corrupted'));
  await assert.rejects(w.commit({ digest: sha256Digest('expected'), size: 9 }), code('IMAGE_DIGEST_MISMATCH'));
  const w2 = await store.openWriter('bad2');
  await w2.write(Buffer.from('short'));
  await assert.rejects(w2.commit({ size: 10 }), code('IMAGE_SIZE_MISMATCH'));
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(await store.ingests(), []);
  assert.deepEqual(await fsp.readdir(path.join(store.root, 'blobs', 'sha256')), []);
});

test('ContentStore ingest locks hold across processes, and a dead holder lock is taken over', async (t) => {
  const store = new ContentStore(await tempDir(t));
  await store.init();
  const w = await store.openWriter('shared');
  await w.write(Buffer.from('abc'));
  await w.close();
  const dir = path.join(store.root, 'ingest', (await fsp.readdir(path.join(store.root, 'ingest')))[0]!);
  await fsp.writeFile(path.join(dir, 'lock'), String(process.ppid)); // a live process (our parent) writes it
  await assert.rejects(store.openWriter('shared'), code('IMAGE_INGEST_LOCKED'));
  assert.equal(await store.pruneIngests(0), 0, 'a live writer\'s ingest is kept');
  await fsp.writeFile(path.join(dir, 'lock'), String(2 ** 22 + 999)); // a process that died mid-download
  const again = await store.openWriter('shared');
  assert.equal(again.offset, 3);
  await again.write(Buffer.from('def'));
  assert.equal((await again.commit({ digest: sha256Digest('abcdef') })).size, 6);
});
