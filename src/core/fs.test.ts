import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareNames, joinWithin, writeFileAtomic } from './fs.js';
import { isHostError } from './errors.js';

test('joinWithin() refuses paths that escape the root', () => {
  assert.equal(joinWithin('/a/b', 'c/d'), '/a/b/c/d');
  assert.throws(() => joinWithin('/a/b', '../c'), (e: unknown) => isHostError(e) && e.code === 'CORE_PATH_ESCAPES');
  assert.throws(() => joinWithin('/a/b', 'c/../../b2'), (e: unknown) => isHostError(e));
});

test('writeFileAtomic() replaces the file and leaves no temp file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-fs-'));
  try {
    await writeFileAtomic(join(dir, 'f'), 'one');
    await writeFileAtomic(join(dir, 'f'), 'two');
    assert.equal(await readFile(join(dir, 'f'), 'utf8'), 'two');
    assert.deepEqual(await readdir(dir), ['f']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('compareNames() orders by UTF-8 bytes, not UTF-16 units', () => {
  // U+FF5E (3 bytes EF BD 9E) sorts before U+1F600 (F0 …) in UTF-8, after it in UTF-16.
  assert.ok(compareNames('\uff5e', '\u{1f600}') < 0);
  assert.ok('\uff5e' > '\u{1f600}');
});
