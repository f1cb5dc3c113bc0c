import { decodeGVariant, encodeGVariant, variant, vardictGet, type GVariantValue, type VardictEntries } from '../gvariant/index.js';
import { DeltaMalformed } from './errors.js';

/**
 * The static-delta superblock, `OSTREE_STATIC_DELTA_SUPERBLOCK_FORMAT`:
 * `(a{sv}tayay(a{sv}aya(say)sstayay)aya(uayttay)a(yaytt))` — metadata, timestamp (BE), from
 * (empty for scratch), to, the embedded to-commit, recursive deltas (always empty), part
 * headers and fallback objects. Part sizes are host order (little-endian here) with an
 * `ostree.endianness` marker; readers swap when it says `B`.
 */
export const SUPERBLOCK_TYPE = '(a{sv}tayay(a{sv}aya(say)sstayay)aya(uayttay)a(yaytt))';
export const COMMIT_TYPE = '(a{sv}aya(say)sstayay)';
export const SIGNED_SUPERBLOCK_TYPE = '(taya{sv})';
/** "OSTSGNDT" read as a big-endian u64: the magic of a signed superblock. */
export const SIGNED_SUPERBLOCK_MAGIC = 0x4f535453474e4454n;

export const ENDIANNESS_KEY = 'ostree.endianness';

export interface ObjectRef {
  /** ostree object type number: 1 file, 2 dirtree, 3 dirmeta, 4 commit. */
  readonly objtype: number;
  readonly checksum: string;
}

export interface PartHeader {
  readonly version: number;
  /** SHA-256 (hex) of the whole part file, compression byte included. */
  readonly checksum: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly objects: readonly ObjectRef[];
}

export interface FallbackObject extends ObjectRef {
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

export interface Superblock {
  readonly metadata: VardictEntries;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly from: string | undefined;
  readonly to: string;
  /** The serialized to-commit object (its SHA-256 is `to`). */
  readonly commit: Uint8Array;
  readonly parts: readonly PartHeader[];
  readonly fallbacks: readonly FallbackObject[];
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function raw(hexString: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hexString, 'hex'));
}

function swap64(value: bigint): bigint {
  let out = 0n;
  let v = value;
  for (let i = 0; i < 8; i++) {
    out = (out << 8n) | (v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function swap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

function toNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DeltaMalformed(`Superblock ${what} is too large`, { what: 'superblock', reason: what });
  return Number(value);
}

export function encodeObjectList(objects: readonly ObjectRef[]): Uint8Array {
  const out = new Uint8Array(objects.length * 33);
  objects.forEach((o, i) => {
    out[i * 33] = o.objtype;
    out.set(raw(o.checksum), i * 33 + 1);
  });
  return out;
}

export function decodeObjectList(bytes: Uint8Array): ObjectRef[] {
  if (bytes.length % 33 !== 0) throw new DeltaMalformed('Part object list length is not a multiple of 33', { what: 'superblock', reason: 'objects' });
  const out: ObjectRef[] = [];
  for (let i = 0; i < bytes.length; i += 33) out.push({ objtype: bytes[i]!, checksum: hex(bytes.subarray(i + 1, i + 33)) });
  return out;
}

export function encodeSuperblock(sb: Superblock): Uint8Array {
  const metadata: Array<readonly [string, ReturnType<typeof variant>]> = sb.metadata.filter(([k]) => k !== ENDIANNESS_KEY).map(([k, v]) => [k, v]);
  metadata.push([ENDIANNESS_KEY, variant('y', 0x6c)]); // 'l': sizes below are little-endian
  const commit = decodeGVariant(COMMIT_TYPE, sb.commit);
  const value: GVariantValue = [
    metadata.map(([k, v]) => [k, v]),
    swap64(BigInt(sb.timestamp)),
    sb.from === undefined ? new Uint8Array(0) : raw(sb.from),
    raw(sb.to),
    commit,
    new Uint8Array(0),
    sb.parts.map((p) => [p.version, raw(p.checksum), BigInt(p.compressedSize), BigInt(p.uncompressedSize), encodeObjectList(p.objects)]),
    sb.fallbacks.map((f) => [f.objtype, raw(f.checksum), BigInt(f.compressedSize), BigInt(f.uncompressedSize)]),
  ];
  return encodeGVariant(SUPERBLOCK_TYPE, value);
}

export function decodeSuperblock(bytes: Uint8Array): Superblock {
  const v = decodeGVariant(SUPERBLOCK_TYPE, bytes, { requireNormal: false }) as readonly GVariantValue[];
  const metadata = v[0] as unknown as VardictEntries;
  const marker = vardictGet(metadata, ENDIANNESS_KEY);
  const parts = (v[6] as readonly GVariantValue[]).map((entry) => entry as readonly GVariantValue[]);
  const fallbacks = (v[7] as readonly GVariantValue[]).map((entry) => entry as readonly GVariantValue[]);
  let swapped = marker !== undefined && marker.value === 0x42; // 'B'
  if (marker === undefined) {
    // ostree's heuristic for old deltas: absurd compression ratios mean the other byte order
    let total = 0n;
    let totalU = 0n;
    for (const p of parts) {
      total += p[2] as bigint;
      totalU += p[3] as bigint;
    }
    if (total > 0n && totalU * 10n > total * 12n * 1000n) swapped = true;
  }
  const size = (x: bigint, what: string): number => toNumber(swapped ? swap64(x) : x, what);
  const from = v[2] as Uint8Array;
  const to = v[3] as Uint8Array;
  if ((from.length !== 0 && from.length !== 32) || to.length !== 32) {
    throw new DeltaMalformed('Superblock from/to checksums have the wrong length', { what: 'superblock', reason: 'checksum' });
  }
  return {
    metadata,
    timestamp: toNumber(swap64(v[1] as bigint), 'timestamp'),
    from: from.length === 0 ? undefined : hex(from),
    to: hex(to),
    commit: encodeGVariant(COMMIT_TYPE, v[4]!),
    parts: parts.map((p) => {
      const csum = p[1] as Uint8Array;
      if (csum.length !== 32) throw new DeltaMalformed('Part checksum has the wrong length', { what: 'superblock', reason: 'part' });
      return {
        version: swapped ? swap32(p[0] as number) : (p[0] as number),
        checksum: hex(csum),
        compressedSize: size(p[2] as bigint, 'part size'),
        uncompressedSize: size(p[3] as bigint, 'part size'),
        objects: decodeObjectList(p[4] as Uint8Array),
      };
    }),
    fallbacks: fallbacks.map((f) => {
      const csum = f[1] as Uint8Array;
      if (csum.length !== 32) throw new DeltaMalformed('Fallback checksum has the wrong length', { what: 'superblock', reason: 'fallback' });
      return { objtype: f[0] as number, checksum: hex(csum), compressedSize: size(f[2] as bigint, 'fallback size'), uncompressedSize: size(f[3] as bigint, 'fallback size') };
    }),
  };
}

export interface SignedSuperblock {
  readonly superblock: Uint8Array;
  readonly signatures: VardictEntries;
}

/** True when `bytes` start with the signed-superblock magic (`(taya{sv})`, magic first). */
export function isSignedSuperblock(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('latin1') === 'OSTSGNDT';
}

export function decodeSignedSuperblock(bytes: Uint8Array): SignedSuperblock {
  const v = decodeGVariant(SIGNED_SUPERBLOCK_TYPE, bytes, { requireNormal: false }) as readonly GVariantValue[];
  if (swap64(v[0] as bigint) !== SIGNED_SUPERBLOCK_MAGIC) throw new DeltaMalformed('Signed superblock has a bad magic', { what: 'superblock', reason: 'magic' });
  return { superblock: v[1] as Uint8Array, signatures: v[2] as unknown as VardictEntries };
}

export function encodeSignedSuperblock(signed: SignedSuperblock): Uint8Array {
  return encodeGVariant(SIGNED_SUPERBLOCK_TYPE, [swap64(SIGNED_SUPERBLOCK_MAGIC), signed.superblock, signed.signatures.map(([k, v]) => [k, v])]);
}
