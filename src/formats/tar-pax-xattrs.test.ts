import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePaxRecords, TarXattrScanner } from './tar-pax-xattrs.js';

function header(name: string, type: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write(size.toString(8).padStart(11, '0'), 124, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  return h;
}

function record(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function pad(b: Buffer): Buffer {
  return Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
}

test('parsePaxRecords() keeps values as raw bytes, including newlines, NUL and invalid UTF-8', () => {
  const value = Buffer.from([0, 0x0a, 0xff, 0x3d]);
  const m = parsePaxRecords(Buffer.concat([record('path', Buffer.from('a/b')), record('SCHILY.xattr.user.x', value)]));
  assert.equal(m.get('path')?.toString(), 'a/b');
  assert.deepEqual(m.get('SCHILY.xattr.user.x'), value);
  assert.equal(parsePaxRecords(Buffer.from('99 path=x\n')).size, 0, 'a record longer than the body ends the parse');
});

test('TarXattrScanner follows members across any chunking: PAX xattrs, PAX size, directories, GNU long names', () => {
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const pax1 = Buffer.concat([record('SCHILY.xattr.security.capability', cap), record('size', Buffer.from('5'))]);
  const long = Buffer.from(`${'d/'.repeat(60)}f\0`);
  const tar = Buffer.concat([
    header('dir/', '5', 0),
    header('PaxHeaders/ping', 'x', pax1.length), pad(pax1),
    header('dir/ping', '0', 0), pad(Buffer.from('12345')), // the PAX size (5) wins over the header's 0
    header('././@LongLink', 'L', long.length), pad(long),
    header('short', '0', 3), pad(Buffer.from('abc')),
    Buffer.alloc(1024),
  ]);
  for (const step of [1, 7, 512, 513, tar.length]) {
    const s = new TarXattrScanner();
    for (let i = 0; i < tar.length; i += step) s.push(tar.subarray(i, i + step));
    assert.deepEqual(s.take(), { name: 'dir/', xattrs: new Map() });
    assert.deepEqual(s.take(), { name: 'dir/ping', xattrs: new Map([['security.capability', cap]]) }, `chunks of ${step}`);
    assert.deepEqual(s.take(), { name: `${'d/'.repeat(60)}f`, xattrs: new Map() });
    assert.equal(s.take(), undefined);
  }
});
