import { parseType, type GVariantType, type GVariantValue, type Variant } from '../../formats/gvariant/index.js';

/**
 * GLib's g_variant_print() text form, which ostree prints in `show --raw`, `--print-metadata-key`,
 * `ls -X` and `summary -v`. With `annotate`, values whose type the text would not imply get a
 * prefix (`uint64 5`, `@as []`, `byte 0x01`), and only the first element of an array or
 * dictionary is annotated, as GLib does. `byteswap` mirrors ostree's habit of printing
 * g_variant_byteswap()ed data on little-endian hosts: every 16/32/64-bit number is byte-swapped.
 */
export interface PrintOptions {
  readonly annotate: boolean;
  readonly byteswap?: boolean;
}

export function printVariant(type: string | GVariantType, value: GVariantValue, options: PrintOptions): string {
  const t = typeof type === 'string' ? parseType(type) : type;
  return print(t, value, options.annotate, options.byteswap ?? false);
}

const NONPRINTABLE_REGEXP = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}]/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\x07': 'a', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v' };

/** GLib's string literal: single quotes unless the text holds one, escapes for the rest. */
export function quoteString(s: string): string {
  const quote = s.includes("'") ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += '\\';
    if (!NONPRINTABLE_REGEXP.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0)!;
      const short = SHORT_ESCAPES[ch];
      if (short !== undefined) out += `\\${short}`;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
      else out += `\\U${cp.toString(16).padStart(8, '0')}`;
    }
  }
  return out + quote;
}

/** g_strescape: C escapes, and octal for bytes outside printable ASCII. */
function strescape(bytes: Uint8Array): string {
  const named: Record<number, string> = { 8: 'b', 12: 'f', 10: 'n', 13: 'r', 9: 't', 11: 'v', 92: '\\', 34: '"' };
  let out = '';
  for (const b of bytes) {
    const n = named[b];
    if (n !== undefined) out += `\\${n}`;
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

function swap(n: number | bigint, size: number, signed: boolean): number | bigint {
  const buf = Buffer.alloc(8);
  if (size === 8) {
    buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
    const v = buf.readBigUInt64BE();
    return signed ? BigInt.asIntN(64, v) : v;
  }
  if (size === 4) {
    buf.writeUInt32LE(Number(n) >>> 0);
    return signed ? buf.readInt32BE() : buf.readUInt32BE();
  }
  buf.writeUInt16LE(Number(n) & 0xffff);
  return signed ? buf.readInt16BE() : buf.readUInt16BE();
}

/** printf("%.17g") as g_ascii_dtostr does it. */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mant, expText] = d.toExponential(16).split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 17) {
    return `${mant.replace(/\.?0+$/, '')}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = d.toFixed(Math.max(0, 16 - exp));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function print(t: GVariantType, v: GVariantValue, annotate: boolean, bswap: boolean): string {
  switch (t.kind) {
    case 'basic':
      return printBasic(t.char, v, annotate, bswap);
    case 'variant': {
      const inner = v as Variant;
      return `<${print(parseType(inner.type), inner.value, true, bswap)}>`;
    }
    case 'maybe': {
      const prefix = annotate ? `@${t.text} ` : '';
      if (v === null) return `${prefix}nothing`;
      const inner = (v as { just: GVariantValue }).just;
      return `${prefix}${t.element.kind === 'maybe' ? 'just ' : ''}${print(t.element, inner, false, bswap)}`;
    }
    case 'array': {
      if (t.element.kind === 'basic' && t.element.char === 'y') {
        const bytes = v as Uint8Array;
        const nul = bytes.indexOf(0);
        if (bytes.length > 0 && nul === bytes.length - 1) {
          const body = bytes.subarray(0, nul);
          return body.includes(0x27) ? `b"${strescape(body)}"` : `b'${strescape(body)}'`;
        }
        const items = [...bytes];
        if (items.length === 0) return `${annotate ? `@${t.text} ` : ''}[]`;
        return `[${items.map((b, i) => `${annotate && i === 0 ? 'byte ' : ''}0x${b.toString(16).padStart(2, '0')}`).join(', ')}]`;
      }
      const items = v as readonly GVariantValue[];
      const isDict = t.element.kind === 'dict-entry';
      if (items.length === 0) return `${annotate ? `@${t.text} ` : ''}${isDict ? '{}' : '[]'}`;
      if (t.element.kind === 'dict-entry') {
        const [kt, vt] = t.element.members;
        return `{${items.map((e, i) => {
          const [k, val] = e as readonly [GVariantValue, GVariantValue];
          const a = annotate && i === 0;
          return `${print(kt, k, a, bswap)}: ${print(vt, val, a, bswap)}`;
        }).join(', ')}}`;
      }
      const el = t.element;
      return `[${items.map((e, i) => print(el, e, annotate && i === 0, bswap)).join(', ')}]`;
    }
    case 'tuple': {
      const items = v as readonly GVariantValue[];
      const parts = t.members.map((m, i) => print(m, items[i]!, annotate, bswap));
      return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
    }
    case 'dict-entry': {
      const [k, val] = v as readonly [GVariantValue, GVariantValue];
      return `{${print(t.members[0], k, annotate, bswap)}, ${print(t.members[1], val, annotate, bswap)}}`;
    }
  }
}

function printBasic(c: string, v: GVariantValue, annotate: boolean, bswap: boolean): string {
  const pre = (name: string): string => (annotate ? `${name} ` : '');
  switch (c) {
    case 'b':
      return v ? 'true' : 'false';
    case 'y':
      return `${pre('byte')}0x${(v as number).toString(16).padStart(2, '0')}`;
    case 'n':
      return `${pre('int16')}${bswap ? swap(v as number, 2, true) : v}`;
    case 'q':
      return `${pre('uint16')}${bswap ? swap(v as number, 2, false) : v}`;
    case 'i':
      return `${bswap ? swap(v as number, 4, true) : v}`;
    case 'u':
      return `${pre('uint32')}${bswap ? swap(v as number, 4, false) : v}`;
    case 'h':
      return `${pre('handle')}${bswap ? swap(v as number, 4, true) : v}`;
    case 'x':
      return `${pre('int64')}${bswap ? swap(v as bigint, 8, true) : v}`;
    case 't':
      return `${pre('uint64')}${bswap ? swap(v as bigint, 8, false) : v}`;
    case 'd': {
      let d = v as number;
      if (bswap) {
        const buf = Buffer.alloc(8);
        buf.writeDoubleLE(d);
        d = buf.readDoubleBE();
      }
      const s = formatDouble(d);
      return /[.eEnN]/.test(s) ? s : `${s}.0`;
    }
    case 's':
      return quoteString(v as string);
    case 'o':
      return `${pre('objectpath')}${quoteString(v as string)}`;
    case 'g':
      return `${pre('signature')}${quoteString(v as string)}`;
    default:
      throw new RangeError(`Unknown basic type ${c}`);
  }
}
