import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { exec, isHostError } from '../core/index.js';
import { needTools, tempDir } from '../core/test-support.js';
import { ImageStore } from './image-store.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';
import type { ProgressMessage } from './progress.js';
import { readCredentials, removeCredentials, storeCredentials } from './registry/auth-config.js';
import { RegistryClient } from './registry/client.js';
import { buildBusyboxImage } from './testing/busybox.js';
import { startTestRegistry, type RegistryAuthMode, type TestRegistry } from './testing/registry.js';
import { createReadStream } from 'node:fs';

async function registry(t: import('node:test').TestContext, auth: RegistryAuthMode = 'none'): Promise<TestRegistry | undefined> {
  if (!(await needTools(t, 'docker-registry', 'skopeo'))) return undefined;
  const reg = await startTestRegistry(await tempDir(t, 'berth-registry-'), { auth });
  t.after(() => reg.stop());
  return reg;
}

async function skopeoJson(args: string[]): Promise<any> {
  return JSON.parse((await exec(['skopeo', ...args])).stdout.toString());
}

test('pushImage() uploads an image skopeo then reads with the same digests; pullImage() gets it back', async (t) => {
  const reg = await registry(t);
  if (!reg) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir, extraLayers: [[{ path: 'etc/motd', content: 'pushed\n' }]] });
  const store = await ImageStore.open({ root: await tempDir(t) });
  await store.importOciLayout(built.ociDir, { names: [`${reg.host}/tiny/busybox:v1`] });
  const messages: ProgressMessage[] = [];
  const pushed = await pushImage(store, `${reg.host}/tiny/busybox:v1`, { onProgress: (m) => messages.push(m) });
  assert.equal(pushed.digest, built.manifestDigest, 'exact manifest bytes pushed');
  assert.ok(messages.some((m) => m.status === 'Pushed'));
  const info = await skopeoJson(['inspect', '--tls-verify=false', `docker://${reg.host}/tiny/busybox:v1`]);
  assert.equal(info.Digest, built.manifestDigest);
  assert.deepEqual(info.Layers, built.layers.map((l) => l.digest));
  await exec(['skopeo', 'copy', '--src-tls-verify=false', `docker://${reg.host}/tiny/busybox:v1`, `oci:${path.join(dir, 'copied')}:v1`]);

  // second push: everything exists already
  const again: ProgressMessage[] = [];
  await pushImage(store, `${reg.host}/tiny/busybox:v1`, { onProgress: (m) => again.push(m) });
  assert.equal(again.filter((m) => m.status === 'Layer already exists').length, 2);

  // cross-repository mount into another repository
  await store.tag(`${reg.host}/tiny/busybox:v1`, `${reg.host}/other/copy:v1`);
  const mounted: ProgressMessage[] = [];
  await pushImage(store, `${reg.host}/other/copy:v1`, { onProgress: (m) => mounted.push(m) });
  assert.equal(mounted.filter((m) => m.status === 'Mounted from tiny/busybox').length, 2);
  assert.match(reg.log(), /POST \/v2\/other\/copy\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]+&from=tiny%2Fbusybox HTTP\/1.1" 201/);

  // pull into a fresh store
  const other = await ImageStore.open({ root: await tempDir(t) });
  const pulled = await pullImage(other, `${reg.host}/tiny/busybox:v1`);
  assert.equal(pulled.image.id, built.imageId);
  assert.equal(pulled.digest, built.manifestDigest);
  assert.deepEqual((await other.list())[0]!.repoDigests, [`${reg.host}/tiny/busybox@${built.manifestDigest}`]);
  const up = await pullImage(other, `${reg.host}/tiny/busybox:v1`);
  assert.equal(up.upToDate, true);
});

test('pullImage() reads what skopeo pushed: schema2, OCI with zstd layers, and a multi-arch index choosing linux/amd64', async (t) => {
  const reg = await registry(t);
  if (!reg) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', `docker-archive:${built.dockerArchive}`, `docker://${reg.host}/s/v2s2:latest`]);
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', '--dest-compress-format', 'zstd', '--dest-compress', built.ociRef, `docker://${reg.host}/s/zstd:latest`]);
  const store = await ImageStore.open({ root: await tempDir(t) });
  const a = await pullImage(store, `${reg.host}/s/v2s2`);
  assert.equal(a.image.id, built.imageId, 'docker-archive config bytes kept through skopeo');
  assert.equal(a.image.manifest?.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const b = await pullImage(store, `${reg.host}/s/zstd:latest`);
  assert.equal((await store.config(b.image)).rootfs.diff_ids[0], built.diffIds[0]);
  const zstdInfo = await skopeoJson(['inspect', '--tls-verify=false', `docker://${reg.host}/s/zstd:latest`]);
  assert.equal(b.digest, zstdInfo.Digest);

  // an index with an arm64 entry first, then amd64, then an attestation
  const arm = await buildBusyboxImage({ dir: path.join(dir, 'arm'), config: { Labels: { arch: 'arm64' } } });
  const idx = path.join(dir, 'idx');
  await exec(['cp', '-r', built.ociDir, idx]);
  for (const f of await fsp.readdir(path.join(arm.ociDir, 'blobs/sha256'))) {
    await fsp.copyFile(path.join(arm.ociDir, 'blobs/sha256', f), path.join(idx, 'blobs/sha256', f));
  }
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.manifestDigest, size: arm.manifestBytes.length, platform: { architecture: 'arm64', os: 'linux' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: built.manifestDigest, size: built.manifestBytes.length, platform: { architecture: 'amd64', os: 'linux' } },
    ],
  });
  const { sha256Digest } = await import('../formats/index.js');
  const indexDigest = sha256Digest(index);
  await fsp.writeFile(path.join(idx, 'blobs/sha256', indexDigest.slice(7)), index);
  await fsp.writeFile(
    path.join(idx, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }),
  );
  await exec(['skopeo', 'copy', '--all', '--dest-tls-verify=false', `oci:${idx}:multi`, `docker://${reg.host}/s/multi:latest`]);
  const m = await pullImage(store, `${reg.host}/s/multi`, { platform: { os: 'linux', architecture: 'amd64' } });
  assert.equal(m.image.id, built.imageId);
  assert.equal(m.digest, indexDigest, 'the repo digest is the index digest');
  const mArm = await pullImage(store, `${reg.host}/s/multi`, { platform: { os: 'linux', architecture: 'arm64' } });
  assert.equal(mArm.image.id, arm.imageId);
});

test('pullImage() resumes an interrupted layer download with a Range request', async (t) => {
  const reg = await registry(t);
  if (!reg) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', built.ociRef, `docker://${reg.host}/r/busybox:latest`]);
  const store = await ImageStore.open({ root: await tempDir(t) });
  const layer = built.layers[0]!;
  const blob = await fsp.readFile(path.join(built.ociDir, 'blobs/sha256', layer.digest.slice(7)));
  // What a pull killed half-way leaves behind: an ingest holding the first half.
  const w = await store.content.openWriter(`pull-${layer.digest}`);
  await w.write(blob.subarray(0, Math.floor(blob.length / 2)));
  await w.close();
  assert.deepEqual((await store.content.ingests()).map((i) => i.offset), [Math.floor(blob.length / 2)]);
  const pulled = await pullImage(store, `${reg.host}/r/busybox`);
  assert.equal(pulled.image.id, built.imageId);
  assert.match(reg.log(), new RegExp(`GET /v2/r/busybox/blobs/${layer.digest} HTTP/1.1" 206 ${blob.length - Math.floor(blob.length / 2)}`));
  assert.deepEqual(await store.content.ingests(), []);
});

test('chunked uploads and basic auth: push with credentials, refused without', async (t) => {
  const reg = await registry(t, 'htpasswd');
  if (!reg) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  const store = await ImageStore.open({ root: await tempDir(t) });
  await store.load(createReadStream(built.dockerArchive));
  const ref = `${reg.host}/auth/busybox:c`;
  await store.tag('localhost/busybox-tiny', ref);
  await assert.rejects(pushImage(store, ref), (e: unknown) => isHostError(e) && e.code === 'REGISTRY_UNAUTHORIZED');
  const authfile = path.join(dir, 'auth.json');
  await storeCredentials(reg.host, { username: reg.username, password: 'wrong' }, authfile);
  await assert.rejects(new RegistryClient({ registry: reg.host, credentials: (await readCredentials(reg.host, authfile))! }).checkLogin(), (e: unknown) =>
    isHostError(e) && e.code === 'REGISTRY_UNAUTHORIZED');
  await storeCredentials(reg.host, { username: reg.username, password: reg.password }, authfile);
  const credentials = async (r: string) => readCredentials(r, authfile);
  const pushed = await pushImage(store, ref, { credentials, chunkSize: 256 * 1024 });
  assert.match(reg.log(), /PATCH \/v2\/auth\/busybox\/blobs\/uploads\//);
  // skopeo reads the auth file berth wrote (docker config.json format)
  const info = await skopeoJson(['inspect', '--tls-verify=false', '--authfile', authfile, `docker://${ref}`]);
  assert.equal(info.Digest, pushed.digest);
  const raw = await skopeoJson(['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, `docker://${ref}`]);
  assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(raw.layers[0].mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  assert.equal(raw.config.digest, built.imageId);
  const other = await ImageStore.open({ root: await tempDir(t) });
  assert.equal((await pullImage(other, ref, { credentials })).image.id, built.imageId);
  // the same loaded image pushed as OCI from a fresh store: OCI manifest, gzip OCI layers, same config bytes
  const third = await ImageStore.open({ root: await tempDir(t) });
  await third.load(createReadStream(built.dockerArchive));
  const ociRef = `${reg.host}/auth/oci:1`;
  await third.tag('localhost/busybox-tiny', ociRef);
  await pushImage(third, ociRef, { credentials, flavour: 'oci' });
  const rawOci = await skopeoJson(['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, `docker://${ociRef}`]);
  assert.equal(rawOci.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(rawOci.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(rawOci.config.digest, built.imageId);
});

test('token auth: berth gets a bearer token from the realm and pulls what skopeo pushed', async (t) => {
  if (!(await needTools(t, 'openssl'))) return;
  const reg = await registry(t, 'token');
  if (!reg) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  const creds = `${reg.username}:${reg.password}`;
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', '--dest-creds', creds, built.ociRef, `docker://${reg.host}/tok/busybox:latest`]);
  const store = await ImageStore.open({ root: await tempDir(t) });
  await assert.rejects(pullImage(store, `${reg.host}/tok/busybox`), (e: unknown) => isHostError(e) && e.code === 'REGISTRY_UNAUTHORIZED');
  const credentials = async () => ({ username: reg.username, password: reg.password });
  await new RegistryClient({ registry: reg.host, credentials: await credentials() }).checkLogin();
  const pulled = await pullImage(store, `${reg.host}/tok/busybox`, { credentials });
  assert.equal(pulled.image.id, built.imageId);
  await store.tag(`${reg.host}/tok/busybox`, `${reg.host}/tok/again:1`);
  const pushed = await pushImage(store, `${reg.host}/tok/again:1`, { credentials });
  assert.equal(pushed.digest, built.manifestDigest);
});

test('pullImage() survives a connection cut mid-layer: it keeps the bytes and resumes with Range', async (t) => {
  const reg = await registry(t);
  if (!reg) return;
  const { createServer, request } = await import('node:http');
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', built.ociRef, `docker://${reg.host}/cut/busybox:latest`]);
  const layer = built.layers[0]!;
  let cut = 0;
  const ranges: string[] = [];
  const [regHost, regPort] = reg.host.split(':') as [string, string];
  // A proxy that drops the first layer download half-way, as a flaky network would.
  const proxy = createServer((req, res) => {
    const isLayer = req.url?.endsWith(`/blobs/${layer.digest}`) && req.method === 'GET';
    if (isLayer && req.headers.range) ranges.push(req.headers.range);
    const up = request({ host: regHost, port: Number(regPort), method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (isLayer && cut === 0 && !req.headers.range) {
        cut++;
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          if (sent >= layer.size / 2) return;
          sent += chunk.length;
          res.write(chunk);
          if (sent >= layer.size / 2) res.socket?.destroy();
        });
        return;
      }
      upRes.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
  const port = (proxy.address() as { port: number }).port;
  const store = await ImageStore.open({ root: await tempDir(t) });
  const pulled = await pullImage(store, `127.0.0.1:${port}/cut/busybox`);
  assert.equal(pulled.image.id, built.imageId);
  assert.equal(cut, 1);
  assert.equal(ranges.length, 1);
  assert.match(ranges[0]!, /^bytes=[1-9]\d*-$/);
});

test('two concurrent pulls of one image share the downloads and both succeed', async (t) => {
  const reg = await registry(t);
  if (!reg) return;
  const built = await buildBusyboxImage({ dir: await tempDir(t) });
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', built.ociRef, `docker://${reg.host}/twice/busybox:a`]);
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', built.ociRef, `docker://${reg.host}/twice/busybox:b`]);
  const store = await ImageStore.open({ root: await tempDir(t) });
  const [a, b] = await Promise.all([pullImage(store, `${reg.host}/twice/busybox:a`), pullImage(store, `${reg.host}/twice/busybox:b`)]);
  assert.equal(a.image.id, built.imageId);
  assert.equal(b.image.id, built.imageId);
  const layerGets = reg.log().split('\n').filter((l) => l.includes(`/blobs/${built.layers[0]!.digest} HTTP`) && l.includes('"GET'));
  assert.equal(layerGets.length, 1, 'the layer was downloaded once');
  assert.deepEqual((await store.list())[0]!.repoTags, [`${reg.host}/twice/busybox:a`, `${reg.host}/twice/busybox:b`]);
});

test('blob redirects to another host are followed without the registry credentials', async (t) => {
  const reg = await registry(t, 'htpasswd');
  if (!reg) return;
  const { createServer, request } = await import('node:http');
  const built = await buildBusyboxImage({ dir: await tempDir(t) });
  const creds = `${reg.username}:${reg.password}`;
  await exec(['skopeo', 'copy', '--dest-tls-verify=false', '--dest-creds', creds, built.ociRef, `docker://${reg.host}/redir/busybox:latest`]);
  const [regHost, regPort] = reg.host.split(':') as [string, string];
  const basic = `Basic ${Buffer.from(creds).toString('base64')}`;
  const seenAtStorage: Array<string | undefined> = [];
  // "object storage": serves blobs itself (it holds its own access to the registry), records what it was sent
  const storage = createServer((req, res) => {
    seenAtStorage.push(req.headers.authorization);
    const up = request({ host: regHost, port: Number(regPort), path: req.url, headers: { authorization: basic } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.end();
  });
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.2', resolve));
  const storagePort = (storage.address() as { port: number }).port;
  // the registry front: redirects blob GETs to the storage host, passes the rest through
  const front = createServer((req, res) => {
    if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) {
      res.writeHead(307, { location: `http://127.0.0.2:${storagePort}${req.url}` }).end();
      return;
    }
    const up = request({ host: regHost, port: Number(regPort), method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => front.close(() => storage.close(() => resolve()))));
  const frontHost = `127.0.0.1:${(front.address() as { port: number }).port}`;
  const store = await ImageStore.open({ root: await tempDir(t) });
  const pulled = await pullImage(store, `${frontHost}/redir/busybox`, { credentials: async () => ({ username: reg.username, password: reg.password }) });
  assert.equal(pulled.image.id, built.imageId);
  assert.equal(seenAtStorage.length, 2, 'config and layer came from the storage host');
  assert.deepEqual(seenAtStorage, [undefined, undefined], 'no Authorization sent to another host');
});

/** A docker-credential-NAME that keeps secrets in a JSON file beside it, speaking the helper protocol. */
async function fakeCredentialHelper(dir: string, name: string): Promise<{ env: NodeJS.ProcessEnv; store: string }> {
  const store = path.join(dir, `${name}-secrets.json`);
  const script = `#!/usr/bin/env node
const fs = require('fs');
const file = ${JSON.stringify(store)};
const db = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const input = fs.readFileSync(0, 'utf8').trim();
const action = process.argv[2];
fs.appendFileSync(file + '.log', action + ' ' + (action === 'store' ? JSON.parse(input).ServerURL : input) + '\\n');
if (action === 'store') { const c = JSON.parse(input); db[c.ServerURL] = c; fs.writeFileSync(file, JSON.stringify(db)); }
else if (action === 'get') { if (!db[input]) { process.stdout.write('credentials not found in native keychain'); process.exit(1); } process.stdout.write(JSON.stringify(db[input])); }
else if (action === 'erase') { if (!db[input]) { process.stdout.write('credentials not found in native keychain'); process.exit(1); } delete db[input]; fs.writeFileSync(file, JSON.stringify(db)); }
else process.exit(2);
`;
  const bin = path.join(dir, 'bin');
  await fsp.mkdir(bin, { recursive: true });
  await fsp.writeFile(path.join(bin, `docker-credential-${name}`), script, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  delete env.NODE_EXTRA_CA_CERTS; // the helper is a Node script here: keep its start cheap
  return { env, store };
}

test('credential helpers (credsStore, credHelpers) keep the secret out of the auth file; pulls use them', async (t) => {
  const reg = await registry(t, 'htpasswd');
  if (!reg) return;
  const dir = await tempDir(t);
  const { env, store } = await fakeCredentialHelper(dir, 'berthtest');
  const authfile = path.join(dir, 'config.json');
  await fsp.writeFile(authfile, JSON.stringify({ credsStore: 'berthtest', credHelpers: { 'other.example:5000': 'missing-helper' }, psFormat: 'keep me' }));
  await storeCredentials(reg.host, { username: reg.username, password: reg.password }, authfile, env);
  const file = JSON.parse(await fsp.readFile(authfile, 'utf8'));
  assert.deepEqual(file.auths, { [reg.host]: {} }, 'only a marker in the file');
  assert.equal(file.psFormat, 'keep me');
  assert.ok(!(await fsp.readFile(authfile, 'utf8')).includes(reg.password));
  assert.equal(JSON.parse(await fsp.readFile(store, 'utf8'))[reg.host].Secret, reg.password);
  assert.deepEqual(await readCredentials(reg.host, authfile, env), { username: reg.username, password: reg.password });

  // The registry accepts what the helper returned.
  const built = await buildBusyboxImage({ dir: path.join(dir, 'img') });
  const s = await ImageStore.open({ root: await tempDir(t) });
  await s.load(createReadStream(built.dockerArchive));
  const ref = `${reg.host}/helper/busybox:1`;
  await s.tag('localhost/busybox-tiny', ref);
  const credentials = async (r: string) => readCredentials(r, authfile, env);
  await pushImage(s, ref, { credentials });
  const other = await ImageStore.open({ root: await tempDir(t) });
  assert.equal((await pullImage(other, ref, { credentials })).image.id, built.imageId);

  // A per-registry helper wins over credsStore; a missing one is a clear error, not silence.
  await assert.rejects(readCredentials('other.example:5000', authfile, env), (e: unknown) =>
    isHostError(e) && e.code === 'REGISTRY_CREDENTIAL_HELPER_FAILED' && /docker-credential-missing-helper/.test(e.message));
  // Nothing stored for this registry: the helper says "not found" and there is no file entry.
  assert.equal(await readCredentials('nothing.example', authfile, env), undefined);
  assert.equal(await removeCredentials(reg.host, authfile, env), true);
  assert.deepEqual(JSON.parse(await fsp.readFile(store, 'utf8')), {});
  assert.deepEqual(JSON.parse(await fsp.readFile(authfile, 'utf8')).auths, {});
  const calls = (await fsp.readFile(`${store}.log`, 'utf8')).trim().split('\n');
  assert.equal(calls[0], `store ${reg.host}`);
  assert.ok(calls.includes('get nothing.example'));
  assert.equal(calls.at(-1), `erase ${reg.host}`);
});
