import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeEnv, parseBind, parseCpus, parseEnvFile, parseMountFlag, parsePublish, parseRestart, parseSize, parseUlimit } from './options.js';
import { normalizeSignal, statusText } from './engine.js';
import { humanDuration } from './render.js';

test('parsePublish() follows docker -p syntax; the default host address is the engine\'s', () => {
  assert.deepEqual(parsePublish('8080:80', '127.0.0.1'), [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }]);
  assert.deepEqual(parsePublish('127.0.0.2::53/udp', '127.0.0.1'), [{ containerPort: 53, protocol: 'udp', hostIp: '127.0.0.2', hostPort: 0 }]);
  assert.deepEqual(parsePublish('80', '127.0.0.1'), [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 }]);
  assert.throws(() => parsePublish('80/sctp', '127.0.0.1'), (e: Error & { code?: string }) => e.code === 'ENGINE_INVALID_OPTION');
});

test('parseBind()/parseMountFlag() tell binds, named and anonymous volumes, tmpfs apart', () => {
  assert.deepEqual(parseBind('/srv:/data:ro'), { type: 'bind', source: '/srv', target: '/data', readOnly: true });
  assert.deepEqual(parseBind('cache:/c'), { type: 'volume', source: 'cache', target: '/c', readOnly: false });
  assert.deepEqual(parseBind('/anon'), { type: 'volume', source: '', target: '/anon', readOnly: false });
  assert.deepEqual(parseMountFlag('type=tmpfs,target=/t,tmpfs-size=1m'), { type: 'tmpfs', source: '', target: '/t', readOnly: false, options: ['size=1m'] });
  assert.deepEqual(parseMountFlag('type=bind,src=/a,dst=/b,readonly'), { type: 'bind', source: '/a', target: '/b', readOnly: true });
});

test('parseRestart(), parseSize(), parseCpus(), parseUlimit(), env merging', () => {
  assert.deepEqual(parseRestart('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  assert.deepEqual(parseRestart('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
  assert.throws(() => parseRestart('always:2'));
  assert.equal(parseSize('64m'), 64 * 1024 * 1024);
  assert.equal(parseSize('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseCpus('0.5'), 5e8);
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { name: 'nofile', soft: 1024, hard: 2048 });
  assert.deepEqual(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=3']), ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(parseEnvFile('# c\nX=1\nHOME\n\n', { HOME: '/root' }), ['X=1', 'HOME=/root']);
});

test('statusText() and humanDuration() use docker\'s wording', () => {
  const base = { running: false, restarting: false, oomKilled: false, dead: false, pid: 0, error: '', startedAt: '2026-01-01T00:00:00Z' };
  assert.equal(statusText({ ...base, status: 'exited', exitCode: 3, finishedAt: '2026-01-01T00:00:00Z' }, 0, Date.parse('2026-01-01T00:05:00Z')), 'Exited (3) 5 minutes ago');
  assert.equal(statusText({ ...base, status: 'running', running: true, exitCode: 0, finishedAt: '0001-01-01T00:00:00Z' }, 0, Date.parse('2026-01-01T01:00:00Z')), 'Up About an hour');
  assert.equal(statusText({ ...base, status: 'created', exitCode: 0, finishedAt: '0001-01-01T00:00:00Z' }, 0), 'Created');
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(3 * 24 * 3600_000), '3 days');
  assert.equal(normalizeSignal('term'), 'SIGTERM');
  assert.equal(normalizeSignal('9'), '9');
});
