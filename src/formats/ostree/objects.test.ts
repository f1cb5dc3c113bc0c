import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isHostError } from '../../core/index.js';
import { encodeGVariant } from '../gvariant/index.js';
import {
  checksumFromModifiedBase64, checksumToModifiedBase64, decodeArchiveHeader, decodeCommit, decodeDirMeta, decodeDirTree, decodeDirTreeGeneric,
  decodeFileStream, decodeOstreeMeta, decodeSummary, decodeVardict, encodeArchiveHeader, encodeCommit, encodeDirMeta,
  encodeDirTree, encodeOstreeMeta, encodeSummary, fileStreamPrefix, loosePath, S_IFDIR, S_IFLNK, S_IFREG,
} from './index.js';

const sha = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const code = (c: string) => (e: unknown) => isHostError(e) && e.code === c;

test('encodeDirTree() of an empty directory is the well-known 00 object', () => {
  const b = encodeDirTree({ files: [], dirs: [] });
  assert.deepEqual([...b], [0]);
  assert.equal(sha(b), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
});

test('encodeDirMeta() of root:root 0755 has ostree\'s well-known checksum', () => {
  const b = encodeDirMeta({ uid: 0, gid: 0, mode: S_IFDIR | 0o755, xattrs: [] });
  assert.equal(sha(b), '446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488');
  assert.deepEqual(decodeDirMeta(b), { uid: 0, gid: 0, mode: S_IFDIR | 0o755, xattrs: [] });
});

test('fileStreamPrefix() hashes "hello\\n" to the checksum ostree gives it', () => {
  const content = new TextEncoder().encode('hello\n');
  const prefix = fileStreamPrefix({ uid: 0, gid: 0, mode: S_IFREG | 0o644, symlinkTarget: '', xattrs: [] });
  assert.match(sha(prefix, content), /^44f778e5.*3a6b$/);
  const back = decodeFileStream(Uint8Array.from([...prefix, ...content]));
  assert.equal(back.contentOffset, prefix.length);
  assert.equal(back.header.mode, S_IFREG | 0o644);
});

test('file headers sort xattrs by name and round-trip through archive and ostreemeta forms', () => {
  const h = { uid: 1000, gid: 27, mode: S_IFREG | 0o4755, symlinkTarget: '', xattrs: [
    { name: 'user.b', value: Uint8Array.of(2) }, { name: 'security.x', value: Uint8Array.of(1) }, { name: 'user.a', value: Uint8Array.of(3) },
  ] };
  const a = decodeArchiveHeader(encodeArchiveHeader(h, 12345));
  assert.equal(a.size, 12345);
  assert.deepEqual(a.header.xattrs.map((x) => x.name), ['security.x', 'user.a', 'user.b']);
  assert.equal(a.header.uid, 1000);
  const m = decodeOstreeMeta(encodeOstreeMeta(h));
  assert.equal(m.mode, S_IFREG | 0o4755);
  assert.equal(m.gid, 27);
});

test('decodeDirTree() refuses ".", "..", "/" and bad checksum lengths', () => {
  const csum = new Uint8Array(32);
  for (const name of ['..', '.', 'a/b', '']) {
    const bad = encodeGVariant('(a(say)a(sayay))', [[[name, csum]], []]);
    assert.throws(() => decodeDirTree(bad), code('FORMAT_OSTREE_BAD_FILENAME'), name);
  }
  const short = encodeGVariant('(a(say)a(sayay))', [[['a', new Uint8Array(31)]], []]);
  assert.throws(() => decodeDirTree(short), code('FORMAT_OSTREE_BAD_CHECKSUM'));
  const dup = encodeGVariant('(a(say)a(sayay))', [[['a', csum]], [['a', csum, csum]]]);
  assert.throws(() => decodeDirTree(dup), code('FORMAT_OSTREE_BAD_OBJECT'));
  assert.throws(() => encodeDirTree({ files: [{ name: '..', checksum: '0'.repeat(64) }], dirs: [] }), code('FORMAT_OSTREE_BAD_FILENAME'));
});

test('decodeDirMeta() and decodeFileStream() refuse impossible modes', () => {
  const notDir = encodeGVariant('(uuua(ayay))', [0, 0, 0xa4810000, []]); // 0100644 BE
  assert.throws(() => decodeDirMeta(notDir), code('FORMAT_OSTREE_BAD_MODE'));
  const dev = encodeGVariant('(uuuusa(ayay))', [0, 0, 0xa4210000, 0, '', []]); // 020644 (char device)
  const stream = new Uint8Array(8 + dev.length);
  new DataView(stream.buffer).setUint32(0, dev.length);
  stream.set(dev, 8);
  assert.throws(() => decodeFileStream(stream), code('FORMAT_OSTREE_BAD_MODE'));
  assert.throws(() => decodeFileStream(stream.subarray(0, 5)), code('FORMAT_OSTREE_BAD_OBJECT'));
});

test('encodeCommit() round-trips and keeps metadata order', () => {
  const c = {
    metadata: [['version', { type: 's', value: '1.0' }], ['ostree.ref-binding', { type: 'as', value: ['a/b'] }]] as const,
    parent: 'ab'.repeat(32), related: [], subject: 'Subject', body: '', timestamp: 1700000000,
    rootTree: '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    rootMeta: '446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488',
  };
  const back = decodeCommit(encodeCommit(c));
  assert.deepEqual(back, c);
  const truncated = encodeCommit(c).subarray(0, 40);
  assert.throws(() => decodeCommit(truncated), (e: unknown) => isHostError(e) && e.kind === 'corrupt');
});

test('encodeSummary() sorts refs and stores the commit size little-endian', () => {
  const s = { refs: [
    { name: 'z', commitSize: 300, checksum: 'aa'.repeat(32), metadata: [] },
    { name: 'a', commitSize: 1, checksum: 'bb'.repeat(32), metadata: [['ostree.commit.timestamp', { type: 't', value: 5n }]] as const },
  ], metadata: [] };
  const b = encodeSummary(s);
  const back = decodeSummary(b);
  assert.deepEqual(back.refs.map((r) => r.name), ['a', 'z']);
  assert.equal(back.refs[1]!.commitSize, 300);
  assert.deepEqual(decodeVardict(new Uint8Array(0)), []);
});

test('modified base64 drops "=" and maps "/" to "_" but keeps "+"', () => {
  const hex = '0ff1a3b5c8a0b3f7e4ff3c4e2bd6f0ee1f9e0c3c7ec3e9a48e4f43e0d9e3f7fb';
  const m = checksumToModifiedBase64(hex);
  assert.equal(m.length, 43);
  assert.ok(!m.includes('/') && !m.includes('='));
  assert.equal(checksumFromModifiedBase64(m), hex);
  assert.throws(() => checksumFromModifiedBase64('abc'), code('FORMAT_OSTREE_BAD_BASE64'));
  assert.equal(loosePath(hex, 'file', true), `objects/0f/${hex.slice(2)}.filez`);
  assert.equal(S_IFLNK, 0o120000);
});

test('decodeDirTree() fast path accepts exactly what the generic decoder (with its normal-form check) accepts', () => {
  const hex = (i: number): string => createHash('sha256').update(String(i)).digest('hex');
  const trees = [
    { files: [], dirs: [] },
    { files: [{ name: 'a', checksum: hex(1) }], dirs: [] },
    { files: [], dirs: [{ name: 'd', treeChecksum: hex(2), metaChecksum: hex(3) }] },
    // > 255 and > 65535 bytes: 2- and 4-byte framing offsets
    { files: Array.from({ length: 12 }, (_, i) => ({ name: `file-${i}`, checksum: hex(i) })), dirs: [{ name: 'ü', treeChecksum: hex(7), metaChecksum: hex(8) }] },
    { files: Array.from({ length: 1700 }, (_, i) => ({ name: `f${String(i).padStart(5, '0')}`, checksum: hex(i) })), dirs: Array.from({ length: 30 }, (_, i) => ({ name: `d${i}`, treeChecksum: hex(i), metaChecksum: hex(i + 1) })) },
  ];
  let rng = 42;
  const rand = (n: number): number => {
    rng = (rng * 1103515245 + 12345) & 0x7fffffff;
    return rng % n;
  };
  const outcome = (f: () => unknown): string => {
    try {
      return JSON.stringify(f());
    } catch (err) {
      return `error ${(err as { code?: string }).code}`;
    }
  };
  let compared = 0;
  for (const tree of trees) {
    const good = encodeDirTree(tree);
    assert.deepEqual(decodeDirTree(good), decodeDirTreeGeneric(good));
    for (let k = 0; k < (good.length > 10_000 ? 40 : 400); k++) {
      const b = new Uint8Array(good);
      const kind = rand(4);
      let bytes: Uint8Array = b;
      if (kind === 0) b[rand(b.length)] = rand(256);
      else if (kind === 1) b[b.length - 1 - rand(Math.min(b.length, 8))] = rand(256); // framing offsets
      else if (kind === 2) bytes = b.subarray(0, rand(b.length));
      else bytes = Uint8Array.from([...b.subarray(0, Math.min(b.length, 4000)), ...Array.from({ length: 1 + rand(3) }, () => rand(256))]);
      const fast = outcome(() => decodeDirTree(bytes));
      const slow = outcome(() => decodeDirTreeGeneric(bytes));
      // identical results, and the same error code (the fast path defers every structural doubt to the generic one)
      assert.equal(fast, slow, `mutation ${k} (${kind}) of a ${good.length}-byte dirtree`);
      compared++;
    }
  }
  assert.ok(compared > 1000);
});
