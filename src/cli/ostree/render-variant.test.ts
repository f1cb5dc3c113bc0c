import { test } from 'node:test';
import assert from 'node:assert/strict';
import { variant } from '../../formats/index.js';
import { formatDouble, printVariant, quoteString } from './render-variant.js';
import { formatSize } from './render-size.js';
import { gHashTableOrder, gStrHash } from '../../ostree/index.js';

// Golden strings taken from the real ostree 2022.7 / GLib 2.74 output (show --raw, ls -X, summary -v).

test('printVariant() annotates like g_variant_print: first array element only, empty containers typed', () => {
  assert.equal(printVariant('a(ayay)', [], { annotate: true }), '@a(ayay) []');
  assert.equal(printVariant('a{sv}', [], { annotate: true }), '@a{sv} {}');
  assert.equal(printVariant('a(ayay)', [[Uint8Array.from([...Buffer.from('user.foo'), 0]), Uint8Array.from(Buffer.from('bar'))]], { annotate: true }),
    "[(b'user.foo', [byte 0x62, 0x61, 0x72])]");
  assert.equal(printVariant('(uuua(ayay))', [0, 0, 0xed410000, []], { annotate: true, byteswap: true }), '(uint32 0, uint32 0, uint32 16877, @a(ayay) [])');
  assert.equal(printVariant('a{sv}', [['version', variant('s', '1.0')], ['num', variant('i', 42)], ['b', variant('as', ['main'])]], { annotate: true, byteswap: true }),
    "{'version': <'1.0'>, 'num': <704643072>, 'b': <['main']>}");
  assert.equal(printVariant('t', 1767225600n, { annotate: true }), 'uint64 1767225600');
  assert.equal(printVariant('(s)', ['x'], { annotate: true }), "('x',)");
  assert.equal(printVariant('mi', null, { annotate: true }), '@mi nothing');
  assert.equal(printVariant('ay', Uint8Array.from([0x27, 0]), { annotate: true }), 'b"\'"');
});

test('quoteString() picks quotes and escapes as GLib does', () => {
  assert.equal(quoteString('the body\nsecond line'), "'the body\\nsecond line'");
  assert.equal(quoteString("it's"), '"it\'s"');
  assert.equal(quoteString('tab\there\u0001'), "'tab\\there\\u0001'");
  assert.equal(quoteString('n\u00e9'), "'n\u00e9'");
});

test('formatDouble() is printf %.17g, and doubles print with a decimal point', () => {
  assert.equal(formatDouble(3.5), '3.5');
  assert.equal(formatDouble(0.1), '0.10000000000000001');
  assert.equal(formatDouble(1e21), '1e+21');
  assert.equal(printVariant('d', 5, { annotate: false }), '5.0');
});

test('formatSize() is g_format_size: bytes below 1 kB, else one decimal and a no-break space', () => {
  assert.equal(formatSize(1), '1 byte');
  assert.equal(formatSize(19), '19 bytes');
  assert.equal(formatSize(71100), '71.1\u00a0kB');
  assert.equal(formatSize(760_419_761), '760.4\u00a0MB');
});

test('gHashTableOrder() reproduces the GVariantDict orders ostree writes into summaries', () => {
  const base = ['ostree.summary.last-modified', 'ostree.summary.mode', 'ostree.summary.tombstone-commits', 'ostree.summary.indexed-deltas'];
  assert.deepEqual(gHashTableOrder(base), ['ostree.summary.mode', 'ostree.summary.last-modified', 'ostree.summary.tombstone-commits', 'ostree.summary.indexed-deltas']);
  assert.deepEqual(gHashTableOrder(['foo', 'n', ...base]),
    ['ostree.summary.mode', 'n', 'ostree.summary.last-modified', 'ostree.summary.tombstone-commits', 'ostree.summary.indexed-deltas', 'foo']);
  // 11 keys: the table grows from 8 to 16 buckets with GLib's in-place rehash
  assert.deepEqual(gHashTableOrder(['version', 'a', 'b', 'c', 'd', 'e', 'f', ...base]),
    ['b', 'ostree.summary.tombstone-commits', 'a', 'ostree.summary.indexed-deltas', 'ostree.summary.last-modified', 'version', 'e', 'f', 'd', 'c', 'ostree.summary.mode']);
  assert.equal(gStrHash(''), 5381);
});
