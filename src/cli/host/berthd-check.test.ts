import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { tempDir } from '../../core/test-support.js';
import { berthdCheck } from './berthd-check.js';

test('berthdCheck() passes when the socket answers /_ping and fails, bounded, when nothing listens', async (t) => {
  const dir = await tempDir(t);
  const socket = path.join(dir, 'docker.sock');
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/_ping' ? 200 : 404;
    res.end('OK');
  });
  await new Promise<void>((r) => server.listen(socket, r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  assert.deepEqual(await berthdCheck(socket, { attempts: 1 }).run(), { ok: true, detail: 'HTTP 200 OK' });
  const missing = await berthdCheck(path.join(dir, 'none.sock'), { attempts: 3, intervalMs: 10 }).run();
  assert.equal(missing.ok, false);
  assert.match(missing.detail ?? '', /berthd did not answer on .*none\.sock after 3 tries: .*ENOENT/);
});
