import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import { generateStaticDelta, LooseStore, updateSummary } from '../delta/index.js';
import { makeTwoCommits } from '../delta/test-fixtures.js';
import { addRemote, getRemote, remoteVerification } from '../remote.js';
import { serveRepo } from '../serve.js';
import { gpgImportToKeyring, signCommit } from '../sign/index.js';
import { pull, pullLocal } from './index.js';
import { plainStaticServer } from './test-server.js';

async function ostree(...args: string[]): Promise<string> {
  return (await exec(['ostree', ...args])).stdout.toString();
}

async function gpgHome(t: import('node:test').TestContext): Promise<{ home: string; keyId: string; keyring: string }> {
  const home = await tempDir(t, 'berth-gnupg-');
  await exec(['chmod', '700', home]);
  t.after(() => exec(['gpgconf', '--homedir', home, '--kill', 'all'], { check: false }));
  await exec(['gpg', '--batch', '--homedir', home, '--passphrase', '', '--quick-gen-key', 'Pull Test <pull@example.invalid>', 'ed25519', 'sign', 'never']);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec((await exec(['gpg', '--batch', '--homedir', home, '--list-keys', '--with-colons'])).stdout.toString())![1]!;
  const keyring = join(home, 'pub.gpg');
  await writeFile(keyring, (await exec(['gpg', '--batch', '--homedir', home, '--export', fpr])).stdout);
  return { home, keyId: fpr, keyring };
}

async function client(dir: string, name: string, url: string, keyring: string | undefined, set: Array<[string, string]> = []): Promise<{ store: LooseStore; path: string }> {
  const path = join(dir, name);
  await ostree('init', `--repo=${path}`, '--mode=bare-user');
  await addRemote({ repo: path }, 'origin', url, { noGpgVerify: keyring === undefined, set });
  if (keyring !== undefined) await gpgImportToKeyring(join(path, 'origin.trustedkeys.gpg'), [keyring]);
  return { store: await LooseStore.open(path), path };
}

async function pullFrom(c: { store: LooseStore; path: string }, refs: string[], extra: Partial<Parameters<typeof pull>[1]> = {}): ReturnType<typeof pull> {
  const remote = await getRemote({ repo: c.path }, 'origin');
  const v = await remoteVerification({ repo: c.path }, remote);
  return pull(c.store, { remoteName: 'origin', url: remote.url, refs, verify: v, ...extra });
}

test('berth pulls GPG-signed commits from an ostree-made repo on a plain static server, by objects then by ostree delta', async (t) => {
  if (!(await needTools(t, 'ostree', 'gpg', 'gpgv', 'xz'))) return;
  const dir = await tempDir(t);
  const { home, keyId, keyring } = await gpgHome(t);
  const sign = [`--gpg-sign=${keyId}`, `--gpg-homedir=${home}`];
  const { repo, v1, v2, ref } = await makeTwoCommits(dir, { ostreeArgs: sign });
  // the server first offers v1 only
  await ostree('reset', `--repo=${repo}`, ref, v1);
  await ostree('summary', `--repo=${repo}`, '-u', ...sign);
  const server = await plainStaticServer(repo);
  t.after(() => server.close());

  const c = await client(dir, 'client', server.url, keyring, [['gpg-verify-summary', 'true']]);
  const r1 = await pullFrom(c, [ref]);
  assert.equal(r1.refs[0]?.commit, v1);
  assert.equal(r1.refs[0]?.signatures[0]?.state, 'valid');
  assert.ok(r1.contentFetched > 100);
  assert.equal(await c.store.readRef(ref, 'origin'), v1);
  await ostree('fsck', `--repo=${c.path}`);

  await ostree('reset', `--repo=${repo}`, ref, v2);
  await ostree('static-delta', 'generate', `--repo=${repo}`, `--from=${v1}`, `--to=${v2}`);
  await ostree('summary', `--repo=${repo}`, '-u', ...sign);
  server.log.length = 0;
  const r2 = await pullFrom(c, [ref]);
  assert.equal(r2.refs[0]?.viaDelta, `${v1}-${v2}`);
  assert.equal(r2.contentFetched, 0, 'no loose objects next to the delta');
  assert.ok(server.log.some((l) => l.path.startsWith('/deltas/') && l.path.endsWith('/0')));
  assert.equal(await c.store.readRef(ref, 'origin'), v2);
  await ostree('fsck', `--repo=${c.path}`);
  await ostree('checkout', `--repo=${c.path}`, '-U', `origin:${ref}`, join(dir, 'co'));

  // and without deltas, into a second client, objects only
  const c2 = await client(dir, 'client2', server.url, keyring);
  const r3 = await pullFrom(c2, [ref], { disableStaticDeltas: true, depth: 1 });
  assert.equal(r3.refs[0]?.viaDelta, undefined);
  assert.equal(await c2.store.has('commit', v1), true, '--depth=1 brought the parent');
  await ostree('fsck', `--repo=${c2.path}`);

  // a from-scratch berth delta whose 5 MB file is a fallback, fetched as a loose object
  const sstore = await LooseStore.open(repo);
  const scratch = await generateStaticDelta(sstore, { to: v2 });
  assert.equal(scratch.fallbacks, 1);
  // gpg-verify: an unsigned superblock is used only when a verified summary lists its digest
  await updateSummary(sstore, { sign: { gpg: [{ keyId, homedir: home }] } });
  const c3 = await client(dir, 'client3', server.url, keyring, [['gpg-verify-summary', 'true']]);
  server.log.length = 0;
  const r4 = await pullFrom(c3, [ref]);
  assert.equal(r4.refs[0]?.viaDelta, v2);
  assert.equal(r4.contentFetched, 1, 'only the fallback is fetched loose');
  assert.ok(server.log.some((l) => l.path.endsWith('.filez')));
  await ostree('fsck', `--repo=${c3.path}`);
});

test('unsigned, unknown-key and tampered summaries, commits, objects and delta parts are refused; refs stay', async (t) => {
  if (!(await needTools(t, 'ostree', 'gpg', 'gpgv', 'xz'))) return;
  const dir = await tempDir(t);
  const { home, keyId, keyring } = await gpgHome(t);
  const other = await gpgHome(t);
  const { repo, v1, v2, ref } = await makeTwoCommits(dir);
  await ostree('summary', `--repo=${repo}`, '-u');
  const server = await plainStaticServer(repo);
  t.after(() => server.close());

  // unsigned commit with gpg-verify on (ostree's default)
  const c = await client(dir, 'c', server.url, keyring);
  await assert.rejects(pullFrom(c, [ref]), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SIGN_VERIFY_FAILED');
    assert.match(err.message, new RegExp(`commit ${v2} from remote "origin"`));
    return true;
  });
  assert.equal(await c.store.readRef(ref, 'origin'), undefined);

  // signed by a key the client does not trust
  await signCommit(repo, v2, { gpg: [{ keyId: other.keyId, homedir: other.home }] });
  await assert.rejects(pullFrom(c, [ref]), /signed only by unknown keys/);
  // signed by the trusted key: passes
  await signCommit(repo, v2, { gpg: [{ keyId, homedir: home }] });

  // a tampered summary under gpg-verify-summary
  await exec(['ostree', 'summary', `--repo=${repo}`, '-u', `--gpg-sign=${keyId}`, `--gpg-homedir=${home}`]);
  const summary = await readFile(join(repo, 'summary'));
  const cs = await client(dir, 'cs', server.url, keyring, [['gpg-verify-summary', 'true']]);
  summary[summary.length - 3]! ^= 0x01;
  await writeFile(join(repo, 'summary'), summary);
  await assert.rejects(pullFrom(cs, [ref]), /verification of summary from remote "origin" failed/);
  summary[summary.length - 3]! ^= 0x01;
  await writeFile(join(repo, 'summary'), summary);

  // a tampered content object
  const objs = join(repo, 'objects');
  let victim = '';
  for (const d of (await readdir(objs)).sort()) {
    const f = (await readdir(join(objs, d))).find((n) => n.endsWith('.filez'));
    if (f !== undefined) {
      victim = join(objs, d, f);
      break;
    }
  }
  const good = await readFile(victim);
  const bad = Buffer.from(good);
  bad[bad.length - 1]! ^= 0x55;
  await writeFile(victim, bad);
  await assert.rejects(pullFrom(c, [ref], { disableStaticDeltas: true }), { code: 'REPO_OBJECT_CORRUPT' });
  assert.equal(await c.store.readRef(ref, 'origin'), undefined);
  assert.equal(await c.store.has('commit', v2), false);
  await writeFile(victim, good);

  // a tampered delta part (berth-generated delta; the signed summary lists its superblock)
  await signCommit(repo, v1, { gpg: [{ keyId, homedir: home }] });
  await pullFrom(cs, [v1]);
  const store = await LooseStore.open(repo);
  const d = await generateStaticDelta(store, { from: v1, to: v2 });
  await updateSummary(store, { sign: { gpg: [{ keyId, homedir: home }] } });
  const partPath = join(d.path, '..', '0');
  const part = await readFile(partPath);
  part[20]! ^= 0x01;
  await writeFile(partPath, part);
  await assert.rejects(pullFrom(cs, [ref]), { code: 'STATIC_DELTA_CHECKSUM_MISMATCH' });
  assert.equal(await cs.store.readRef(ref, 'origin'), undefined);
  assert.equal(await cs.store.has('commit', v2), false);
  part[20]! ^= 0x01;
  await writeFile(partPath, part);
  const ok = await pullFrom(cs, [ref]);
  assert.equal(ok.refs[0]?.viaDelta, d.name);
  await ostree('fsck', `--repo=${cs.path}`);
});

test('the real ostree pulls from a repo berth delta-ed, summarised, signed and serves, with and without deltas', async (t) => {
  if (!(await needTools(t, 'ostree', 'gpg', 'gpgv', 'xz'))) return;
  const dir = await tempDir(t);
  const { home, keyId, keyring } = await gpgHome(t);
  const { repo, v1, v2, ref } = await makeTwoCommits(dir);
  const store = await LooseStore.open(repo);
  for (const c of [v1, v2]) await signCommit(repo, c, { gpg: [{ keyId, homedir: home }] });
  await generateStaticDelta(store, { from: v1, to: v2 });
  await updateSummary(store, { sign: { gpg: [{ keyId, homedir: home }] } });
  const served = await serveRepo({ root: repo });
  t.after(() => served.close());

  for (const [name, extra] of [['with-delta', []], ['no-delta', ['--disable-static-deltas']]] as const) {
    const c = join(dir, name);
    await ostree('init', `--repo=${c}`, '--mode=bare-user');
    await ostree('remote', 'add', `--repo=${c}`, '--set=gpg-verify-summary=true', 'origin', served.url);
    await ostree('remote', 'gpg-import', `--repo=${c}`, '-k', keyring, 'origin');
    await ostree('pull', `--repo=${c}`, 'origin', v1);
    const out = await ostree('pull', `--repo=${c}`, ...extra, 'origin', ref);
    if (name === 'with-delta') assert.match(out, /delta parts?/);
    await ostree('fsck', `--repo=${c}`);
    assert.equal((await ostree('rev-parse', `--repo=${c}`, `origin:${ref}`)).trim(), v2);
  }
});

/** Two commits in an archive repo, and an empty bare-user repo to pull them into. */
async function sourceAndEmptyDestination(t: TestContext): Promise<{ repo: string; v2: string; ref: string; dst: string }> {
  const dir = await tempDir(t);
  const { repo, v2, ref } = await makeTwoCommits(dir);
  const dst = join(dir, 'dst');
  await mkdir(dst);
  await ostree('init', `--repo=${dst}`, '--mode=bare-user');
  return { repo, v2, ref, dst };
}

test('pullLocal() copies between modes with verification and writes refs last', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const { repo, v2, ref, dst } = await sourceAndEmptyDestination(t);
  const r = await pullLocal(await LooseStore.open(repo), await LooseStore.open(dst), { refs: [ref] });
  assert.equal(r.refs[0]?.commit, v2);
  await ostree('fsck', `--repo=${dst}`);
  assert.equal((await ostree('rev-parse', `--repo=${dst}`, ref)).trim(), v2);
});

test('--mirror writes refs/heads, --subpath fetches one subtree and leaves the commit partial, --commit-metadata-only only the commit', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const dir = await tempDir(t);
  const { repo, v2, ref } = await makeTwoCommits(dir);
  await ostree('summary', `--repo=${repo}`, '-u');
  const server = await plainStaticServer(repo);
  t.after(() => server.close());

  const m = await client(dir, 'mirror', server.url, undefined);
  await pullFrom(m, [ref], { mirror: true, disableStaticDeltas: true });
  assert.equal(await m.store.readRef(ref), v2);
  assert.equal(await m.store.readRef(ref, 'origin'), undefined);

  const s = await client(dir, 'sub', server.url, undefined);
  const r = await pullFrom(s, [ref], { subpaths: ['/usr/etc'] });
  assert.equal(r.contentFetched, 1, 'only usr/etc/hostname');
  assert.equal(await s.store.isPartial(v2), true);
  await ostree('checkout', `--repo=${s.path}`, '-U', `--subpath=/usr/etc`, v2, join(dir, 'etc-co'));
  assert.equal(await readFile(join(dir, 'etc-co', 'hostname'), 'utf8'), 'berth\n');

  const c = await client(dir, 'meta', server.url, undefined);
  const meta = await pullFrom(c, [ref], { commitMetadataOnly: true });
  assert.equal(meta.metadataFetched, 1);
  assert.equal(await c.store.has('commit', v2), true);
  assert.equal(await c.store.isPartial(v2), true);
  // a later full pull completes it
  await pullFrom(c, [ref]);
  assert.equal(await c.store.isPartial(v2), false);
  await ostree('fsck', `--repo=${c.path}`);
});

test('pulls hold the repository lock shared: they wait for a prune\'s exclusive lock and give up with REPO_LOCKED', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const { repo, v2, ref, dst } = await sourceAndEmptyDestination(t);
  await ostree('config', `--repo=${dst}`, 'set', 'core.lock-timeout-secs', '1');
  const { lockRepo } = await import('../repo-lock.js');
  const store = await LooseStore.open(dst);
  const held = await lockRepo(dst, store.config, 'exclusive');
  await assert.rejects(pullLocal(await LooseStore.open(repo), store, { refs: [ref] }), (e: Error & { code?: string }) => e.code === 'REPO_LOCKED');
  await store.finish({ durable: false });
  await held.release();
  const r = await pullLocal(await LooseStore.open(repo), await LooseStore.open(dst), { refs: [ref] });
  assert.equal(r.refs[0]?.commit, v2);
  // Released at the end: an exclusive taker gets it at once.
  await (await lockRepo(dst, store.config, 'exclusive')).release();
});
