import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import { delta } from '../../formats/index.js';
import { applyStaticDelta, deleteStaticDelta, generateStaticDelta, listStaticDeltas, loadDeltaFromPath, LooseStore, readStaticDelta } from './index.js';
import { makeTwoCommits } from './test-fixtures.js';

async function ostree(...args: string[]): Promise<string> {
  return (await exec(['ostree', ...args])).stdout.toString();
}

/** A fresh repo holding only `commit` (pulled locally from `src`). */
async function repoWith(dir: string, name: string, mode: string, src: string, commit: string | undefined): Promise<string> {
  const repo = join(dir, name);
  await ostree('init', `--repo=${repo}`, `--mode=${mode}`);
  if (commit !== undefined) await ostree('pull-local', `--repo=${repo}`, src, commit);
  return repo;
}

test('the real ostree applies berth deltas (from-to, scratch, inline, --filename) and fsck passes', async (t) => {
  if (!(await needTools(t, 'ostree', 'xz'))) return;
  const dir = await tempDir(t);
  const { repo, v1, v2 } = await makeTwoCommits(dir);
  const store = await LooseStore.open(repo);

  const upd = await generateStaticDelta(store, { from: v1, to: v2 });
  assert.equal(upd.name, `${v1}-${v2}`);
  assert.ok(upd.stats.bsdiff >= 5, `expected bsdiff objects, got ${JSON.stringify(upd.stats)}`);
  const show = await ostree('static-delta', 'show', `--repo=${repo}`, upd.name);
  assert.match(show, new RegExp(`To: ${v2}`));
  assert.deepEqual((await ostree('static-delta', 'list', `--repo=${repo}`)).trim().split('\n'), [upd.name]);
  assert.deepEqual(await listStaticDeltas(store), [upd.name]);

  const target = await repoWith(dir, 'target', 'bare-user', repo, v1);
  await ostree('static-delta', 'apply-offline', `--repo=${target}`, join(repo, delta.deltaRelativePath(v1, v2)));
  await ostree('fsck', `--repo=${target}`);
  assert.equal((await ostree('rev-parse', `--repo=${target}`, v2)).trim(), v2);
  await ostree('checkout', `--repo=${target}`, '-U', v2, join(dir, 'co-upd'));

  const scratch = await generateStaticDelta(store, { to: v2, minFallbackSize: 0 });
  const fresh = await repoWith(dir, 'fresh', 'bare-user', repo, undefined);
  await ostree('static-delta', 'apply-offline', `--repo=${fresh}`, join(repo, delta.deltaRelativePath(undefined, v2)));
  await ostree('fsck', `--repo=${fresh}`);
  assert.equal(scratch.fallbacks, 0);

  const file = join(dir, 'bundle.delta');
  await generateStaticDelta(store, { from: v1, to: v2, filename: file });
  const target2 = await repoWith(dir, 'target2', 'bare-user', repo, v1);
  await ostree('static-delta', 'apply-offline', `--repo=${target2}`, file);
  await ostree('fsck', `--repo=${target2}`);

  // regenerating replaces; delete removes
  await generateStaticDelta(store, { from: v1, to: v2, inline: true });
  assert.equal((await readStaticDelta(store, upd.name)).superblock.parts.length > 0, true);
  await deleteStaticDelta(store, upd.name);
  assert.deepEqual(await listStaticDeltas(store), [v2]);
});

test('berth applies deltas the real ostree generated (rollsum, bsdiff, fallbacks) into bare-user and archive repos', async (t) => {
  if (!(await needTools(t, 'ostree', 'xz'))) return;
  const dir = await tempDir(t);
  const { repo, v1, v2 } = await makeTwoCommits(dir);
  await ostree('static-delta', 'generate', `--repo=${repo}`, `--from=${v1}`, `--to=${v2}`);
  await ostree('static-delta', 'generate', `--repo=${repo}`, '--empty', `--to=${v2}`, '--min-fallback-size=0');
  const ops = await ostree('static-delta', 'show', `--repo=${repo}`, `${v1}-${v2}`);
  assert.match(ops, /bspatch|rollsum|Rollsum/i);

  for (const mode of ['bare-user', 'archive']) {
    const target = await repoWith(dir, `t-${mode}`, mode, repo, v1);
    const store = await LooseStore.open(target);
    const { loaded, fetchPart } = await loadDeltaFromPath(join(repo, delta.deltaRelativePath(v1, v2)));
    const r = await applyStaticDelta(store, loaded, { fetchPart });
    await store.finish();
    assert.ok(r.objectsWritten > 10);
    await ostree('fsck', `--repo=${target}`);
    await ostree('checkout', `--repo=${target}`, '-U', v2, join(dir, `co-${mode}`));
  }
  const fresh = await repoWith(dir, 'fresh', 'bare-user', repo, undefined);
  const store = await LooseStore.open(fresh);
  const { loaded, fetchPart } = await loadDeltaFromPath(join(repo, delta.deltaRelativePath(undefined, v2)));
  await applyStaticDelta(store, loaded, { fetchPart });
  await store.finish();
  await ostree('fsck', `--repo=${fresh}`);
});

test('a corrupted delta part is refused before any object is written', async (t) => {
  if (!(await needTools(t, 'ostree', 'xz'))) return;
  const dir = await tempDir(t);
  const { repo, v1, v2 } = await makeTwoCommits(dir);
  const store = await LooseStore.open(repo);
  await generateStaticDelta(store, { from: v1, to: v2 });
  const partPath = join(repo, delta.deltaRelativePath(v1, v2, '0'));
  const part = await readFile(partPath);
  part[part.length - 10]! ^= 0xff;
  await writeFile(partPath, part);
  const target = await repoWith(dir, 'target', 'bare-user', repo, v1);
  const before = await ostree('fsck', `--repo=${target}`);
  const tstore = await LooseStore.open(target);
  const { loaded, fetchPart } = await loadDeltaFromPath(join(repo, delta.deltaRelativePath(v1, v2)));
  await assert.rejects(applyStaticDelta(tstore, loaded, { fetchPart }), { code: 'STATIC_DELTA_CHECKSUM_MISMATCH' });
  await tstore.finish();
  assert.equal(await ostree('fsck', `--repo=${target}`), before);
  assert.equal(await tstore.has('commit', v2), false);
});

test('pulled objects enter objects/ only after a filesystem sync, in batches; until then they are found and read staged', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  await exec(['ostree', 'init', `--repo=${repo}`, '--mode=bare-user']);
  const store = await LooseStore.open(repo);
  const { contentChecksum } = await import('./index.js');
  const obj = { header: { uid: 0, gid: 0, mode: 0o100644, symlinkTarget: '', xattrs: [] }, content: new TextEncoder().encode('staged\n') };
  const checksum = contentChecksum(obj);
  await store.writeContent(checksum, obj);
  const final = store.objectPath(checksum, 'file');
  await assert.rejects(readFile(final), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  assert.equal(await store.has('file', checksum), true);
  assert.equal(new TextDecoder().decode((await store.readContent(checksum)).content), 'staged\n');
  await store.finish();
  assert.equal(await readFile(final, 'utf8'), 'staged\n');
  assert.equal((await exec(['ostree', `--repo=${repo}`, 'fsck'], { check: false })).exitCode, 0);
});
