import { encodeGVariant } from './encode.js';
import { GVariantBadData, GVariantBadOffset, GVariantNotNormal, GVariantTruncated } from './errors.js';
import { alignUp, parseType, type GVariantType } from './type.js';
import type { GVariantValue } from './value.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface DecodeOptions {
  /**
   * Refuse bytes that decode but are not in normal form, as ostree does for every metadata
   * object (`g_variant_is_normal_form`). Checked by re-serialising and comparing. Default true.
   */
  readonly requireNormal?: boolean;
}

/** Deserialises `bytes` as `type`. Throws typed FORMAT_GVARIANT_* errors on anything malformed. */
export function decodeGVariant(type: string | GVariantType, bytes: Uint8Array, options: DecodeOptions = {}): GVariantValue {
  const t = typeof type === 'string' ? parseType(type) : type;
  const value = decodeValue(t, bytes, 0, bytes.length);
  if (options.requireNormal ?? true) {
    const again = encodeGVariant(t, value);
    if (!bytesEqual(again, bytes)) {
      throw new GVariantNotNormal(`Serialised ${JSON.stringify(t.text)} is not in normal form`, { type: t.text });
    }
  }
  return value;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Width of framing offsets in a container of `size` bytes (GLib's gvs_get_offset_size). */
export function offsetWidthForSize(size: number): number {
  if (size > 0xffffffff) return 8;
  if (size > 0xffff) return 4;
  if (size > 0xff) return 2;
  if (size > 0) return 1;
  return 0;
}

function readOffset(buf: Uint8Array, pos: number, width: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < width; i++) {
    v += buf[pos + i]! * scale;
    scale *= 256;
  }
  return v;
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function decodeValue(type: GVariantType, buf: Uint8Array, start: number, end: number): GVariantValue {
  const size = end - start;
  if (type.fixedSize !== undefined && size !== type.fixedSize) {
    throw new GVariantTruncated(
      `Serialised ${JSON.stringify(type.text)} at ${start} is ${size} bytes, expected ${type.fixedSize}`,
      { type: type.text, offset: start, need: type.fixedSize, have: size },
    );
  }
  switch (type.kind) {
    case 'basic': {
      const dv = view(buf);
      switch (type.char) {
        case 'y':
          return buf[start]!;
        case 'b': {
          const b = buf[start]!;
          if (b > 1) throw new GVariantBadData(`Boolean at ${start} is ${b}, not 0 or 1`, { type: 'b', offset: start });
          return b === 1;
        }
        case 'n':
          return dv.getInt16(start, true);
        case 'q':
          return dv.getUint16(start, true);
        case 'i':
        case 'h':
          return dv.getInt32(start, true);
        case 'u':
          return dv.getUint32(start, true);
        case 'x':
          return dv.getBigInt64(start, true);
        case 't':
          return dv.getBigUint64(start, true);
        case 'd':
          return dv.getFloat64(start, true);
        default:
          return decodeString(type, buf, start, end);
      }
    }
    case 'variant': {
      let nul = end - 1;
      while (nul >= start && buf[nul] !== 0) nul--;
      if (nul < start) throw new GVariantBadData(`Variant at ${start} has no type string`, { type: 'v', offset: start });
      const sig = String.fromCharCode(...buf.subarray(nul + 1, end));
      let inner: GVariantType;
      try {
        inner = parseType(sig);
      } catch (err) {
        throw new GVariantBadData(`Variant at ${start} has the invalid type ${JSON.stringify(sig)}`, { type: 'v', offset: start }, { cause: err });
      }
      return { type: inner.text, value: decodeValue(inner, buf, start, nul) };
    }
    case 'maybe': {
      if (size === 0) return null;
      if (type.element.fixedSize !== undefined) return { just: decodeValue(type.element, buf, start, end) };
      if (buf[end - 1] !== 0) throw new GVariantNotNormal(`Maybe at ${start} lacks its trailing zero byte`, { type: type.text });
      return { just: decodeValue(type.element, buf, start, end - 1) };
    }
    case 'array':
      return decodeArray(type, type.element, buf, start, end);
    case 'tuple':
    case 'dict-entry':
      return decodeTuple(type, type.members, buf, start, end);
  }
}

function decodeString(type: GVariantType, buf: Uint8Array, start: number, end: number): string {
  if (end === start || buf[end - 1] !== 0) {
    throw new GVariantBadData(`String at ${start} is not NUL-terminated`, { type: type.text, offset: start });
  }
  const body = buf.subarray(start, end - 1);
  if (body.includes(0)) throw new GVariantBadData(`String at ${start} contains NUL`, { type: type.text, offset: start });
  try {
    return UTF8.decode(body);
  } catch (err) {
    throw new GVariantBadData(`String at ${start} is not valid UTF-8`, { type: type.text, offset: start }, { cause: err });
  }
}

function decodeArray(type: GVariantType, element: GVariantType, buf: Uint8Array, start: number, end: number): GVariantValue {
  const size = end - start;
  if (element.kind === 'basic' && element.char === 'y') return buf.subarray(start, end);
  if (size === 0) return [];
  const out: GVariantValue[] = [];
  if (element.fixedSize !== undefined) {
    if (size % element.fixedSize !== 0) {
      throw new GVariantTruncated(`Array ${JSON.stringify(type.text)} at ${start} is ${size} bytes, not a multiple of ${element.fixedSize}`, {
        type: type.text,
        offset: start,
        need: alignUp(size, element.fixedSize),
        have: size,
      });
    }
    for (let p = start; p < end; p += element.fixedSize) out.push(decodeValue(element, buf, p, p + element.fixedSize));
    return out;
  }
  const w = offsetWidthForSize(size);
  const lastEnd = readOffset(buf, end - w, w);
  if (lastEnd > size) throw new GVariantBadOffset(`Array ${JSON.stringify(type.text)} at ${start} has a bad offset table`, { type: type.text, offset: start });
  const tableBytes = size - lastEnd;
  if (tableBytes % w !== 0 || tableBytes === 0) {
    throw new GVariantBadOffset(`Array ${JSON.stringify(type.text)} at ${start} has a misaligned offset table`, { type: type.text, offset: start });
  }
  const count = tableBytes / w;
  let pos = 0;
  for (let k = 0; k < count; k++) {
    const elemStart = alignUp(pos, element.align);
    const elemEnd = readOffset(buf, start + lastEnd + k * w, w);
    if (elemEnd < elemStart || elemEnd > lastEnd) {
      throw new GVariantBadOffset(`Array ${JSON.stringify(type.text)} at ${start}: element ${k} has a bad end offset`, { type: type.text, offset: start });
    }
    out.push(decodeValue(element, buf, start + elemStart, start + elemEnd));
    pos = elemEnd;
  }
  return out;
}

function decodeTuple(type: GVariantType, members: readonly GVariantType[], buf: Uint8Array, start: number, end: number): GVariantValue {
  const size = end - start;
  if (members.length === 0) {
    if (size !== 1 || buf[start] !== 0) throw new GVariantNotNormal('The unit tuple must be one zero byte', { type: type.text });
    return [];
  }
  const w = offsetWidthForSize(size);
  const out: GVariantValue[] = [];
  let used = 0; // framing offsets consumed from the end
  let pos = 0;
  members.forEach((m, i) => {
    const memberStart = alignUp(pos, m.align);
    let memberEnd: number;
    if (m.fixedSize !== undefined) memberEnd = memberStart + m.fixedSize;
    else if (i === members.length - 1) memberEnd = size - used * w;
    else {
      used += 1;
      if (used * w > size) throw new GVariantTruncated(`Tuple ${JSON.stringify(type.text)} at ${start} is too short for its offsets`, { type: type.text, offset: start, need: used * w, have: size });
      memberEnd = readOffset(buf, end - used * w, w);
    }
    if (memberStart > memberEnd || memberEnd > size - used * w) {
      if (memberEnd > size) {
        throw new GVariantTruncated(`Tuple ${JSON.stringify(type.text)} at ${start}: member ${i} runs past the end`, {
          type: type.text,
          offset: start + memberStart,
          need: memberEnd,
          have: size,
        });
      }
      throw new GVariantBadOffset(`Tuple ${JSON.stringify(type.text)} at ${start}: member ${i} has a bad offset`, { type: type.text, offset: start });
    }
    out.push(decodeValue(m, buf, start + memberStart, start + memberEnd));
    pos = memberEnd;
  });
  return out;
}
