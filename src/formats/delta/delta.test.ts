import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  bsdiff,
  bspatch,
  checksumToModifiedBase64,
  decodeOps,
  decodePartPayload,
  decodeSuperblock,
  decodeVarint,
  deltaNameFromPath,
  deltaRelativePath,
  encodePartPayload,
  encodeSuperblock,
  encodeVarint,
  modifiedBase64ToChecksum,
  OpWriter,
  parseDeltaName,
} from './index.js';
import { encodeGVariant } from '../gvariant/index.js';

const VECTORS: ReadonlyArray<readonly [number, readonly number[]]> = [
  [0, [0x00]],
  [127, [0x7f]],
  [128, [0x80, 0x01]],
  [300, [0xac, 0x02]],
  [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
];

test('encodeVarint() and decodeVarint() match golden LEB128 vectors', () => {
  for (const [value, bytes] of VECTORS) {
    assert.deepEqual([...encodeVarint(value)], bytes);
    assert.deepEqual(decodeVarint(Uint8Array.from(bytes)), { value, size: bytes.length });
  }
  assert.throws(() => decodeVarint(Uint8Array.from([0x80, 0x80])), { code: 'DELTA_TRUNCATED' });
});

test('checksumToModifiedBase64() keeps + and maps / to _ as ostree paths do', () => {
  // the example path from ostree's own repository layout (see static delta paths)
  const b64 = 'R8pwFfa_Dc0z98FPUSwXeDGOUE1aUpiVjoUTnFzW8-5oBMTqzvICSglUx5LvNxjKRTEst+3R+I50Uz3P19t+w';
  const from = modifiedBase64ToChecksum(`do${b64.split('-')[0]}`);
  const to = modifiedBase64ToChecksum(b64.split('-')[1]!);
  assert.equal(deltaRelativePath(from, to, 'superblock'), `deltas/do/${b64}/superblock`);
  assert.deepEqual(deltaNameFromPath('do', b64), { from, to });
  assert.equal(checksumToModifiedBase64(to), b64.split('-')[1]);
  assert.deepEqual(parseDeltaName(`${from}-${to}`), { from, to });
  assert.deepEqual(parseDeltaName(to), { from: undefined, to });
  assert.throws(() => parseDeltaName('x-y'), { code: 'DELTA_BAD_NAME' });
});

test('bsdiff() output applies with bspatch() for edits, appends, inserts and unrelated data', () => {
  const old = Uint8Array.from(randomBytes(200_000));
  const cases: Uint8Array[] = [];
  const edited = Uint8Array.from(old);
  edited.set(randomBytes(4096), 90_000);
  cases.push(edited);
  cases.push(Uint8Array.from(Buffer.concat([old, Buffer.from('appended line\n')])));
  cases.push(Uint8Array.from(Buffer.concat([old.subarray(0, 5000), randomBytes(300), old.subarray(5000)])));
  cases.push(Uint8Array.from(randomBytes(1000)));
  cases.push(new Uint8Array(0));
  cases.push(Uint8Array.from(Buffer.concat([old.subarray(100_000), old.subarray(0, 100_000)])));
  for (const next of cases) {
    const patch = bsdiff(old, next);
    assert.deepEqual(bspatch(old, patch, next.length), next);
  }
  // a small edit gives a patch whose non-zero bytes are about the edit's size
  const patch = bsdiff(old, edited);
  const nonZero = patch.reduce((n, b) => n + (b === 0 ? 0 : 1), 0);
  assert.ok(nonZero < 6000, `patch has ${nonZero} non-zero bytes`);
});

test('bspatch() rejects a truncated or overrunning patch with typed errors', () => {
  const old = Uint8Array.from(randomBytes(1000));
  const patch = bsdiff(old, old);
  assert.throws(() => bspatch(old, patch.subarray(0, 10), 1000), { code: 'DELTA_TRUNCATED' });
  assert.throws(() => bspatch(old, patch, 10), { code: 'DELTA_MALFORMED' });
});

test('encodeSuperblock() round-trips through decodeSuperblock()', () => {
  const commit = encodeGVariant('(a{sv}aya(say)sstayay)', [[], new Uint8Array(0), [], 'subject', '', 1n << 56n, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)]);
  const sb = {
    metadata: [],
    timestamp: 1_700_000_000,
    from: 'aa'.repeat(32),
    to: 'bb'.repeat(32),
    commit,
    parts: [{ version: 0, checksum: 'cc'.repeat(32), compressedSize: 1234, uncompressedSize: 99999, objects: [{ objtype: 2, checksum: 'dd'.repeat(32) }, { objtype: 1, checksum: 'ee'.repeat(32) }] }],
    fallbacks: [{ objtype: 1, checksum: 'ff'.repeat(32), compressedSize: 5_000_000, uncompressedSize: 9_000_000 }],
  };
  const decoded = decodeSuperblock(encodeSuperblock(sb));
  assert.deepEqual({ ...decoded, metadata: [] }, sb);
  assert.equal(decoded.metadata.find(([k]) => k === 'ostree.endianness')?.[1].value, 0x6c);
});

test('OpWriter encodes ops that decodeOps() reads back with per-op argument order', () => {
  const w = new OpWriter();
  w.spliceMeta(10, 0);
  w.spliceContent(0, 0, 5, 10);
  w.open(1, 0, 300);
  w.setReadSource(15);
  w.write(100, 0);
  w.unsetReadSource();
  w.write(200, 47);
  w.close();
  w.bspatch(400, 77);
  const kinds = [true, false];
  const ops = [...decodeOps(w.toBytes(), () => kinds.shift() ?? false)];
  assert.deepEqual(ops, [
    { op: 'splice-meta', len: 10, off: 0 },
    { op: 'splice-content', modeIdx: 0, xattrIdx: 0, size: 5, off: 10 },
    { op: 'open', modeIdx: 1, xattrIdx: 0, size: 300 },
    { op: 'set-read-source', off: 15 },
    { op: 'write', len: 100, off: 0 },
    { op: 'unset-read-source' },
    { op: 'write', len: 200, off: 47 },
    { op: 'close' },
    { op: 'bspatch', off: 400, len: 77 },
  ]);
  const payload = { modes: [{ uid: 0, gid: 0, mode: 0o100644 }], xattrs: [[]], payload: Uint8Array.of(1, 2, 3), ops: w.toBytes() };
  const back = decodePartPayload(encodePartPayload(payload));
  assert.deepEqual(back.modes, payload.modes);
  assert.deepEqual([...back.ops], [...payload.ops]);
  // mode table is big-endian on disk
  const bytes = encodePartPayload(payload);
  assert.deepEqual([...bytes.subarray(8, 12)], [0x00, 0x00, 0x81, 0xa4]);
});
