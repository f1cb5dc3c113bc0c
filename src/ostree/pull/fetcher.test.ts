import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../../core/test-support.js';
import { Fetcher } from './fetcher.js';

async function server(t: import('node:test').TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  t.after(
    () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

const BODY = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));

test('download() resumes an interrupted transfer with a Range request instead of starting over', async (t) => {
  const ranges: Array<string | undefined> = [];
  const url = await server(t, (req, res) => {
    ranges.push(req.headers.range);
    if (req.headers.range === undefined) {
      res.writeHead(200, { 'Content-Length': BODY.length });
      res.write(BODY.subarray(0, 40_000), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    const from = Number(/bytes=(\d+)-/.exec(req.headers.range)![1]);
    res.writeHead(206, { 'Content-Range': `bytes ${from}-${BODY.length - 1}/${BODY.length}`, 'Content-Length': BODY.length - from });
    res.end(BODY.subarray(from));
  });
  const dir = await tempDir(t);
  const f = new Fetcher(url, { backoffMs: 1 });
  t.after(() => f.close());
  await f.download('deltas/x/0', join(dir, 'part'));
  assert.deepEqual(await readFile(join(dir, 'part')), BODY);
  assert.equal(ranges[0], undefined);
  assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
  assert.ok(Number(/bytes=(\d+)-/.exec(ranges[1]!)![1]) > 0, 'resumed past zero');
  // a leftover .part from an earlier run is continued too
  await writeFile(join(dir, 'again.part'), BODY.subarray(0, 70_000));
  ranges.length = 0;
  await f.download('deltas/x/0', join(dir, 'again'));
  assert.deepEqual(await readFile(join(dir, 'again')), BODY);
  assert.deepEqual(ranges, ['bytes=70000-']);
});

test('get() retries 503s with backoff, gives up on 404 at once, and cuts a stalled transfer', async (t) => {
  let hits = 0;
  const url = await server(t, (req, res) => {
    if (req.url === '/flaky') {
      hits++;
      if (hits < 3) res.writeHead(503).end();
      else res.end('ok');
    } else if (req.url === '/stall') {
      res.writeHead(200, { 'Content-Length': 10 });
      res.write('x');
    } else res.writeHead(404).end();
  });
  const sleeps: number[] = [];
  const f = new Fetcher(url, { backoffMs: 10, sleep: async (ms) => void sleeps.push(ms), lowSpeedTimeoutMs: 200, attempts: 3 });
  t.after(() => f.close());
  assert.equal(new TextDecoder().decode(await f.get('flaky')), 'ok');
  assert.deepEqual(sleeps, [10, 20]);
  assert.equal(await f.get('missing', { optional: true }), undefined);
  await assert.rejects(f.get('missing'), { code: 'PULL_FETCH_FAILED' });
  const t0 = Date.now();
  await assert.rejects(f.get('stall'), { code: 'PULL_LOW_SPEED' });
  assert.ok(Date.now() - t0 < 5000);
});

test('get() pipelines requests over few connections: chunked, Connection: close, oversized and EOF-delimited responses', async (t) => {
  const sockets = new Set<unknown>();
  let served = 0;
  const url = await server(t, (req, res) => {
    sockets.add(req.socket);
    served++;
    const n = Number(/\/(\d+)$/.exec(req.url ?? '')?.[1] ?? '0');
    if (req.url?.startsWith('/chunked/')) {
      res.write(`c${n}-`); // no Content-Length: chunked
      setImmediate(() => res.end('x'.repeat(n)));
    } else if (req.url?.startsWith('/close/')) {
      res.writeHead(200, { 'Content-Length': String(n).length, Connection: 'close' });
      res.end(String(n));
    } else if (req.url === '/big') res.end(Buffer.alloc(5000));
    else if (req.url === '/eof') {
      // HTTP/1.0-style: no length, the end of the connection ends the body
      res.socket!.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-eof');
      res.socket!.end();
    } else res.end(`body-${n}`);
  });
  const f = new Fetcher(url, { maxConnections: 2, pipelineDepth: 4, backoffMs: 1, attempts: 2 });
  t.after(() => f.close());
  const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);
  const plain = await Promise.all(Array.from({ length: 40 }, (_, i) => f.get(`objects/${i}`)));
  assert.deepEqual(plain.map(dec), Array.from({ length: 40 }, (_, i) => `body-${i}`));
  assert.ok(sockets.size <= 2, `40 requests over ${sockets.size} connections`);
  const chunked = await Promise.all(Array.from({ length: 10 }, (_, i) => f.get(`chunked/${i * 1000}`)));
  assert.deepEqual(chunked.map(dec), Array.from({ length: 10 }, (_, i) => `c${i * 1000}-${'x'.repeat(i * 1000)}`));
  // every response closes its connection: the requests pipelined behind it move to new connections
  const closing = await Promise.all(Array.from({ length: 12 }, (_, i) => f.get(`close/${i}`)));
  assert.deepEqual(closing.map(dec), Array.from({ length: 12 }, (_, i) => String(i)));
  // a body over maxBytes fails that request only
  const [big, ok] = await Promise.allSettled([f.get('big', { maxBytes: 100 }), f.get('objects/7')]);
  assert.equal(big.status, 'rejected');
  assert.equal(ok.status === 'fulfilled' ? dec(ok.value) : ok.reason, 'body-7');
  assert.equal(dec(await f.get('eof')), 'until-eof');
  assert.equal(f.stats.requests >= 40 + 10 + 12 + 2 + 1, true);
  assert.ok(served >= 65);
});

test('get() against a server without keep-alive (one HTTP/1.0 response per connection) still gets every file', async (t) => {
  let connections = 0;
  const s = createNetServer((sock) => {
    connections++;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^GET \/(\S+) HTTP\/1\.1\r\n/.exec(buf);
      if (m === null || !buf.includes('\r\n\r\n')) return;
      const body = `file ${m[1]}`;
      sock.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`); // answers the first request only
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  const f = new Fetcher(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, { maxConnections: 2, pipelineDepth: 4, attempts: 1 });
  t.after(() => f.close());
  const got = await Promise.all(Array.from({ length: 30 }, (_, i) => f.get(`o${i}`)));
  assert.deepEqual(got.map((b) => new TextDecoder().decode(b)), Array.from({ length: 30 }, (_, i) => `file o${i}`));
  assert.ok(connections >= 30);
});

test('get() across a keep-alive limit (the server closes every 5th response) loses nothing and keeps pipelining', async (t) => {
  const s = createServer((req, res) => res.end(`r${req.url}`));
  s.maxRequestsPerSocket = 5;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }));
  let connections = 0;
  s.on('connection', () => connections++);
  const f = new Fetcher(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, { maxConnections: 2, pipelineDepth: 4, attempts: 1 });
  t.after(() => f.close());
  const got = await Promise.all(Array.from({ length: 100 }, (_, i) => f.get(`k${i}`)));
  assert.deepEqual(got.map((b) => new TextDecoder().decode(b)), Array.from({ length: 100 }, (_, i) => `r/k${i}`));
  assert.ok(connections >= 20 && connections < 100, `${connections} connections for 100 requests, 5 per connection`);
});
