import { GVariantBadValue } from './errors.js';
import { alignUp, parseType, type GVariantType } from './type.js';
import { isVariant, type GVariantValue } from './value.js';

const UTF8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Serialises `value` as `type` in normal form, little-endian (GLib on x86/aarch64). */
export function encodeGVariant(type: string | GVariantType, value: GVariantValue): Uint8Array {
  const t = typeof type === 'string' ? parseType(type) : type;
  return encodeValue(t, value, '$');
}

function bad(type: GVariantType, path: string, what: string): never {
  throw new GVariantBadValue(`Value at ${path} does not fit GVariant type ${JSON.stringify(type.text)}: ${what}`, {
    type: type.text,
    path,
  });
}

/** Smallest framing-offset width for a container of `body` bytes and `count` offsets. */
export function offsetWidth(body: number, count: number): number {
  if (count === 0) return 0;
  if (body + count <= 0xff) return 1;
  if (body + 2 * count <= 0xffff) return 2;
  if (body + 4 * count <= 0xffffffff) return 4;
  return 8;
}

function writeOffset(out: Uint8Array, pos: number, value: number, width: number): void {
  let v = value;
  for (let i = 0; i < width; i++) {
    out[pos + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

function encodeInt(type: GVariantType, value: GVariantValue, path: string, size: number, signed: boolean): Uint8Array {
  if (typeof value !== 'number' || !Number.isInteger(value)) bad(type, path, 'expected an integer');
  const bits = size * 8;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (value < min || value > max) bad(type, path, `${value} out of range`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 1) view.setUint8(0, value & 0xff);
  else if (size === 2) signed ? view.setInt16(0, value, true) : view.setUint16(0, value, true);
  else signed ? view.setInt32(0, value, true) : view.setUint32(0, value, true);
  return out;
}

function encodeBig(type: GVariantType, value: GVariantValue, path: string, signed: boolean): Uint8Array {
  if (typeof value !== 'bigint') bad(type, path, 'expected a bigint');
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  if (signed) {
    if (value < -(2n ** 63n) || value >= 2n ** 63n) bad(type, path, `${value} out of range`);
    view.setBigInt64(0, value, true);
  } else {
    if (value < 0n || value >= 2n ** 64n) bad(type, path, `${value} out of range`);
    view.setBigUint64(0, value, true);
  }
  return out;
}

function encodeString(type: GVariantType, value: GVariantValue, path: string, char: string): Uint8Array {
  if (typeof value !== 'string') bad(type, path, 'expected a string');
  if (value.includes('\0')) bad(type, path, 'strings may not contain NUL');
  if (char === 'o' && !isObjectPath(value)) bad(type, path, `${JSON.stringify(value)} is not a D-Bus object path`);
  if (char === 'g' && !isSignature(value)) bad(type, path, `${JSON.stringify(value)} is not a D-Bus signature`);
  const body = UTF8.encode(value);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

const OBJECT_PATH_REGEXP = /^\/(?:[A-Za-z0-9_]+(?:\/[A-Za-z0-9_]+)*)?$/;
export function isObjectPath(s: string): boolean {
  return OBJECT_PATH_REGEXP.test(s);
}

/** A D-Bus signature: zero or more complete types, with no maybes (GLib's g_variant_is_signature). */
export function isSignature(s: string): boolean {
  if (s.includes('m')) return false;
  let pos = 0;
  try {
    while (pos < s.length) {
      let end = pos + 1;
      // find the shortest prefix that parses as one complete type
      for (; end <= s.length; end++) {
        try {
          parseType(s.slice(pos, end));
          break;
        } catch {
          /* keep extending */
        }
      }
      if (end > s.length) return false;
      pos = end;
    }
    return true;
  } catch {
    return false;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function encodeValue(type: GVariantType, value: GVariantValue, path: string): Uint8Array {
  switch (type.kind) {
    case 'basic':
      switch (type.char) {
        case 'y':
          return encodeInt(type, value, path, 1, false);
        case 'b':
          if (typeof value !== 'boolean') bad(type, path, 'expected a boolean');
          return Uint8Array.of(value ? 1 : 0);
        case 'n':
          return encodeInt(type, value, path, 2, true);
        case 'q':
          return encodeInt(type, value, path, 2, false);
        case 'i':
        case 'h':
          return encodeInt(type, value, path, 4, true);
        case 'u':
          return encodeInt(type, value, path, 4, false);
        case 'x':
          return encodeBig(type, value, path, true);
        case 't':
          return encodeBig(type, value, path, false);
        case 'd': {
          if (typeof value !== 'number') bad(type, path, 'expected a number');
          const out = new Uint8Array(8);
          new DataView(out.buffer).setFloat64(0, value, true);
          return out;
        }
        default:
          return encodeString(type, value, path, type.char);
      }
    case 'variant': {
      if (!isVariant(value)) bad(type, path, 'expected a variant { type, value }');
      const inner = parseType(value.type);
      const body = encodeValue(inner, value.value, `${path}.value`);
      const sig = UTF8.encode(inner.text);
      const out = new Uint8Array(body.length + 1 + sig.length);
      out.set(body);
      out.set(sig, body.length + 1);
      return out;
    }
    case 'maybe': {
      if (value === null) return EMPTY;
      if (typeof value !== 'object' || !('just' in value)) bad(type, path, 'expected null or { just }');
      const body = encodeValue(type.element, (value as { just: GVariantValue }).just, `${path}.just`);
      if (type.element.fixedSize !== undefined) return body;
      const out = new Uint8Array(body.length + 1);
      out.set(body);
      return out;
    }
    case 'array':
      return encodeArray(type, type.element, value, path);
    case 'tuple':
    case 'dict-entry':
      return encodeTuple(type, type.members, value, path);
  }
}

function encodeArray(type: GVariantType, element: GVariantType, value: GVariantValue, path: string): Uint8Array {
  if (element.kind === 'basic' && element.char === 'y') {
    if (!(value instanceof Uint8Array)) bad(type, path, 'expected a Uint8Array');
    return value;
  }
  if (!Array.isArray(value)) bad(type, path, 'expected an array');
  const items = value as readonly GVariantValue[];
  if (items.length === 0) return EMPTY;
  const parts: Uint8Array[] = [];
  if (element.fixedSize !== undefined) {
    let total = 0;
    items.forEach((item, i) => {
      const b = encodeValue(element, item, `${path}[${i}]`);
      parts.push(b);
      total += b.length;
    });
    return concat(parts, total);
  }
  const ends: number[] = [];
  let pos = 0;
  items.forEach((item, i) => {
    const padded = alignUp(pos, element.align);
    if (padded > pos) parts.push(new Uint8Array(padded - pos));
    const b = encodeValue(element, item, `${path}[${i}]`);
    parts.push(b);
    pos = padded + b.length;
    ends.push(pos);
  });
  const w = offsetWidth(pos, ends.length);
  const table = new Uint8Array(w * ends.length);
  ends.forEach((end, i) => writeOffset(table, i * w, end, w));
  parts.push(table);
  return concat(parts, pos + table.length);
}

function encodeTuple(type: GVariantType, members: readonly GVariantType[], value: GVariantValue, path: string): Uint8Array {
  if (!Array.isArray(value) || value.length !== members.length) {
    bad(type, path, `expected an array of ${members.length} members`);
  }
  const items = value as readonly GVariantValue[];
  if (members.length === 0) return Uint8Array.of(0);
  const parts: Uint8Array[] = [];
  const ends: number[] = [];
  let pos = 0;
  members.forEach((m, i) => {
    const padded = alignUp(pos, m.align);
    if (padded > pos) parts.push(new Uint8Array(padded - pos));
    const b = encodeValue(m, items[i]!, `${path}[${i}]`);
    parts.push(b);
    pos = padded + b.length;
    if (m.fixedSize === undefined && i !== members.length - 1) ends.push(pos);
  });
  if (type.fixedSize !== undefined) {
    if (type.fixedSize > pos) parts.push(new Uint8Array(type.fixedSize - pos));
    return concat(parts, type.fixedSize);
  }
  const w = offsetWidth(pos, ends.length);
  const table = new Uint8Array(w * ends.length);
  // Offsets are stored in reverse: the first variable member's end is the very last entry.
  ends.forEach((end, i) => writeOffset(table, (ends.length - 1 - i) * w, end, w));
  parts.push(table);
  return concat(parts, pos + table.length);
}
