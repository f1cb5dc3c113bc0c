import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { tempDir } from '../core/test-support.js';
import { serveRepo } from './serve.js';

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serveRepo() answers Range, ETag/If-None-Match and caching headers, and stays inside its root', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'objects', 'ab'), { recursive: true });
  const body = Buffer.from('0123456789abcdef');
  await writeFile(join(dir, 'objects', 'ab', 'cd.filez'), body);
  await writeFile(join(dir, 'summary'), 'S');
  await writeFile(join(dir, '..', 'outside-secret'), 'no').catch(() => undefined);
  const s = await serveRepo({ root: dir });
  t.after(() => s.close());
  assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  const full = await get(`${s.url}objects/ab/cd.filez`);
  assert.equal(full.status, 200);
  assert.deepEqual(full.body, body);
  assert.match(String(full.headers['cache-control']), /immutable/);
  assert.equal(full.headers['accept-ranges'], 'bytes');
  const etag = String(full.headers.etag);

  const part = await get(`${s.url}objects/ab/cd.filez`, { Range: 'bytes=10-' });
  assert.equal(part.status, 206);
  assert.equal(part.body.toString(), 'abcdef');
  assert.equal(part.headers['content-range'], 'bytes 10-15/16');
  assert.equal((await get(`${s.url}objects/ab/cd.filez`, { Range: 'bytes=-4' })).body.toString(), 'cdef');
  assert.equal((await get(`${s.url}objects/ab/cd.filez`, { Range: 'bytes=99-' })).status, 416);
  assert.equal((await get(`${s.url}objects/ab/cd.filez`, { 'If-None-Match': etag })).status, 304);
  const head = await get(`${s.url}objects/ab/cd.filez`, {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '16');
  assert.equal(head.body.length, 0);

  assert.equal((await get(`${s.url}summary`)).headers['cache-control'], 'no-cache');
  assert.equal((await get(`${s.url}nope`)).status, 404);
  assert.equal((await get(`${s.url}..%2Foutside-secret`)).status, 404);
  assert.equal((await get(`${s.url}objects/`)).status, 404);
  assert.equal((await get(`${s.url}summary`, {}, 'POST')).status, 405);
});
