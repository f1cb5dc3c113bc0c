import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exec } from '../core/index.js';
import { needTools, tempDir } from '../core/test-support.js';
import { Fetcher } from './pull/index.js';
import { addRemote, deleteRemote, getRemote, listRemotes, remoteFetcherOptions, remoteVerification } from './remote.js';
import { generateEd25519KeyPair } from './sign/index.js';

test('remotes: repo config and remotes.d, add/delete options, and the verification they imply', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  await exec(['ostree', 'init', `--repo=${repo}`, '--mode=archive']);
  const remotesDir = join(dir, 'remotes.d');
  await mkdir(remotesDir);
  await writeFile(join(remotesDir, 'fedora.conf'), '[remote "fedora"]\nurl=https://example.invalid/repo\ngpg-verify-summary=true\n');
  const loc = { repo, remotesDir };
  const keys = generateEd25519KeyPair();
  await addRemote(loc, 'origin', 'http://127.0.0.1:1/', { branches: ['a', 'b/c'], set: [['tls-permissive', 'true']], signVerify: [`ed25519=inline:${keys.public}`] });
  // what the real ostree reads back from the config berth wrote
  assert.equal((await exec(['ostree', 'remote', 'show-url', `--repo=${repo}`, 'origin'])).stdout.toString().trim(), 'http://127.0.0.1:1/');
  assert.deepEqual((await listRemotes(loc)).map((r) => r.name), ['fedora', 'origin']);
  const origin = await getRemote(loc, 'origin');
  assert.equal(origin.options.get('branches'), 'a;b/c;');
  const v = await remoteVerification(loc, origin);
  assert.ok(v.commit.gpg !== undefined, 'gpg-verify defaults to true, as in ostree');
  assert.deepEqual(v.commit.ed25519?.trusted, [keys.public]);
  assert.equal(v.summary.gpg, undefined);
  const fedora = await remoteVerification(loc, await getRemote(loc, 'fedora'));
  assert.ok(fedora.summary.gpg?.keyrings.includes(join(remotesDir, 'fedora.trustedkeys.gpg')));
  assert.equal((await remoteFetcherOptions(origin)).insecure, true);
  await assert.rejects(addRemote(loc, 'fedora', 'http://x/'), { code: 'REMOTE_EXISTS' });
  await assert.rejects(addRemote(loc, '../x', 'http://x/'), { code: 'REMOTE_BAD_NAME' });
  assert.equal(await deleteRemote(loc, 'fedora'), true);
  assert.deepEqual((await listRemotes(loc)).map((r) => r.name), ['origin']);
  assert.equal(await deleteRemote(loc, 'nope', { ifExists: true }), false);
  await assert.rejects(getRemote(loc, 'fedora'), { code: 'REMOTE_NOT_FOUND' });
  assert.match(await readFile(join(repo, 'config'), 'utf8'), /\[core\]/);
});

test('tls-ca-path makes an https remote with a private CA fetchable; without it the fetch is refused', async (t) => {
  if (!(await needTools(t, 'openssl'))) return;
  const dir = await tempDir(t);
  await exec(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  const server = createServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (_req, res) => res.end('summary-bytes'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const remote = { name: 'secure', url, file: '', options: new Map([['tls-ca-path', join(dir, 'cert.pem')]]) };
  const ok = new Fetcher(url, { ...(await remoteFetcherOptions(remote)), attempts: 1 });
  t.after(() => ok.close());
  assert.equal(new TextDecoder().decode(await ok.get('summary')), 'summary-bytes');
  const strict = new Fetcher(url, { attempts: 1 });
  t.after(() => strict.close());
  await assert.rejects(strict.get('summary'), { code: 'PULL_FETCH_FAILED' });
});
