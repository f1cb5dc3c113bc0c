import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import { delta } from '../../formats/index.js';
import { generateStaticDelta, LooseStore, updateSummary } from '../delta/index.js';
import { makeTwoCommits } from '../delta/test-fixtures.js';
import { addRemote, getRemote, remoteVerification } from '../remote.js';
import { generateEd25519KeyPair, signCommit, signDetached, signSummary } from '../sign/index.js';
import { applyOfflineDelta, pull } from './index.js';
import { plainStaticServer } from './test-server.js';

async function ostree(...args: string[]): Promise<string> {
  return (await exec(['ostree', ...args])).stdout.toString();
}

/** Every file under objects/ and state/ (what a refused pull must leave as it was). */
async function objectFiles(repo: string): Promise<string[]> {
  const out: string[] = [];
  for (const top of ['objects', 'state']) {
    const walk = async (d: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(join(repo, d));
      } catch {
        return;
      }
      for (const n of names) {
        const rel = join(d, n);
        if (/^[0-9a-f]{2}$/.test(n) && d === 'objects') await walk(rel);
        else out.push(rel);
      }
    };
    await walk(top);
  }
  return out.sort();
}

test('with sign-verify, unsigned, foreign-key and tampered delta superblocks are refused before anything is written; signed ones are used', async (t) => {
  if (!(await needTools(t, 'ostree', 'xz'))) return;
  const dir = await tempDir(t);
  const { repo, v1, v2, ref } = await makeTwoCommits(dir);
  const keys = generateEd25519KeyPair();
  const stranger = generateEd25519KeyPair();
  for (const c of [v1, v2]) await signCommit(repo, c, { ed25519: [keys.secret] });
  const server = await plainStaticServer(repo);
  t.after(() => server.close());
  const store = await LooseStore.open(repo);

  const path = join(dir, 'client');
  await ostree('init', `--repo=${path}`, '--mode=bare-user');
  await addRemote({ repo: path }, 'origin', server.url, { noGpgVerify: true, signVerify: [`ed25519=inline:${keys.public}`] });
  const client = await LooseStore.open(path);
  const remote = await getRemote({ repo: path }, 'origin');
  const verify = await remoteVerification({ repo: path }, remote);
  const pullV2 = (): ReturnType<typeof pull> => pull(client, { remoteName: 'origin', url: remote.url, refs: [ref], verify });
  await pull(client, { remoteName: 'origin', url: remote.url, refs: [v1], verify });
  await client.writeRef(ref, v1, 'origin');
  const before = await objectFiles(path);

  const refused = async (state: string): Promise<void> => {
    await assert.rejects(pullV2(), (err: Error & { code?: string; details?: { state?: string; object?: string } }) => {
      assert.equal(err.code, 'SIGN_VERIFY_FAILED');
      assert.equal(err.details?.state, state);
      assert.equal(err.details?.object, `static delta ${v1}-${v2}`);
      assert.match(err.message, /static delta .* from remote "origin"/);
      return true;
    });
    assert.equal(await client.readRef(ref, 'origin'), v1, 'ref unchanged');
    assert.deepEqual(await objectFiles(path), before, 'nothing written');
  };

  // an unsigned superblock, listed in an unsigned summary: refused
  await generateStaticDelta(store, { from: v1, to: v2 });
  await updateSummary(store);
  await refused('unsigned');

  // signed, but by a key the remote does not trust
  const sign = (secret: string) => async (sb: Uint8Array) => signDetached(sb, [], { ed25519: [secret] });
  await generateStaticDelta(store, { from: v1, to: v2, signSuperblock: sign(stranger.secret) });
  await updateSummary(store);
  await refused('invalid');

  // signed by the trusted key, then tampered with (the summary re-listing the new digest)
  const good = await generateStaticDelta(store, { from: v1, to: v2, signSuperblock: sign(keys.secret) });
  const signedBytes = new Uint8Array(await readFile(good.path));
  assert.ok(delta.isSignedSuperblock(signedBytes));
  const wrapped = delta.decodeSignedSuperblock(signedBytes);
  const inner = delta.decodeSuperblock(wrapped.superblock);
  const forged = delta.encodeSignedSuperblock({ superblock: delta.encodeSuperblock({ ...inner, timestamp: inner.timestamp + 1 }), signatures: wrapped.signatures });
  await writeFile(good.path, forged);
  await updateSummary(store);
  await refused('invalid');

  // the genuine signed superblock is used
  await writeFile(good.path, signedBytes);
  await updateSummary(store);
  const ok = await pullV2();
  assert.equal(ok.refs[0]?.viaDelta, `${v1}-${v2}`);
  assert.equal(ok.contentFetched, 0);
  assert.equal(await client.readRef(ref, 'origin'), v2);
  await ostree('fsck', `--repo=${path}`);

  // an unsigned superblock is fine when a summary verified with the remote's key lists its digest
  await generateStaticDelta(store, { from: v1, to: v2 });
  await updateSummary(store);
  await signSummary(repo, { ed25519: [keys.secret] });
  const path2 = join(dir, 'client2');
  await ostree('init', `--repo=${path2}`, '--mode=bare-user');
  await addRemote({ repo: path2 }, 'origin', server.url, { noGpgVerify: true, signVerify: [`ed25519=inline:${keys.public}`], set: [['sign-verify-summary', 'true']] });
  const c2 = await LooseStore.open(path2);
  const v2verify = await remoteVerification({ repo: path2 }, await getRemote({ repo: path2 }, 'origin'));
  await pull(c2, { remoteName: 'origin', url: server.url, refs: [v1], verify: v2verify });
  const r2 = await pull(c2, { remoteName: 'origin', url: server.url, refs: [ref], verify: v2verify });
  assert.equal(r2.refs[0]?.viaDelta, `${v1}-${v2}`);
  await ostree('fsck', `--repo=${path2}`);
});

test('an offline bundle must be a superblock signed by the remote key when the remote verifies signatures', async (t) => {
  if (!(await needTools(t, 'ostree', 'xz'))) return;
  const dir = await tempDir(t);
  const { repo, v1, v2 } = await makeTwoCommits(dir);
  const keys = generateEd25519KeyPair();
  for (const c of [v1, v2]) await signCommit(repo, c, { ed25519: [keys.secret] });
  const store = await LooseStore.open(repo);
  const host = join(dir, 'host');
  await ostree('init', `--repo=${host}`, '--mode=bare');
  await addRemote({ repo: host }, 'origin', 'http://127.0.0.1:9/', { noGpgVerify: true, signVerify: [`ed25519=inline:${keys.public}`] });
  await ostree('pull-local', `--repo=${host}`, repo, v1);
  const before = await objectFiles(host);

  const unsigned = join(dir, 'unsigned.bundle');
  await generateStaticDelta(store, { from: v1, to: v2, filename: unsigned, minFallbackSize: 0 });
  await assert.rejects(applyOfflineDelta(host, unsigned, { remote: 'origin' }), (err: Error & { code?: string; details?: { state?: string } }) => {
    assert.equal(err.code, 'SIGN_VERIFY_FAILED');
    assert.equal(err.details?.state, 'unsigned');
    return true;
  });
  assert.deepEqual(await objectFiles(host), before, 'nothing written');

  const signed = join(dir, 'signed.bundle');
  await generateStaticDelta(store, { from: v1, to: v2, filename: signed, minFallbackSize: 0, signSuperblock: async (sb) => signDetached(sb, [], { ed25519: [keys.secret] }) });
  const r = await applyOfflineDelta(host, signed, { remote: 'origin' });
  assert.equal(r.commit, v2);
  await ostree('fsck', `--repo=${host}`);
});
