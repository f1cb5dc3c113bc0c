import { DeltaBadName } from './errors.js';

/**
 * Static-delta names and paths. Names (summary keys, `static-delta list`) are hex `FROM-TO` or
 * `TO`; paths use ostree's "modified base64" of the raw 32 bytes: standard base64 without the
 * trailing `=`, `/` replaced by `_`, `+` kept (ostree_checksum_to_bytes / _ostree_get_relative_static_delta_path).
 */
const HEX_REGEXP = /^[0-9a-f]{64}$/;
const B64_REGEXP = /^[A-Za-z0-9+_]{43}$/;

export function isChecksum(value: string): boolean {
  return HEX_REGEXP.test(value);
}

export function checksumToModifiedBase64(hex: string): string {
  if (!HEX_REGEXP.test(hex)) throw new DeltaBadName(`Invalid checksum ${JSON.stringify(hex)}`, { name: hex });
  return Buffer.from(hex, 'hex').toString('base64').replace(/=+$/, '').replaceAll('/', '_');
}

export function modifiedBase64ToChecksum(b64: string): string {
  if (!B64_REGEXP.test(b64)) throw new DeltaBadName(`Invalid modified base64 checksum ${JSON.stringify(b64)}`, { name: b64 });
  return Buffer.from(`${b64.replaceAll('_', '/')}=`, 'base64').toString('hex');
}

export interface DeltaName {
  /** Undefined for a from-scratch ("empty") delta. */
  readonly from: string | undefined;
  readonly to: string;
}

/** `FROM-TO` or `TO` (hex) as in summaries and `ostree static-delta list`. */
export function parseDeltaName(name: string): DeltaName {
  const parts = name.split('-');
  if (parts.length === 1 && HEX_REGEXP.test(parts[0]!)) return { from: undefined, to: parts[0]! };
  if (parts.length === 2 && HEX_REGEXP.test(parts[0]!) && HEX_REGEXP.test(parts[1]!)) return { from: parts[0]!, to: parts[1]! };
  throw new DeltaBadName(`Invalid static delta name ${JSON.stringify(name)}`, { name });
}

export function formatDeltaName(from: string | undefined, to: string): string {
  return from === undefined ? to : `${from}-${to}`;
}

/**
 * Directory of a delta relative to the repo root, `deltas/AB/CDEF…[-TO]`, plus an optional file
 * inside it (`superblock`, a part index, `commitmeta`).
 */
export function deltaRelativePath(from: string | undefined, to: string, file?: string): string {
  const toB64 = checksumToModifiedBase64(to);
  let dir: string;
  if (from === undefined) dir = `deltas/${toB64.slice(0, 2)}/${toB64.slice(2)}`;
  else {
    const fromB64 = checksumToModifiedBase64(from);
    dir = `deltas/${fromB64.slice(0, 2)}/${fromB64.slice(2)}-${toB64}`;
  }
  return file === undefined ? dir : `${dir}/${file}`;
}

/** Inverse of deltaRelativePath for the two path components below `deltas/`. */
export function deltaNameFromPath(prefix: string, rest: string): DeltaName {
  const joined = `${prefix}${rest}`;
  const dash = joined.indexOf('-');
  if (dash < 0) return { from: undefined, to: modifiedBase64ToChecksum(joined) };
  return { from: modifiedBase64ToChecksum(joined.slice(0, dash)), to: modifiedBase64ToChecksum(joined.slice(dash + 1)) };
}

/** `delta-indexes/AB/CDEF….index`, one per target commit. */
export function deltaIndexRelativePath(to: string): string {
  const b64 = checksumToModifiedBase64(to);
  return `delta-indexes/${b64.slice(0, 2)}/${b64.slice(2)}.index`;
}
