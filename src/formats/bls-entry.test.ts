import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blsGet, blsGetAll, blsSet, formatBlsEntry, parseBlsEntry, parseOstreeBootPath, formatOstreeBootPath, strverscmp } from './bls-entry.js';

// Written by the real `ostree admin deploy` (2022.7); see ostree-format.md §8.5.
const REAL_ENTRY = `title Debian GNU/Linux 12 (bookworm) (ostree:0)
version 2
options root=LABEL=rootfs rw quiet ostree=/ostree/boot.0/test/61e00262c739055913ea681edd843acfab6edd81ba66e1f3e0a3c06a58e0ccce/0
linux /ostree/test-61e00262c739055913ea681edd843acfab6edd81ba66e1f3e0a3c06a58e0ccce/vmlinuz-6.1.0-test
initrd /ostree/test-61e00262c739055913ea681edd843acfab6edd81ba66e1f3e0a3c06a58e0ccce/initramfs-6.1.0-test.img
`;

test('parseBlsEntry() then formatBlsEntry() reproduces an entry ostree wrote, byte for byte', () => {
  const e = parseBlsEntry(REAL_ENTRY);
  assert.equal(blsGet(e, 'version'), '2');
  assert.equal(blsGet(e, 'title'), 'Debian GNU/Linux 12 (bookworm) (ostree:0)');
  assert.equal(formatBlsEntry(e), REAL_ENTRY);
});

test('parseBlsEntry() skips comments and blank lines and keeps repeated keys', () => {
  const e = parseBlsEntry('# c\n\ninitrd /a\ninitrd /b\nlinux  /k  \n');
  assert.deepEqual(blsGetAll(e, 'initrd'), ['/a', '/b']);
  assert.equal(blsGet(e, 'linux'), '/k');
  assert.equal(blsGet(blsSet(e, 'linux', '/z'), 'linux'), '/z');
});

test('formatBlsEntry() refuses values with newlines', () => {
  assert.throws(() => formatBlsEntry({ fields: [['title', 'a\nb']] }), RangeError);
});

test('strverscmp() orders like glibc', () => {
  const sorted = ['000', '00', '01', '010', '09', '0', '1', '9', '10'];
  for (let i = 0; i + 1 < sorted.length; i++) assert.equal(strverscmp(sorted[i]!, sorted[i + 1]!), -1, `${sorted[i]} < ${sorted[i + 1]}`);
  assert.equal(strverscmp('2', '10'), -1);
  assert.equal(strverscmp('item#99', 'item#100'), -1);
  assert.equal(strverscmp('abc', 'abc'), 0);
  // Checked against glibc's strverscmp() through ctypes on this machine.
  assert.equal(strverscmp('a01b', 'a1b'), -1);
  assert.equal(strverscmp('a1b', 'a10'), -1);
  assert.equal(strverscmp('1.2.9', '1.2.10'), -1);
  assert.equal(strverscmp('', 'x'), -1);
});

test('parseOstreeBootPath() accepts what ostree accepts', () => {
  const p = parseOstreeBootPath('/ostree/boot.1/test/abc/0');
  assert.deepEqual(p, { bootversion: 1, stateroot: 'test', bootcsum: 'abc', bootserial: 0 });
  assert.equal(formatOstreeBootPath(p!), '/ostree/boot.1/test/abc/0');
  assert.equal(parseOstreeBootPath('/ostree/boot.2/test/abc/0'), undefined);
  assert.equal(parseOstreeBootPath('/ostree/boot.0/test/abc'), undefined);
});
