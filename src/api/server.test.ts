import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, which } from '../core/index.js';
import { StreamFrameDecoder } from '../formats/index.js';
import { ApiServer, createApiRouter } from './index.js';
import { FakeEngine, fakeBackend } from './testing.js';

async function serve(t: TestContext): Promise<{ socket: string; engine: FakeEngine; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-api-'));
  const engine = new FakeEngine();
  const server = new ApiServer({ router: createApiRouter(fakeBackend(engine)) });
  const socket = join(dir, 'docker.sock');
  await server.listen(socket);
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { socket, engine, dir };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(socket: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, agent: false, headers: { Host: 'api.moby.localhost', Connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function docker(socket: string, dir: string, args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  const r = await exec(['docker', ...args], {
    check: false,
    timeoutMs: 30_000,
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker-config') },
    ...(input !== undefined ? { input } : {}),
  });
  return { code: r.exitCode, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

async function hasDocker(t: TestContext): Promise<boolean> {
  if ((await which('docker')) !== undefined) return true;
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Required tool missing: docker');
  t.skip('needs the docker CLI');
  return false;
}

test('the socket is root-only by default and can be granted to a group; a live socket is not taken over', async (t) => {
  const { socket } = await serve(t);
  assert.equal((await stat(socket)).mode & 0o777, 0o660);
  const second = new ApiServer({ router: createApiRouter(fakeBackend(new FakeEngine())) });
  await assert.rejects(second.listen(socket), /Another daemon is listening/);
  if (process.getuid?.() !== 0) return;
  const dir = await mkdtemp(join(tmpdir(), 'berth-api-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const grouped = new ApiServer({ router: createApiRouter(fakeBackend(new FakeEngine())) });
  await grouped.listen(join(dir, 'g.sock'), { gid: 4242 });
  t.after(() => grouped.close());
  assert.equal((await stat(join(dir, 'g.sock'))).gid, 4242);
});

test('HEAD and GET /_ping carry the headers the docker CLI negotiates with', async (t) => {
  const { socket } = await serve(t);
  const head = await call(socket, 'HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.headers['api-version'], '1.50');
  assert.equal(head.headers.ostype, 'linux');
  assert.equal(head.headers['docker-experimental'], 'false');
  assert.equal(head.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  assert.equal(head.body, '');
  const get = await call(socket, 'GET', '/_ping');
  assert.equal(get.body, 'OK');
});

test('versioned and unversioned paths reach the same route; out-of-range versions are 400', async (t) => {
  const { socket } = await serve(t);
  for (const p of ['/version', '/v1.50/version', '/v1.24/version', '/v1.41/version']) {
    const r = await call(socket, 'GET', p);
    assert.equal(r.status, 200, p);
    assert.equal((JSON.parse(r.body) as { ApiVersion: string }).ApiVersion, '1.50');
  }
  const old = await call(socket, 'GET', '/v1.23/version');
  assert.equal(old.status, 400);
  assert.match((JSON.parse(old.body) as { message: string }).message, /client version 1\.23 is too old/);
  const neu = await call(socket, 'GET', '/v1.51/version');
  assert.equal(neu.status, 400);
  assert.match((JSON.parse(neu.body) as { message: string }).message, /too new/);
});

test('errors are {"message"} with Content-Type exactly application/json and Docker statuses', async (t) => {
  const { socket } = await serve(t);
  const missing = await call(socket, 'GET', '/v1.50/nonsense');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(missing.body), { message: 'page not found' });
  const noSuch = await call(socket, 'GET', '/v1.50/containers/nope/json');
  assert.equal(noSuch.status, 404);
  assert.equal((JSON.parse(noSuch.body) as { message: string }).message, 'No such container: nope');
  assert.equal(noSuch.headers['x-berth-error-code'], 'API_TEST_NO_SUCH_CONTAINER');
});

test('bad create requests get 400 and create nothing', async (t) => {
  const { socket, engine } = await serve(t);
  const json = { 'Content-Type': 'application/json' };
  const cases: Array<[string, string, RegExp]> = [
    ['/containers/create', '{"Image": "x",', /Invalid JSON/],
    ['/containers/create', '{"Image":"x","Bogus":1}', /unknown field "Bogus"/],
    ['/containers/create', '{"Image":"x","HostConfig":{"Nope":true}}', /unknown field "Nope" in HostConfig/],
    ['/containers/create', '{"Image":"x","Cmd":5}', /cannot unmarshal number/],
    ['/containers/create', '{"Image":"x","HostConfig":{"Memory":1024}}', /Minimum memory limit allowed is 6MB/],
    ['/containers/create', '{"Image":"x","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}', /invalid restart policy/],
    ['/containers/create', '{"Image":"x","HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}', /AutoRemove/],
    ['/containers/create', '{"Image":"x","HostConfig":{"PortBindings":{"99999/tcp":[]}}}', /invalid port/],
    ['/containers/create', '{"Image":"x","WorkingDir":"relative"}', /absolute path/],
    ['/containers/create?name=bad%2Fname', '{"Image":"x"}', /Invalid container name/],
    ['/containers/create', '{}', /Config cannot be empty/],
    ['/containers/create', '[]', /cannot unmarshal array/],
  ];
  for (const [path, body, message] of cases) {
    const r = await call(socket, 'POST', `/v1.50${path}`, body, json);
    assert.equal(r.status, 400, `${path} ${body}: ${r.body}`);
    assert.match((JSON.parse(r.body) as { message: string }).message, message);
  }
  const huge = await call(socket, 'POST', '/v1.50/containers/create', Buffer.alloc(2 * 1024 * 1024, 0x20), json);
  assert.equal(huge.status, 400);
  assert.match((JSON.parse(huge.body) as { message: string }).message, /exceeds/);
  assert.equal(engine.creates, 0);
  assert.equal(engine.records.size, 0);
});

test('wait flushes its headers before the container exits', async (t) => {
  const { socket, engine } = await serve(t);
  const { id } = await engine.create({ image: 'x', cmd: ['hi'] });
  const headersSeen = await new Promise<number>((resolve, reject) => {
    const req = request({ socketPath: socket, method: 'POST', path: `/v1.50/containers/${id}/wait?condition=next-exit` }, (res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(headersSeen, 200); // arrived while the container is still "created"
  assert.equal(engine.records.get(id)?.status, 'created');
});

test('attach answers 101 UPGRADED and streams framed output; the client half-close is not a detach', async (t) => {
  const { socket, engine } = await serve(t);
  const { id } = await engine.create({ image: 'x', cmd: ['framed', 'output'] });
  const sock = connect(socket);
  await new Promise((r) => sock.once('connect', r));
  sock.write(`POST /v1.50/containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => sock.once('end', r));
  await new Promise((r) => setTimeout(r, 100));
  sock.end(); // half-close: no more stdin
  await engine.start(id);
  await ended;
  const all = Buffer.concat(chunks);
  const headEnd = all.indexOf('\r\n\r\n');
  const head = all.subarray(0, headEnd).toString();
  assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
  assert.match(head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/);
  assert.match(head, /Upgrade: tcp/);
  const frames = new StreamFrameDecoder().push(all.subarray(headEnd + 4));
  assert.deepEqual(frames.map((f) => [f.stream, Buffer.from(f.payload).toString()]), [[1, 'framed output\n']]);
});

test('the docker CLI drives version, info, ps, create and run --rm against the API layer', async (t) => {
  if (!(await hasDocker(t))) return;
  const { socket, dir, engine } = await serve(t);
  const v = await docker(socket, dir, ['version', '--format', '{{.Server.APIVersion}} {{.Server.Platform.Name}}']);
  assert.equal(v.code, 0, v.err);
  assert.equal(v.out.trim(), '1.50 berth');
  const info = await docker(socket, dir, ['info', '--format', '{{.OSType}} {{.Driver}} {{.ServerVersion}}']);
  assert.equal(info.code, 0, info.err);
  assert.equal(info.out.trim(), 'linux overlay2 0.0.0-test');
  const created = await docker(socket, dir, ['create', '--name', 'one', 'img', 'a', 'b']);
  assert.equal(created.code, 0, created.err);
  assert.match(created.out.trim(), /^[0-9a-f]{64}$/);
  const clash = await docker(socket, dir, ['create', '--name', 'one', 'img']);
  assert.notEqual(clash.code, 0);
  assert.match(clash.err, /already in use/);
  const ps = await docker(socket, dir, ['ps', '-a', '--format', '{{.Names}} {{.Image}} {{.Status}}']);
  assert.equal(ps.out.trim(), 'one img Created');
  const run = await docker(socket, dir, ['run', '--rm', 'img', 'hello', 'world']);
  assert.equal(run.code, 0, run.err);
  assert.equal(run.out, 'hello world\n');
  const failing = await docker(socket, dir, ['run', '--rm', '-e', 'EXIT=3', 'img', 'x']);
  assert.equal(failing.code, 3);
  assert.equal(engine.records.size, 1); // the --rm containers are gone
});
