// Test support: a real docker-registry (Debian's docker-registry 2.8) on 127.0.0.1, started per test
// with its own storage dir and config, stopped by pid. It uses child_process.spawn directly because
// it is a long-lived peer process that exec() (run to completion) cannot hold; only tests use it.
import { spawn } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { exec } from '../../core/index.js';
import { TEST_REGISTRY_PASSWORD, TEST_REGISTRY_USER } from './constants.js';

export type RegistryAuthMode = 'none' | 'htpasswd' | 'token';

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  readonly host: string;
  readonly pid: number;
  readonly username: string;
  readonly password: string;
  /** Access log lines so far ("GET /v2/… 206 …"). */
  log(): string;
  stop(): Promise<void>;
}

export { TEST_REGISTRY_USER, TEST_REGISTRY_PASSWORD };
// bcrypt (cost 4, so each request stays cheap) of TEST_REGISTRY_PASSWORD, made once with crypt(3).
const HTPASSWD = `${TEST_REGISTRY_USER}:$2b$04$cIeOibL67T36BLiQqYMcXuNY67/yNEnEds8qOKuSxnVr15MMTWwUy\n`;

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A token service as the distribution token spec describes: basic credentials in, RS256 JWT out. */
async function startTokenServer(dir: string): Promise<{ server: Server; realm: string; certPath: string }> {
  const keyPath = path.join(dir, 'token.key');
  const certPath = path.join(dir, 'token.crt');
  await exec(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=berth-test-token'], {
    pkg: 'openssl',
  });
  const key = await fsp.readFile(keyPath, 'utf8');
  const pem = await fsp.readFile(certPath, 'utf8');
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
    const anonymous = decoded === '';
    if (!anonymous && decoded !== `${TEST_REGISTRY_USER}:${TEST_REGISTRY_PASSWORD}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => {
      const [type, name, actions] = s.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      return [{ type, name, actions: anonymous ? [] : actions.split(',') }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = {
      iss: 'berth-test-issuer', sub: anonymous ? '' : TEST_REGISTRY_USER, aud: url.searchParams.get('service') ?? '',
      exp: now + 600, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access,
    };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signing).sign(key);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${signing}.${b64url(signature)}`, expires_in: 600 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, realm: `http://127.0.0.1:${port}/token`, certPath };
}

/** Starts docker-registry on a kernel-chosen loopback port; resolves once /v2/ answers. */
export async function startTestRegistry(dir: string, options: { auth?: RegistryAuthMode } = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  await fsp.mkdir(path.join(dir, 'data'), { recursive: true });
  let tokenServer: Server | undefined;
  let authYaml = '';
  if (auth === 'htpasswd') {
    await fsp.writeFile(path.join(dir, 'htpasswd'), HTPASSWD);
    authYaml = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    const t = await startTokenServer(dir);
    tokenServer = t.server;
    authYaml = `auth:\n  token:\n    realm: ${t.realm}\n    service: berth-test-registry\n    issuer: berth-test-issuer\n    rootcertbundle: ${t.certPath}\n`;
  }
  const config = `version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:0
  headers:
    X-Content-Type-Options: [nosniff]
${authYaml}`;
  const configPath = path.join(dir, 'config.yml');
  await fsp.writeFile(configPath, config);
  const child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (tokenServer) await new Promise<void>((resolve) => tokenServer!.close(() => resolve()));
  };
  const deadline = Date.now() + 15_000;
  let host: string | undefined;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const m = /listening on (127\.0\.0\.1:\d+)/.exec(output);
    if (m) {
      host = m[1]!;
      try {
        const res = await fetch(`http://${host}/v2/`);
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) break;
      } catch {
        /* not yet */
      }
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (host === undefined || child.exitCode !== null) {
    await stop();
    throw new Error(`docker-registry did not start: ${output.slice(-2000)}`);
  }
  return {
    host,
    pid: child.pid!,
    username: TEST_REGISTRY_USER,
    password: TEST_REGISTRY_PASSWORD,
    log: () => output,
    stop,
  };
}
