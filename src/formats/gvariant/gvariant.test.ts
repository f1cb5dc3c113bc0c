import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { exec, isHostError } from '../../core/index.js';
import { decodeGVariant, encodeGVariant, parseType, variant, type GVariantValue } from './index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

// Checked-in vectors, made with GLib 2.74 (`GLib.Variant(t, v).get_data_as_bytes()`).
const GOLDEN: ReadonlyArray<readonly [string, GVariantValue, string]> = [
  ['(su)', ['a', 1], '610000000100000002'],
  ['s', '', '00'],
  ['()', [], '00'],
  ['as', ['a', 'bc'], '610062630002 05'],
  ['a{sv}', [['k', variant('u', 7)]], '6b00000000000000070000000075020f'],
  ['(a(say)a(sayay))', [[], []], '00'],
  ['(uuua(ayay))', [0, 0, 0xed410000, []], '0000000000000000000041ed'],
  ['mu', { just: 5 }, '05000000'],
  ['ms', { just: 'x' }, '780000'],
  ['ms', null, ''],
  ['(yqut)', [1, 2, 3, 4n], '0100020003000000 0400000000000000'],
  ['v', variant('ay', Uint8Array.of(1, 2)), '0102006179'],
  ['ab', [true, false], '0100'],
];

test('encodeGVariant() matches checked-in GLib vectors', () => {
  for (const [type, value, expected] of GOLDEN) {
    assert.equal(hex(encodeGVariant(type, value)), expected.replace(/\s+/g, ''), type);
  }
});

test('decodeGVariant() round-trips the checked-in vectors', () => {
  for (const [type, value, expected] of GOLDEN) {
    assert.deepEqual(decodeGVariant(type, bytes(expected)), value, type);
  }
});

test('parseType() refuses incomplete or extra types', () => {
  for (const bad of ['', 'a', '(s', '{ss', '{vs}', '(s))', 'ss', 'z', '{sss}']) {
    assert.throws(() => parseType(bad), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_BAD_TYPE', bad);
  }
  assert.equal(parseType('(uuua(ayay))').fixedSize, undefined);
  assert.equal(parseType('(yqut)').fixedSize, 16);
  assert.equal(parseType('(ty)').fixedSize, 16);
  assert.equal(parseType('()').fixedSize, 1);
});

test('decodeGVariant() refuses truncated input with a typed error', () => {
  const good = encodeGVariant('(sst)', ['hello', 'world', 5n]);
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(
      () => decodeGVariant('(sst)', good.subarray(0, cut)),
      (e: unknown) => isHostError(e) && e.code.startsWith('FORMAT_GVARIANT_') && e.kind === 'corrupt',
      `cut at ${cut}`,
    );
  }
  assert.throws(() => decodeGVariant('u', bytes('010203')), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_TRUNCATED');
});

test('decodeGVariant() refuses bad framing offsets', () => {
  const good = encodeGVariant('as', ['a', 'bc']); // 61 00 62 63 00 02 05
  const bad = Uint8Array.from(good);
  bad[bad.length - 1] = 0x40; // last element end beyond the container
  assert.throws(() => decodeGVariant('as', bad), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_BAD_OFFSET');
  const backwards = Uint8Array.from(good);
  backwards[backwards.length - 2] = 0x04; // element 0 ends after element 1 ... then element 1 starts after its end
  assert.throws(() => decodeGVariant('as', backwards), (e: unknown) => isHostError(e) && e.kind === 'corrupt');
});

test('decodeGVariant() refuses non-normal forms', () => {
  // non-zero padding between the string and the u
  assert.throws(() => decodeGVariant('(su)', bytes('61000100 01000000 02')), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_NOT_NORMAL');
  // boolean 2
  assert.throws(() => decodeGVariant('b', bytes('02')), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_BAD_DATA');
  // string without NUL, with inner NUL, bad UTF-8
  for (const b of ['61', '610000', 'ff00']) {
    assert.throws(() => decodeGVariant('s', bytes(b)), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_BAD_DATA', b);
  }
  // variant with a bad type string
  assert.throws(() => decodeGVariant('v', bytes('0100287a')), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_BAD_DATA');
  // the same array with 2-byte offsets where 1 byte suffices
  assert.throws(() => decodeGVariant('as', bytes('6100626300 0200 0500')), (e: unknown) => isHostError(e) && e.kind === 'corrupt');
  // accepted when normal form is not required
  assert.deepEqual(decodeGVariant('(su)', bytes('61000100 01000000 02'), { requireNormal: false }), ['a', 1]);
});

test('encodeGVariant() refuses values that do not fit the type', () => {
  const cases: ReadonlyArray<readonly [string, GVariantValue]> = [
    ['y', 256], ['u', -1], ['t', 1], ['s', 'a\0b'], ['(su)', ['a']], ['ay', [1, 2]], ['o', 'no/slash'], ['b', 1],
  ];
  for (const [t, v] of cases) {
    assert.throws(() => encodeGVariant(t, v), (e: unknown) => isHostError(e) && e.code === 'FORMAT_GVARIANT_BAD_VALUE', t);
  }
});

// ---- GLib as an independent oracle -------------------------------------------------------------

const PYTHON = '/usr/bin/python3';

function pyLiteral(type: string, value: GVariantValue): string {
  const t = parseType(type);
  const lit = (tt: typeof t, v: GVariantValue): string => {
    switch (tt.kind) {
      case 'basic':
        if (typeof v === 'boolean') return v ? 'True' : 'False';
        if (typeof v === 'string') return JSON.stringify(v);
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'number') return Number.isInteger(v) && tt.char !== 'd' ? String(v) : `float(${JSON.stringify(v)})`;
        throw new Error('bad');
      case 'variant': {
        const vv = v as { type: string; value: GVariantValue };
        return `GLib.Variant(${JSON.stringify(vv.type)}, ${pyLiteral(vv.type, vv.value)})`;
      }
      case 'maybe':
        return v === null ? 'None' : lit(tt.element, (v as { just: GVariantValue }).just);
      case 'array':
        if (v instanceof Uint8Array) return `bytes.fromhex(${JSON.stringify(hex(v))})`;
        if (tt.element.kind === 'dict-entry') {
          const el = tt.element;
          return `{${(v as GVariantValue[][]).map(([k, x]) => `${lit(el.members[0], k!)}: ${lit(el.members[1], x!)}`).join(', ')}}`;
        }
        return `[${(v as GVariantValue[]).map((x) => lit(tt.element, x)).join(', ')}]`;
      case 'tuple':
      case 'dict-entry':
        return tt.members.length === 0 ? '()' : `(${(v as GVariantValue[]).map((x, i) => lit(tt.members[i]!, x)).join(', ')},)`;
    }
  };
  return lit(t, value);
}

async function python(script: string): Promise<string[]> {
  const r = await exec([PYTHON, '-'], { input: script, pkg: 'python3-gi' });
  return r.stdout.toString('utf8').trim().split('\n').map((l) => l.trim());
}

function glibSerialise(cases: ReadonlyArray<readonly [string, GVariantValue]>): Promise<string[]> {
  return python([
    'from gi.repository import GLib',
    ...cases.map(([t, v]) => `print(GLib.Variant(${JSON.stringify(t)}, ${pyLiteral(t, v)}).get_data_as_bytes().get_data().hex())`),
  ].join('\n'));
}

/** GLib's g_variant_is_normal_form() for each (type, bytes). */
function glibNormal(cases: ReadonlyArray<readonly [string, Uint8Array]>): Promise<string[]> {
  return python([
    'from gi.repository import GLib',
    ...cases.map(([t, d]) => `print(GLib.Variant.new_from_bytes(GLib.VariantType(${JSON.stringify(t)}), GLib.Bytes.new(bytes.fromhex(${JSON.stringify(hex(d))})), False).is_normal_form())`),
  ].join('\n'));
}

async function glibAvailable(t: { skip(msg: string): void }): Promise<boolean> {
  if (existsSync(PYTHON)) {
    const r = await exec([PYTHON, '-c', 'from gi.repository import GLib'], { check: false });
    if (r.exitCode === 0) return true;
  }
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Required tool missing: /usr/bin/python3 with python3-gi');
  t.skip('needs /usr/bin/python3 with python3-gi (GLib oracle)');
  return false;
}

/** A deterministic generator so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomValue(type: string, r: () => number, depth = 0): GVariantValue {
  const t = parseType(type);
  const gen = (tt: typeof t, d: number): GVariantValue => {
    const n = (max: number): number => Math.floor(r() * max);
    switch (tt.kind) {
      case 'basic':
        switch (tt.char) {
          case 'y': return n(256);
          case 'b': return r() < 0.5;
          case 'n': return n(65536) - 32768;
          case 'q': return n(65536);
          case 'i': case 'h': return n(2 ** 32) - 2 ** 31;
          case 'u': return n(2 ** 32);
          case 'x': return BigInt(n(2 ** 32)) * BigInt(n(2 ** 31)) - 2n ** 61n;
          case 't': return BigInt(n(2 ** 32)) * BigInt(n(2 ** 32));
          case 'd': return n(1e6) / 64;
          case 'o': return ['/', '/a', '/org/x_1'][n(3)]!;
          case 'g': return ['', 's', 'a{sv}', '(ii)'][n(4)]!;
          default: return ['', 'a', 'héllo', 'x'.repeat(n(300)), '\u{1f600}'][n(5)]!;
        }
      case 'variant': {
        const inner = ['s', 'u', 'ay', '(st)', 'as', 'a{sv}'][d > 2 ? n(3) : n(6)]!;
        return variant(inner, randomValue(inner, r, d + 1));
      }
      case 'maybe':
        return r() < 0.3 ? null : { just: gen(tt.element, d + 1) };
      case 'array': {
        const len = n(d > 2 ? 3 : 6) + (r() < 0.1 ? 200 : 0);
        if (tt.element.kind === 'basic' && tt.element.char === 'y') return Uint8Array.from({ length: len * 3 }, () => n(256));
        if (tt.element.kind === 'dict-entry') {
          const el = tt.element;
          const seen = new Set<string>();
          const out: GVariantValue[] = [];
          for (let i = 0; i < len; i++) {
            const k = gen(el.members[0], d + 1);
            const key = String(k);
            if (seen.has(key)) continue;
            seen.add(key);
            out.push([k, gen(el.members[1], d + 1)]);
          }
          return out;
        }
        return Array.from({ length: len }, () => gen(tt.element, d + 1));
      }
      case 'tuple':
      case 'dict-entry':
        return tt.members.map((m) => gen(m, d + 1));
    }
  };
  return gen(t, depth);
}

const ORACLE_TYPES = [
  'y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'h', 'd', 's', 'o', 'g', 'v',
  'ay', 'as', 'au', 'at', 'ab', 'aay', 'a{sv}', 'a{us}', 'a{ss}', 'mu', 'ms', 'mas', 'm(us)', 'may',
  '(uuuusa(ayay))', '(tuuuusa(ayay))', '(uuua(ayay))', '(a(say)a(sayay))', '(a{sv}aya(say)sstayay)',
  '(a(s(taya{sv}))a{sv})', '(yaytt)', 'a(uayttay)', '(a(uuu)aa(ayay)ayay)', '(ybnqiuxtd)', '(sy)', '(ys)',
  '(ssasmu)', 'aa{sv}', '(ty)', 'a(yy)', '(vv)', '(ayv)', 'a(sv)', '()', 'a()', '(())', 'ma(yy)',
];

test('encodeGVariant() agrees byte for byte with GLib on random values of many types', async (t) => {
  if (!(await glibAvailable(t))) return;
  const r = rng(20221);
  const cases: Array<readonly [string, GVariantValue]> = [];
  for (const type of ORACLE_TYPES) for (let i = 0; i < 6; i++) cases.push([type, randomValue(type, r)]);
  const expected = await glibSerialise(cases);
  assert.equal(expected.length, cases.length);
  cases.forEach(([type, value], i) => {
    const ours = encodeGVariant(type, value);
    assert.equal(hex(ours), expected[i], `${type} #${i}`);
    assert.deepEqual(decodeGVariant(type, ours), value, `${type} #${i} decode`);
  });
});

test('decodeGVariant() accepts only what GLib calls normal form', async (t) => {
  if (!(await glibAvailable(t))) return;
  const r = rng(7);
  const accepted: Array<readonly [string, Uint8Array]> = [];
  let checked = 0;
  for (const type of ['(sst)', 'as', 'a{sv}', '(uuua(ayay))', '(ay(su))']) {
    const good = encodeGVariant(type, randomValue(type, r));
    for (let k = 0; k < 6 && good.length > 0; k++) {
      const mutated = Uint8Array.from(good);
      const at = Math.floor(r() * mutated.length);
      mutated[at] = (mutated[at]! + 1 + Math.floor(r() * 255)) & 0xff;
      let ours: boolean;
      try {
        decodeGVariant(type, mutated);
        ours = true;
      } catch (err) {
        assert.ok(isHostError(err) && err.code.startsWith('FORMAT_GVARIANT_'), String(err));
        ours = false;
      }
      // GLib accepts invalid UTF-8 as "normal"; we are stricter there, never looser.
      if (ours) accepted.push([type, mutated]);
      checked += 1;
    }
  }
  assert.ok(checked > 20);
  const verdicts = accepted.length > 0 ? await glibNormal(accepted) : [];
  verdicts.forEach((v, i) => assert.equal(v, 'True', `${accepted[i]![0]} ${hex(accepted[i]![1])}`));
});
