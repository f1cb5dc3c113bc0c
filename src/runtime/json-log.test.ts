import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonLogLine, encodeJsonLogLine, formatNanoTime, LineSplitter, MAX_LOG_LINE, parseTimeSeconds } from './json-log.js';
import { resolveUserFrom } from './user.js';
import { parseSubnet, formatIp, gatewayOf, macForIp } from './network.js';

test('encodeJsonLogLine() writes docker json-file lines byte for byte', () => {
  const line = encodeJsonLogLine({ stream: 'stdout', time: '2026-11-27T07:30:00.123456789Z', log: Buffer.from('hi "x"\n') });
  assert.equal(line, '{"log":"hi \\"x\\"\\n","stream":"stdout","time":"2026-11-27T07:30:00.123456789Z"}\n');
  assert.deepEqual(decodeJsonLogLine(line)!.log.toString(), 'hi "x"\n');
  assert.equal(decodeJsonLogLine('{"log":"torn'), undefined);
});

test('formatNanoTime()/parseTimeSeconds() keep nanoseconds', () => {
  assert.equal(formatNanoTime(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
  assert.equal(parseTimeSeconds('2023-11-14T22:13:20.5Z'), 1_700_000_000.5);
});

test('LineSplitter cuts at newlines and at 16 KiB, flushing a partial tail', () => {
  const s = new LineSplitter('stdout');
  assert.deepEqual(s.push(Buffer.from('a\nb')).map(String), ['a\n']);
  assert.deepEqual(s.push(Buffer.from('c\nd')).map(String), ['bc\n']);
  assert.deepEqual(s.flush().map(String), ['d']);
  assert.equal(s.push(Buffer.alloc(MAX_LOG_LINE + 5, 0x61))[0]!.length, MAX_LOG_LINE);
});

test('resolveUserFrom() resolves -u against the container passwd/group like docker', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n';
  const group = 'root:x:0:\nnobody:x:65534:\napp:x:1000:\nwheel:x:10:app\n';
  assert.deepEqual(resolveUserFrom('nobody', passwd, group), { uid: 65534, gid: 65534, additionalGids: [65534], home: '/' });
  assert.deepEqual(resolveUserFrom('app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000, 10], home: '/home/app' });
  assert.deepEqual(resolveUserFrom('4242:4343', passwd, group), { uid: 4242, gid: 4343, additionalGids: [], home: '/' });
  assert.throws(() => resolveUserFrom('ghost', passwd, group), /Unable to find user ghost/);
});

test('parseSubnet() and friends: gateway .1, docker-style MAC', () => {
  const s = parseSubnet('10.89.3.7/24');
  assert.equal(formatIp(s.network), '10.89.3.0');
  assert.equal(gatewayOf(s), '10.89.3.1');
  assert.equal(macForIp('10.89.3.2'), '02:42:0a:59:03:02');
  assert.throws(() => parseSubnet('10.0.0.0/33'));
});
