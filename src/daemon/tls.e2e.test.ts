// berthd over TCP: only with TLS and client certificates, driven by `docker --tlsverify`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, which } from '../core/index.js';
import { startDaemon } from './testing.js';

async function makeCerts(dir: string): Promise<void> {
  const ossl = (args: string[]): Promise<unknown> => exec(['openssl', ...args], { cwd: dir, pkg: 'openssl' });
  await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth-test-ca']);
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await ossl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  await ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=client']);
  await ossl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'client.ext']);
  // A client certificate from a CA the daemon does not trust
  await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue-key.pem', '-out', 'rogue-cert.pem', '-days', '2', '-subj', '/CN=rogue']);
}

test('the TCP API needs a client certificate from the configured CA', async (t) => {
  if (process.getuid?.() !== 0 || (await which('docker')) === undefined || (await which('openssl')) === undefined) {
    if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Required: root, docker and openssl');
    return t.skip('needs root, docker and openssl');
  }
  const d = await startDaemon(t, {
    load: false,
    daemonToml: async (dir) => {
      await makeCerts(dir);
      return `tcp = "127.0.0.1:0"\ntls_cert = "${join(dir, 'server.pem')}"\ntls_key = "${join(dir, 'server.key')}"\ntls_ca = "${join(dir, 'ca.pem')}"\n`;
    },
  });
  const m = /"address":"127\.0\.0\.1:(\d+)"/.exec(d.log());
  assert.ok(m !== null, d.log());
  const host = `tcp://127.0.0.1:${m[1]}`;
  const tls = (cert: string, key: string): string[] => ['--tlsverify', '--tlscacert', join(d.dir, 'ca.pem'), '--tlscert', join(d.dir, cert), '--tlskey', join(d.dir, key), '-H', host];
  const v = await d.ok([...tls('cert.pem', 'key.pem'), 'version', '--format', '{{.Server.Platform.Name}}']);
  assert.equal(v.trim(), 'berth');
  const rogue = await d.docker([...tls('rogue-cert.pem', 'rogue-key.pem'), 'version']);
  assert.notEqual(rogue.code, 0);
  const none = await d.docker(['--tlsverify', '--tlscacert', join(d.dir, 'ca.pem'), '-H', host, 'version']);
  assert.notEqual(none.code, 0);
  assert.doesNotMatch(none.out, /berth/);
});
