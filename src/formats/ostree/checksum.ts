import { OstreeBadBase64, OstreeBadChecksum } from './errors.js';

export const CHECKSUM_REGEXP = /^[0-9a-f]{64}$/;

/** ostree_validate_checksum_string: 64 lowercase hex digits. */
export function isChecksum(s: string): boolean {
  return CHECKSUM_REGEXP.test(s);
}

export function assertChecksum(s: string): void {
  if (!CHECKSUM_REGEXP.test(s)) throw new OstreeBadChecksum(`Invalid checksum ${JSON.stringify(s)}`, { checksum: s });
}

export function checksumToBytes(hex: string): Uint8Array {
  assertChecksum(hex);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function checksumFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 32) {
    throw new OstreeBadChecksum(`Invalid checksum of length ${bytes.length} expected 32`, { checksum: bytesToHex(bytes) });
  }
  return bytesToHex(bytes);
}

/**
 * Lower-case hex. Native: one flat string (a `+=` loop builds a 32-deep rope that every hash lookup of the
 * checksum first has to flatten; pulls look up tens of thousands).
 */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export type ObjectType = 'file' | 'dirtree' | 'dirmeta' | 'commit' | 'tombstone-commit' | 'commitmeta' | 'payload-link' | 'file-xattrs' | 'file-xattrs-link';

/** OstreeObjectType numbering, used in summaries, deltas and sizes. */
export const OBJECT_TYPE_NUMBER: Readonly<Record<ObjectType, number>> = {
  file: 1,
  dirtree: 2,
  dirmeta: 3,
  commit: 4,
  'tombstone-commit': 5,
  commitmeta: 6,
  'payload-link': 7,
  'file-xattrs': 8,
  'file-xattrs-link': 9,
};

export function objectTypeFromNumber(n: number): ObjectType | undefined {
  return (Object.keys(OBJECT_TYPE_NUMBER) as ObjectType[]).find((k) => OBJECT_TYPE_NUMBER[k] === n);
}

export function isMetaObjectType(t: ObjectType): boolean {
  const n = OBJECT_TYPE_NUMBER[t];
  return n >= 2 && n <= 6;
}

/** `objects/ab/cdef….type` relative to the repo (`.filez` for content in archive repos). */
export function loosePath(checksum: string, type: ObjectType, archive = false): string {
  assertChecksum(checksum);
  return `objects/${checksum.slice(0, 2)}/${checksum.slice(2)}.${type}${type === 'file' && archive ? 'z' : ''}`;
}

/** ostree's "modified base64": standard base64 without the trailing '=', '/' replaced by '_'. */
export function checksumToModifiedBase64(hex: string): string {
  return Buffer.from(checksumToBytes(hex)).toString('base64').replace(/=+$/, '').replaceAll('/', '_');
}

export function checksumFromModifiedBase64(text: string): string {
  if (!/^[A-Za-z0-9+_]{43}$/.test(text)) throw new OstreeBadBase64(`Invalid modified base64 checksum ${JSON.stringify(text)}`, { text });
  const bytes = Buffer.from(`${text.replaceAll('_', '/')}=`, 'base64');
  if (bytes.length !== 32 || checksumToModifiedBase64(bytes.toString('hex')) !== text) {
    throw new OstreeBadBase64(`Invalid modified base64 checksum ${JSON.stringify(text)}`, { text });
  }
  return bytes.toString('hex');
}
