import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeStreamFrame,
  encodeStreamHeader,
  StreamFrameDecoder,
  StreamFrameInvalid,
  STREAM_STDERR,
  STREAM_STDOUT,
} from './docker-stream.js';

const enc = new TextEncoder();

// Golden bytes: what dockerd writes for "hi\n" on stdout and "err" on stderr (header layout from the
// Engine API's attach documentation; also what docker CLI 28.2 decodes in tests of this project).
const VECTORS: ReadonlyArray<readonly [0 | 1 | 2 | 3, string, readonly number[]]> = [
  [1, 'hi\n', [1, 0, 0, 0, 0, 0, 0, 3, 0x68, 0x69, 0x0a]],
  [2, 'err', [2, 0, 0, 0, 0, 0, 0, 3, 0x65, 0x72, 0x72]],
  [0, '', [0, 0, 0, 0, 0, 0, 0, 0]],
];

test('encodeStreamFrame() matches golden vectors', () => {
  for (const [stream, text, bytes] of VECTORS) assert.deepEqual([...encodeStreamFrame(stream, enc.encode(text))], bytes);
});

test('encodeStreamHeader() writes the size big-endian', () => {
  assert.deepEqual([...encodeStreamHeader(STREAM_STDOUT, 0x01020304)], [1, 0, 0, 0, 1, 2, 3, 4]);
  assert.throws(() => encodeStreamHeader(STREAM_STDOUT, -1), RangeError);
});

test('StreamFrameDecoder decodes frames split at every byte boundary', () => {
  const whole = new Uint8Array([
    ...encodeStreamFrame(STREAM_STDOUT, enc.encode('hello ')),
    ...encodeStreamFrame(STREAM_STDERR, enc.encode('world')),
    ...encodeStreamFrame(STREAM_STDOUT, new Uint8Array(0)),
  ]);
  for (let cut = 0; cut <= whole.length; cut++) {
    const d = new StreamFrameDecoder();
    const frames = [...d.push(whole.subarray(0, cut)), ...d.push(whole.subarray(cut))];
    assert.deepEqual(
      frames.map((f) => [f.stream, new TextDecoder().decode(f.payload)]),
      [[1, 'hello '], [2, 'world'], [1, '']],
    );
    assert.equal(d.pendingBytes, 0);
  }
});

test('StreamFrameDecoder keeps an incomplete frame pending', () => {
  const d = new StreamFrameDecoder();
  assert.deepEqual(d.push(encodeStreamFrame(STREAM_STDOUT, enc.encode('abc')).subarray(0, 9)), []);
  assert.equal(d.pendingBytes, 9);
});

test('StreamFrameDecoder rejects a corrupt header with a typed error', () => {
  const d = new StreamFrameDecoder();
  d.push(encodeStreamFrame(STREAM_STDOUT, enc.encode('ok')));
  assert.throws(
    () => d.push(new Uint8Array([7, 0, 0, 0, 0, 0, 0, 1, 0x41])),
    (err: unknown) => StreamFrameInvalid.is(err) && err.details.offset === 10,
  );
});
