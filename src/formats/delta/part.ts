import { decodeGVariant, encodeGVariant, type GVariantValue } from '../gvariant/index.js';
import { DeltaMalformed, DeltaTruncated } from './errors.js';
import { decodeVarint, pushVarint } from './varint.js';

/**
 * One static-delta part. On disk: a compression byte (`0` none, `x` xz) then the payload.
 * Uncompressed payload `OSTREE_STATIC_DELTA_PART_PAYLOAD_FORMAT_V0` = `(a(uuu)aa(ayay)ayay)`:
 * mode table (uid, gid, mode — big-endian), xattr table, the byte blob ops read from, and the
 * op bytecode.
 */
export const PART_PAYLOAD_TYPE = '(a(uuu)aa(ayay)ayay)';
export const COMPRESSION_NONE = 0x00;
export const COMPRESSION_XZ = 0x78; // 'x'

export interface ModeEntry {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/** An xattr list as in OSTree objects: name bytes include the trailing NUL. */
export type Xattrs = ReadonlyArray<readonly [Uint8Array, Uint8Array]>;

export interface PartPayload {
  readonly modes: readonly ModeEntry[];
  readonly xattrs: readonly Xattrs[];
  readonly payload: Uint8Array;
  readonly ops: Uint8Array;
}

function swap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

export function encodePartPayload(part: PartPayload): Uint8Array {
  const value: GVariantValue = [
    part.modes.map((m) => [swap32(m.uid), swap32(m.gid), swap32(m.mode)]),
    part.xattrs.map((list) => list.map(([n, v]) => [n, v])),
    part.payload,
    part.ops,
  ];
  return encodeGVariant(PART_PAYLOAD_TYPE, value);
}

export function decodePartPayload(bytes: Uint8Array): PartPayload {
  const v = decodeGVariant(PART_PAYLOAD_TYPE, bytes, { requireNormal: false }) as readonly GVariantValue[];
  const modes = (v[0] as ReadonlyArray<readonly number[]>).map((m) => ({ uid: swap32(m[0]!), gid: swap32(m[1]!), mode: swap32(m[2]!) }));
  const xattrs = (v[1] as ReadonlyArray<ReadonlyArray<readonly [Uint8Array, Uint8Array]>>).map((list) => list.map(([n, val]) => [n, val] as const));
  return { modes, xattrs, payload: v[2] as Uint8Array, ops: v[3] as Uint8Array };
}

/** Splits a part file into its compression byte and the (still compressed) payload. */
export function splitPartFile(file: Uint8Array): { compression: number; body: Uint8Array } {
  if (file.length < 1) throw new DeltaTruncated('Delta part file is empty', { what: 'part', offset: 0 });
  const compression = file[0]!;
  if (compression !== COMPRESSION_NONE && compression !== COMPRESSION_XZ) {
    throw new DeltaMalformed(`Delta part has unknown compression type ${compression}`, { what: 'part', reason: 'compression' });
  }
  return { compression, body: file.subarray(1) };
}

export function joinPartFile(compression: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = compression;
  out.set(body, 1);
  return out;
}

/** Op codes, `OstreeStaticDeltaOpCode`. */
export const OP = {
  openSpliceAndClose: 0x53, // 'S'
  open: 0x6f, // 'o'
  write: 0x77, // 'w'
  setReadSource: 0x72, // 'r'
  unsetReadSource: 0x52, // 'R'
  close: 0x63, // 'c'
  bspatch: 0x42, // 'B'
} as const;

/**
 * Decoded operations. Argument order differs per op exactly as ostree's dispatcher reads
 * them: metadata splice (len, off), content splice (modeIdx, xattrIdx, size, off),
 * write (len, off), bspatch (off, len).
 */
export type Op =
  | { readonly op: 'splice-meta'; readonly len: number; readonly off: number }
  | { readonly op: 'splice-content'; readonly modeIdx: number; readonly xattrIdx: number; readonly size: number; readonly off: number }
  | { readonly op: 'open'; readonly modeIdx: number; readonly xattrIdx: number; readonly size: number }
  | { readonly op: 'write'; readonly len: number; readonly off: number }
  | { readonly op: 'set-read-source'; readonly off: number }
  | { readonly op: 'unset-read-source' }
  | { readonly op: 'close' }
  | { readonly op: 'bspatch'; readonly off: number; readonly len: number };

/**
 * Walks `ops`. `isMeta()` answers whether the object the next splice produces is a metadata
 * object (the caller knows from the part's object list), since 'S' arguments depend on it.
 */
export function* decodeOps(ops: Uint8Array, isMeta: () => boolean): Generator<Op, void, undefined> {
  let p = 0;
  const next = (): number => {
    const d = decodeVarint(ops, p);
    p += d.size;
    return d.value;
  };
  while (p < ops.length) {
    const code = ops[p++]!;
    switch (code) {
      case OP.openSpliceAndClose:
        if (isMeta()) {
          const len = next();
          yield { op: 'splice-meta', len, off: next() };
        } else {
          const modeIdx = next();
          const xattrIdx = next();
          const size = next();
          yield { op: 'splice-content', modeIdx, xattrIdx, size, off: next() };
        }
        break;
      case OP.open: {
        const modeIdx = next();
        const xattrIdx = next();
        yield { op: 'open', modeIdx, xattrIdx, size: next() };
        break;
      }
      case OP.write: {
        const len = next();
        yield { op: 'write', len, off: next() };
        break;
      }
      case OP.setReadSource:
        yield { op: 'set-read-source', off: next() };
        break;
      case OP.unsetReadSource:
        yield { op: 'unset-read-source' };
        break;
      case OP.close:
        yield { op: 'close' };
        break;
      case OP.bspatch: {
        const off = next();
        yield { op: 'bspatch', off, len: next() };
        break;
      }
      default:
        throw new DeltaMalformed(`Unknown static delta op 0x${code.toString(16)} at offset ${p - 1}`, { what: 'ops', reason: 'opcode' });
    }
  }
}

/** Appends ops in ostree's byte encoding. */
export class OpWriter {
  readonly #bytes: number[] = [];

  spliceMeta(len: number, off: number): void {
    this.#bytes.push(OP.openSpliceAndClose);
    pushVarint(this.#bytes, len);
    pushVarint(this.#bytes, off);
  }

  spliceContent(modeIdx: number, xattrIdx: number, size: number, off: number): void {
    this.#bytes.push(OP.openSpliceAndClose);
    for (const v of [modeIdx, xattrIdx, size, off]) pushVarint(this.#bytes, v);
  }

  open(modeIdx: number, xattrIdx: number, size: number): void {
    this.#bytes.push(OP.open);
    for (const v of [modeIdx, xattrIdx, size]) pushVarint(this.#bytes, v);
  }

  write(len: number, off: number): void {
    this.#bytes.push(OP.write);
    pushVarint(this.#bytes, len);
    pushVarint(this.#bytes, off);
  }

  setReadSource(off: number): void {
    this.#bytes.push(OP.setReadSource);
    pushVarint(this.#bytes, off);
  }

  unsetReadSource(): void {
    this.#bytes.push(OP.unsetReadSource);
  }

  close(): void {
    this.#bytes.push(OP.close);
  }

  bspatch(off: number, len: number): void {
    this.#bytes.push(OP.bspatch);
    pushVarint(this.#bytes, off);
    pushVarint(this.#bytes, len);
  }

  get length(): number {
    return this.#bytes.length;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}
