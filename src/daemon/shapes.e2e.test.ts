// Golden shapes: berthd's JSON against the Docker Engine API v1.50 schema, and dockerode as a client library.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import Docker from 'dockerode';
import { checkShape } from '../api/index.js';
import { daemonPerSuite, type TestDaemon } from './testing.js';

const hooks: Array<() => Promise<void>> = [];
let d: TestDaemon;
let enabled = false;

function get(socket: string, path: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) as unknown }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('berthd response shapes and dockerode', () => {
  daemonPerSuite(hooks, (daemon) => {
    d = daemon;
    enabled = true;
  });

  it('list, inspect, system and volume responses conform to the v1.50 schema', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const id = (await d.ok(['run', '-d', '--name', 'shape', '-p', '127.0.0.1::80', '-v', 'shapevol:/data', '-l', 'k=v', d.imageRef, 'httpd', '-f', '-p', '80'])).trim();
    const execId = (JSON.parse((await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path: `/v1.50/containers/${id}/exec`, method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ Cmd: ['true'], AttachStdout: true }));
    }))) as { Id: string }).Id;
    const cases: Array<[string, string, 'one' | 'each']> = [
      ['/v1.50/containers/json?all=1', 'ContainerSummary', 'each'],
      [`/v1.50/containers/${id}/json`, 'ContainerInspectResponse', 'one'],
      ['/v1.50/images/json', 'ImageSummary', 'each'],
      [`/v1.50/images/${encodeURIComponent(d.imageRef)}/json`, 'ImageInspect', 'one'],
      ['/v1.50/version', 'SystemVersion', 'one'],
      ['/v1.50/info', 'SystemInfo', 'one'],
      ['/v1.50/volumes', 'VolumeListResponse', 'one'],
      ['/v1.50/volumes/shapevol', 'Volume', 'one'],
      ['/v1.50/networks', 'Network', 'each'],
      ['/v1.50/networks/bridge', 'Network', 'one'],
      [`/v1.50/containers/${id}/top`, 'ContainerTopResponse', 'one'],
      [`/v1.50/exec/${execId}/json`, 'ExecInspectResponse', 'one'],
      ['/v1.50/system/df', 'SystemDataUsageResponse', 'one'],
    ];
    for (const [path, def, mode] of cases) {
      const r = await get(d.socket, path);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
      const values = mode === 'each' ? (r.json as unknown[]) : [r.json];
      assert.ok(values.length > 0, `${path} returned nothing`);
      for (const v of values) assert.deepEqual(checkShape(v, def), [], `${path} against ${def}`);
    }
    // The fields the docker CLI reads, present with the right values
    const inspect = (await get(d.socket, `/v1.50/containers/${id}/json`)).json as Record<string, any>;
    assert.equal(inspect.Name, '/shape');
    assert.equal(inspect.Config.Labels.k, 'v');
    assert.equal(inspect.State.Status, 'running');
    assert.match(inspect.NetworkSettings.Ports['80/tcp'][0].HostPort, /^\d+$/);
    assert.equal(inspect.Mounts[0].Name, 'shapevol');
    const img = (await get(d.socket, '/v1.50/images/json')).json as Array<Record<string, any>>;
    assert.equal(img[0]!.Id, d.image.imageId);
    assert.deepEqual(img[0]!.RootFS, undefined);
    const imgInspect = (await get(d.socket, `/v1.50/images/${encodeURIComponent(d.imageRef)}/json`)).json as Record<string, any>;
    assert.deepEqual(imgInspect.RootFS.Layers, d.image.diffIds);
    await d.ok(['rm', '-f', '-v', 'shape']);
    await d.ok(['volume', 'rm', 'shapevol']);
  });

  it('dockerode lists, creates, starts, waits for, reads logs of and removes a container', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const docker = new Docker({ socketPath: d.socket });
    const version = await docker.version();
    assert.equal(version.ApiVersion, '1.50');
    const images = await docker.listImages();
    assert.deepEqual(images[0]!.RepoTags, [d.imageRef]);
    const c = await docker.createContainer({ Image: d.imageRef, Cmd: ['sh', '-c', 'echo from-dockerode; exit 3'], name: 'dode' });
    const waiting = c.wait();
    await c.start();
    assert.equal((await waiting).StatusCode, 3);
    const logs = await c.logs({ stdout: true, stderr: true });
    const text = Buffer.isBuffer(logs) ? logs : Buffer.from(logs as unknown as string);
    // multiplexed: 8-byte header then the line
    assert.equal(text[0], 1);
    assert.equal(text.subarray(8).toString(), 'from-dockerode\n');
    const listed = await docker.listContainers({ all: true, filters: { name: ['dode'] } });
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.State, 'exited');
    await c.remove();
    await assert.rejects(c.inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
    // attach through dockerode's hijack
    const a = await docker.createContainer({ Image: d.imageRef, Cmd: ['sh', '-c', 'read x; echo got-$x'], OpenStdin: true, StdinOnce: true, name: 'dode2' });
    const stream = await a.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    const ended = new Promise((r) => stream.on('end', r));
    await a.start();
    stream.write('hello\n');
    await Promise.race([ended, new Promise((r) => setTimeout(r, 20_000))]);
    assert.match(Buffer.concat(chunks).toString(), /got-hello/);
    await a.remove({ force: true });
  });
});
