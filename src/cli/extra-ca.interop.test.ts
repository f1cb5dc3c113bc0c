// bin/berth hands NODE_EXTRA_CA_CERTS to berth as BERTH_EXTRA_CA_CERTS (Node would parse it at every start);
// berth's TLS clients must still trust a server whose CA is only in that file: the ostree pull fetcher
// (node:https) and the registry client (fetch).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from '../core/index.js';
import { needTools, tempDir } from '../core/test-support.js';

const BIN = fileURLToPath(new URL('../../bin/berth', import.meta.url));

/** A CA, and a server certificate for 127.0.0.1 it signed; the CA alone in `bundle.pem`. */
async function privateCa(dir: string): Promise<{ bundle: string; key: Buffer; cert: Buffer }> {
  const f = (name: string): string => join(dir, name);
  await exec(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=berth test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
    '-keyout', f('ca.key'), '-out', f('bundle.pem')]);
  await exec(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', f('server.key'), '-out', f('server.csr')]);
  await writeFile(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  await exec(['openssl', 'x509', '-req', '-in', f('server.csr'), '-CA', f('bundle.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '1', '-extfile', f('ext.cnf'), '-out', f('server.pem')]);
  return { bundle: f('bundle.pem'), key: await readFile(f('server.key')), cert: await readFile(f('server.pem')) };
}

async function httpsServer(t: TestContext, tls: { key: Buffer; cert: Buffer }, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer({ key: tls.key, cert: tls.cert }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** The environment without any extra CA bundle, plus `extra`. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _n, BERTH_EXTRA_CA_CERTS: _b, ...rest } = process.env;
  return { ...rest, ...extra };
}

test('bin/berth does not make Node load NODE_EXTRA_CA_CERTS at start', async () => {
  // Node warns at start when the bundle cannot be read; berth reads it only when it speaks TLS.
  const r = await exec([BIN, '--version'], { env: envWith({ NODE_EXTRA_CA_CERTS: '/nonexistent/bundle.pem' }), check: false });
  assert.equal(r.exitCode, 0, r.stderr.toString());
  assert.doesNotMatch(r.stderr.toString(), /extra certs/);
  const direct = await exec([process.execPath, '-e', '0'], { env: envWith({ NODE_EXTRA_CA_CERTS: '/nonexistent/bundle.pem' }), check: false });
  assert.match(direct.stderr.toString(), /Ignoring extra certs/, 'the check above cannot fail unless Node warns when it loads the bundle');
});

test('berth ostree pull over https trusts a CA that is only in NODE_EXTRA_CA_CERTS', async (t) => {
  if (!(await needTools(t, 'ostree', 'openssl'))) return;
  const dir = await tempDir(t);
  const ca = await privateCa(dir);
  const repo = join(dir, 'server');
  await mkdir(join(dir, 'tree/etc'), { recursive: true });
  await writeFile(join(dir, 'tree/etc/os-release'), 'ID=test\n');
  await exec(['ostree', 'init', `--repo=${repo}`, '--mode=archive']);
  await exec(['ostree', 'commit', `--repo=${repo}`, '-b', 'test/os', '-s', 'tls', `--tree=dir=${join(dir, 'tree')}`]);
  const want = (await exec(['ostree', 'rev-parse', `--repo=${repo}`, 'test/os'])).stdout.toString().trim();
  const url = await httpsServer(t, ca, (req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname)).replace(/^(\.\.(\/|$))+/, '');
    readFile(join(repo, rel)).then((body) => res.writeHead(200, { 'Content-Length': body.length }).end(body), () => res.writeHead(404).end());
  });
  const pull = async (name: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string; client: string }> => {
    const client = join(dir, name);
    await exec(['ostree', 'init', `--repo=${client}`, '--mode=bare-user']);
    await exec(['ostree', 'remote', 'add', `--repo=${client}`, '--no-gpg-verify', 'origin', url]);
    const r = await exec([BIN, 'ostree', 'pull', `--repo=${client}`, '--progress=none', 'origin', 'test/os'], { env, check: false, timeoutMs: 60_000 });
    return { code: r.exitCode ?? -1, stderr: r.stderr.toString(), client };
  };
  const ok = await pull('trusting', envWith({ NODE_EXTRA_CA_CERTS: ca.bundle }));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await exec(['ostree', 'rev-parse', `--repo=${ok.client}`, 'origin:test/os'])).stdout.toString().trim(), want);
  await exec(['ostree', 'fsck', '--quiet', `--repo=${ok.client}`]);
  // the same command without the bundle is refused: the CA is what made it work
  const refused = await pull('strict', envWith({}));
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /certificate/i);
});

test('the registry client (fetch) trusts a CA that is only in NODE_EXTRA_CA_CERTS', async (t) => {
  if (!(await needTools(t, 'openssl'))) return;
  const dir = await tempDir(t);
  const ca = await privateCa(dir);
  const seen: string[] = [];
  const url = await httpsServer(t, ca, (req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/v2/') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  const pull = (env: Record<string, string>): Promise<{ exitCode: number | null; stderr: Buffer }> =>
    exec([BIN, 'pull', 'registry.test/tls/busybox:v1'], {
      env: envWith({ ...env, BERTH_ROOT: join(dir, 'root'), BERTH_REGISTRY_ENDPOINTS: `registry.test=${url.replace(/\/$/, '')}`, HOME: dir }),
      check: false,
      timeoutMs: 60_000,
    });
  const trusting = await pull({ NODE_EXTRA_CA_CERTS: ca.bundle });
  assert.notEqual(trusting.exitCode, 0); // the fake registry has no such image…
  assert.doesNotMatch(trusting.stderr.toString(), /Cannot reach|certificate/i, trusting.stderr.toString());
  assert.ok(seen.some((p) => p.startsWith('/v2/tls/busybox/manifests/')), `…but TLS worked and the manifest was asked for: ${JSON.stringify(seen)}`);
  seen.length = 0;
  const strict = await pull({});
  assert.match(strict.stderr.toString(), /Cannot reach registry/);
  assert.equal(seen.length, 0);
});
