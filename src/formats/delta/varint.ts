import { DeltaTruncated, DeltaVarintOverflow } from './errors.js';

/**
 * Unsigned LEB128 ("varuint64"), as ostree's static-delta op arguments and `ostree.sizes` use:
 * seven bits per byte, low group first, high bit = more bytes follow, at most 10 bytes.
 * JavaScript numbers carry 53 bits, enough for any size or offset a delta can hold.
 */
const MAX_VARINT_BYTES = 10;

export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Varint value must be a non-negative safe integer, got ${value}`);
  }
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

/** Appends the varint of `value` to `out` (a growing byte list; avoids one array per value). */
export function pushVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Varint value must be a non-negative safe integer, got ${value}`);
  }
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

export interface Decoded<T> {
  readonly value: T;
  /** Input bytes consumed. */
  readonly size: number;
}

export function decodeVarint(input: Uint8Array, offset = 0): Decoded<number> {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const byte = input[offset + i];
    if (byte === undefined) throw new DeltaTruncated(`Varint at offset ${offset} is truncated`, { what: 'varint', offset: offset + i });
    value += (byte & 0x7f) * scale;
    if (!Number.isSafeInteger(value)) throw new DeltaVarintOverflow(`Varint at offset ${offset} is too large`, { offset });
    if ((byte & 0x80) === 0) return { value, size: i + 1 };
    scale *= 0x80;
  }
  throw new DeltaVarintOverflow(`Varint at offset ${offset} is longer than ${MAX_VARINT_BYTES} bytes`, { offset });
}
