import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import {
  assertVerified,
  decodeDetached,
  ED25519_KEY,
  ed25519Sign,
  encodeDetached,
  generateEd25519KeyPair,
  GPG_KEY,
  gpgImportToKeyring,
  loadEd25519Keys,
  signaturesIn,
  signCommit,
  signDetached,
  signSummary,
  verifyCommit,
  verifyDetached,
  verifySummary,
} from './index.js';

const DATA = new TextEncoder().encode('the bytes of a commit object');

test('ed25519 signatures verify with OpenSSL and OpenSSL signatures verify in berth', async (t) => {
  if (!(await needTools(t, 'openssl'))) return;
  const dir = await tempDir(t);
  const pair = generateEd25519KeyPair();
  const sig = ed25519Sign(DATA, pair.secret);
  assert.equal(sig.length, 64);
  // the public key as SubjectPublicKeyInfo PEM, built from the raw 32 bytes berth would trust
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(pair.public, 'base64')]);
  await writeFile(join(dir, 'pub.pem'), `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`);
  await writeFile(join(dir, 'data'), DATA);
  await writeFile(join(dir, 'sig'), sig);
  const ok = await exec(['openssl', 'pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-in', join(dir, 'data'), '-sigfile', join(dir, 'sig')]);
  assert.match(ok.stdout.toString(), /Signature Verified Successfully/);

  // the other way: OpenSSL's key and signature, checked by berth through the raw public key
  await exec(['openssl', 'genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'key.pem')]);
  await exec(['openssl', 'pkeyutl', '-sign', '-inkey', join(dir, 'key.pem'), '-rawin', '-in', join(dir, 'data'), '-out', join(dir, 'osig')]);
  const der = (await exec(['openssl', 'pkey', '-in', join(dir, 'key.pem'), '-pubout', '-outform', 'DER'])).stdout;
  const rawPub = der.subarray(der.length - 32).toString('base64');
  const osig = await readFile(join(dir, 'osig'));
  const detached = decodeDetached(encodeDetached([[ED25519_KEY, { type: 'aay', value: [new Uint8Array(osig)] }]]));
  const [report] = await verifyDetached(DATA, detached, { ed25519: { trusted: [rawPub], revoked: [] } });
  assert.equal(report?.state, 'valid');
});

test('verifyDetached() reports unsigned, unknown key, invalid and valid for ed25519', async () => {
  const signer = generateEd25519KeyPair();
  const other = generateEd25519KeyPair();
  const signed = await signDetached(DATA, [], { ed25519: [signer.secret] });
  const state = async (dict: typeof signed, trusted: string[], data = DATA): Promise<string | undefined> =>
    (await verifyDetached(data, dict, { ed25519: { trusted, revoked: [] } }))[0]?.state;
  assert.equal(await state([], [signer.public]), 'unsigned');
  assert.equal(await state(signed, []), 'unknown-key');
  assert.equal(await state(signed, [other.public]), 'invalid');
  assert.equal(await state(signed, [signer.public], new TextEncoder().encode('tampered')), 'invalid');
  assert.equal(await state(signed, [other.public, signer.public]), 'valid');
  // signing again appends, as `ostree sign` does
  const twice = await signDetached(DATA, signed, { ed25519: [other.secret] });
  assert.equal(signaturesIn(twice, ED25519_KEY).length, 2);
  const reports = await verifyDetached(DATA, signed, { ed25519: { trusted: [other.public], revoked: [] } });
  assert.throws(() => assertVerified(reports, { object: 'commit abc', remote: 'origin' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SIGN_VERIFY_FAILED');
    assert.match(err.message, /commit abc from remote "origin"/);
    assert.ok(err.message.includes(other.public));
    return true;
  });
});

test('loadEd25519Keys() reads key files and trusted/revoked directories and drops revoked keys', async (t) => {
  const dir = await tempDir(t);
  const a = generateEd25519KeyPair();
  const b = generateEd25519KeyPair();
  const c = generateEd25519KeyPair();
  await writeFile(join(dir, 'keys'), `# comment\n${a.public}\n\n`);
  await mkdir(join(dir, 'etc', 'trusted.ed25519.d'), { recursive: true });
  await writeFile(join(dir, 'etc', 'trusted.ed25519'), `${b.public}\n`);
  await writeFile(join(dir, 'etc', 'trusted.ed25519.d', 'x'), `${c.public}\n`);
  await writeFile(join(dir, 'etc', 'revoked.ed25519'), `${b.public}\n`);
  const keys = await loadEd25519Keys({ files: [join(dir, 'keys')], systemDirs: [join(dir, 'etc')] });
  assert.deepEqual(keys.trusted, [a.public, c.public]);
  await assert.rejects(loadEd25519Keys({ keys: ['not-a-key'] }), { code: 'SIGN_BAD_KEY' });
});

async function makeGpgHome(t: import('node:test').TestContext): Promise<{ home: string; keyId: string; keyring: string }> {
  const home = await tempDir(t, 'berth-gnupg-');
  await exec(['chmod', '700', home]);
  t.after(() => exec(['gpgconf', '--homedir', home, '--kill', 'all'], { check: false }));
  await exec(['gpg', '--batch', '--homedir', home, '--passphrase', '', '--quick-gen-key', 'Berth Test <berth-test@example.invalid>', 'ed25519', 'sign', 'never']);
  const list = (await exec(['gpg', '--batch', '--homedir', home, '--list-keys', '--with-colons'])).stdout.toString();
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(list)?.[1];
  assert.ok(fpr !== undefined);
  const keyring = join(home, 'exported.gpg');
  await writeFile(keyring, (await exec(['gpg', '--batch', '--homedir', home, '--export', fpr])).stdout);
  return { home, keyId: fpr, keyring };
}

async function ostreeRepoWithCommit(t: import('node:test').TestContext, extra: string[]): Promise<{ repo: string; commit: string }> {
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  await exec(['ostree', 'init', `--repo=${repo}`, '--mode=archive']);
  await mkdir(join(dir, 'tree', 'usr'), { recursive: true });
  await writeFile(join(dir, 'tree', 'usr', 'hello'), 'hello\n');
  const out = await exec(['ostree', 'commit', `--repo=${repo}`, '-b', 'test/os', '-s', 'signed', `--tree=dir=${join(dir, 'tree')}`, ...extra]);
  return { repo, commit: out.stdout.toString().trim() };
}

test('GPG: ostree commit --gpg-sign and summary --gpg-sign verify in berth; four states', async (t) => {
  if (!(await needTools(t, 'ostree', 'gpg', 'gpgv'))) return;
  const { home, keyId, keyring } = await makeGpgHome(t);
  const { repo, commit } = await ostreeRepoWithCommit(t, [`--gpg-sign=${keyId}`, `--gpg-homedir=${home}`]);
  const state = async (rings: string[]): Promise<string | undefined> => (await verifyCommit(repo, commit, { gpg: { keyrings: rings } }))[0]?.state;
  assert.equal(await state([keyring]), 'valid');
  assert.equal(await state([]), 'unknown-key');
  const reports = await verifyCommit(repo, commit, { gpg: { keyrings: [keyring] } });
  assert.equal(reports[0]?.keys[0], keyId);

  // tamper with the signature bytes: gpgv reports BAD signature
  const metaPath = join(repo, 'objects', commit.slice(0, 2), `${commit.slice(2)}.commitmeta`);
  const original = await readFile(metaPath);
  const dict = decodeDetached(original);
  const sig = Uint8Array.from(signaturesIn(dict, GPG_KEY)[0]!);
  sig[sig.length - 5]! ^= 0x01;
  await writeFile(metaPath, encodeDetached([[GPG_KEY, { type: 'aay', value: [sig] }]]));
  assert.equal(await state([keyring]), 'invalid');
  await writeFile(metaPath, original);

  const unsigned = await ostreeRepoWithCommit(t, []);
  assert.equal((await verifyCommit(unsigned.repo, unsigned.commit, { gpg: { keyrings: [keyring] } }))[0]?.state, 'unsigned');

  await exec(['ostree', 'summary', `--repo=${repo}`, '-u', `--gpg-sign=${keyId}`, `--gpg-homedir=${home}`]);
  assert.equal((await verifySummary(repo, { gpg: { keyrings: [keyring] } }))[0]?.state, 'valid');
});

test('GPG: berth gpg-signs a commit and a summary that the real ostree verifies', async (t) => {
  if (!(await needTools(t, 'ostree', 'gpg', 'gpgv'))) return;
  const { home, keyId, keyring } = await makeGpgHome(t);
  const { repo, commit } = await ostreeRepoWithCommit(t, []);
  await signCommit(repo, commit, { gpg: [{ keyId, homedir: home }] });
  const show = await exec(['ostree', 'show', `--repo=${repo}`, `--gpg-homedir=${home}`, commit]);
  assert.match(show.stdout.toString(), /Good signature from "Berth Test <berth-test@example.invalid>"/);

  // summary.sig through a remote with gpg-verify-summary and an imported keyring
  await exec(['ostree', 'summary', `--repo=${repo}`, '-u']);
  await signSummary(repo, { gpg: [{ keyId, homedir: home }] });
  const client = join(await tempDir(t), 'client');
  await exec(['ostree', 'init', `--repo=${client}`, '--mode=archive']);
  await exec(['ostree', 'remote', 'add', `--repo=${client}`, '--set=gpg-verify-summary=true', 'origin', `file://${repo}`]);
  await exec(['ostree', 'remote', 'gpg-import', `--repo=${client}`, '-k', keyring, 'origin']);
  const summary = await exec(['ostree', 'remote', 'summary', `--repo=${client}`, 'origin']);
  assert.match(summary.stdout.toString(), /Good signature from "Berth Test/);
  assert.match(summary.stdout.toString(), /test\/os/);

  // berth's own keyring import makes the same keyring ostree imports
  const ring = join(await tempDir(t), 'origin.trustedkeys.gpg');
  assert.equal(await gpgImportToKeyring(ring, [keyring]), 1);
  assert.equal((await verifyCommit(repo, commit, { gpg: { keyrings: [ring] } }))[0]?.state, 'valid');
});
