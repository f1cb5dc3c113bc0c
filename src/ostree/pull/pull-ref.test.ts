import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import { generateStaticDelta, LooseStore, updateSummary } from '../delta/index.js';
import { makeTwoCommits } from '../delta/test-fixtures.js';
import { addRemote } from '../remote.js';
import { generateEd25519KeyPair, signCommit, signDetached } from '../sign/index.js';
import { pullRef, refreshOriginRef } from './index.js';
import { plainStaticServer } from './test-server.js';

async function ostree(...args: string[]): Promise<string> {
  return (await exec(['ostree', ...args])).stdout.toString();
}

test('refreshOriginRef() pulls remote:ref (metadata only for --check) and applies signed --from bundles', async (t) => {
  if (!(await needTools(t, 'ostree', 'xz'))) return;
  const dir = await tempDir(t);
  const { repo, v1, v2, ref } = await makeTwoCommits(dir);
  const keys = generateEd25519KeyPair();
  for (const c of [v1, v2]) await signCommit(repo, c, { ed25519: [keys.secret] });
  await ostree('reset', `--repo=${repo}`, ref, v1);
  await updateSummary(await LooseStore.open(repo));
  const server = await plainStaticServer(repo);
  t.after(() => server.close());

  const host = join(dir, 'host-repo');
  await ostree('init', `--repo=${host}`, '--mode=bare');
  await addRemote({ repo: host }, 'origin', server.url, { noGpgVerify: true, signVerify: [`ed25519=inline:${keys.public}`] });
  const first = await pullRef(host, 'origin', ref);
  assert.equal(first.commit, v1);
  assert.equal(first.changed, true);
  await ostree('fsck', `--repo=${host}`);

  await ostree('reset', `--repo=${repo}`, ref, v2);
  await updateSummary(await LooseStore.open(repo));
  const check = await refreshOriginRef(host, `origin:${ref}`, { check: true });
  assert.equal(check.commit, v2);
  const store = await LooseStore.open(host);
  assert.equal(await store.isPartial(v2), true, '--check fetched only the commit');
  const full = await refreshOriginRef(host, `origin:${ref}`);
  assert.equal(full.commit, v2);
  assert.equal(await store.isPartial(v2), false);
  await ostree('fsck', `--repo=${host}`);

  // offline: a bundle generated on the server, applied to a host that has v1, checked against the remote's key
  const offline = join(dir, 'offline-repo');
  await ostree('init', `--repo=${offline}`, '--mode=bare');
  await addRemote({ repo: offline }, 'origin', 'http://127.0.0.1:9/', { noGpgVerify: true, signVerify: [`ed25519=inline:${keys.public}`] });
  await ostree('pull-local', `--repo=${offline}`, repo, v1);
  const bundle = join(dir, 'update.bundle');
  await generateStaticDelta(await LooseStore.open(repo), { from: v1, to: v2, filename: bundle, minFallbackSize: 0, signSuperblock: async (sb) => signDetached(sb, [], { ed25519: [keys.secret] }) });
  const applied = await refreshOriginRef(offline, `origin:${ref}`, { from: bundle });
  assert.equal(applied.commit, v2);
  assert.equal((await ostree('rev-parse', `--repo=${offline}`, `origin:${ref}`)).trim(), v2);
  await ostree('fsck', `--repo=${offline}`);

  // a bundle signed (superblock and commit) by another key is refused before anything is written
  const stranger = generateEd25519KeyPair();
  const other = join(dir, 'other-repo');
  await ostree('init', `--repo=${other}`, '--mode=bare');
  await addRemote({ repo: other }, 'origin', 'http://127.0.0.1:9/', { noGpgVerify: true, signVerify: [`ed25519=inline:${stranger.public}`] });
  await ostree('pull-local', `--repo=${other}`, repo, v1);
  await assert.rejects(refreshOriginRef(other, `origin:${ref}`, { from: bundle }), { code: 'SIGN_VERIFY_FAILED' });
  assert.equal(await (await LooseStore.open(other)).has('commit', v2), false);
});
