/**
 * RPM package files (v3 lead, v4 headers), pure. Layout, all integers big-endian:
 * 96-byte lead (magic ED AB EE DB) → signature header → padding to 8 → main header → payload.
 * A header is magic 8E AD E8 01, 4 reserved bytes, index count, data size, then count 16-byte
 * entries {tag, type, offset, count} and the data store. File paths are
 * DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]. Checked against `rpm -qp` in the tests.
 */
import { defineError } from '../core/index.js';

export const RpmInvalid = defineError<{ offset: number }>('FORMAT_RPM_INVALID', 'corrupt');

export const RPM_TYPE = { NULL: 0, CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

export const RPM_TAG = {
  NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, SUMMARY: 1004, DESCRIPTION: 1005, SIZE: 1009,
  LICENSE: 1014, OS: 1021, ARCH: 1022, FILESIZES: 1028, FILEMODES: 1030, FILEMTIMES: 1034, FILEDIGESTS: 1035,
  FILELINKTOS: 1036, FILEFLAGS: 1037, FILEUSERNAME: 1039, FILEGROUPNAME: 1040, SOURCERPM: 1044,
  PROVIDENAME: 1047, REQUIREFLAGS: 1048, REQUIRENAME: 1049, REQUIREVERSION: 1050, PROVIDEFLAGS: 1112,
  PROVIDEVERSION: 1113, DIRINDEXES: 1116, BASENAMES: 1117, DIRNAMES: 1118, PAYLOADFORMAT: 1124,
  PAYLOADCOMPRESSOR: 1125, LONGFILESIZES: 5008, FILEDIGESTALGO: 5011,
} as const;

export const RPM_SIGTAG = { SHA1: 269, SHA256: 273, SIZE: 1000, MD5: 1004, PAYLOADSIZE: 1007 } as const;

export type RpmTagValue = string | readonly string[] | readonly number[] | readonly bigint[] | Uint8Array;

export interface RpmHeaderStructure {
  readonly tags: ReadonlyMap<number, RpmTagValue>;
  /** Byte offsets of the header within the file: start and end (exclusive). */
  readonly start: number;
  readonly end: number;
}

export interface RpmDependency {
  readonly name: string;
  readonly flags: number;
  readonly version: string;
}

export interface RpmFile {
  readonly path: string;
  readonly mode: number;
  readonly size: number;
  readonly user: string;
  readonly group: string;
  readonly digest: string;
  readonly linkTo: string;
  readonly flags: number;
}

export interface RpmPackageHeader {
  readonly name: string;
  readonly epoch?: number;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
  readonly summary: string;
  readonly sourceRpm?: string;
  readonly provides: readonly RpmDependency[];
  readonly requires: readonly RpmDependency[];
  readonly files: readonly RpmFile[];
  readonly payloadCompressor?: string;
}

export interface RpmPackage {
  readonly lead: { readonly name: string; readonly type: number; readonly signatureType: number };
  readonly signature: RpmHeaderStructure;
  readonly main: RpmHeaderStructure;
  readonly header: RpmPackageHeader;
  /** Offset of the compressed payload. */
  readonly payloadOffset: number;
}

const LEAD_MAGIC = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC = [0x8e, 0xad, 0xe8, 0x01];
const UTF8 = new TextDecoder('utf-8');
const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8 };

function need(bytes: Uint8Array, offset: number, n: number): void {
  if (offset < 0 || offset + n > bytes.length) {
    throw new RpmInvalid(`Truncated RPM: need ${n} bytes at offset ${offset}, file has ${bytes.length}`, { offset });
  }
}

function cString(bytes: Uint8Array, offset: number, limit: number): [string, number] {
  let end = offset;
  while (end < limit && bytes[end] !== 0) end++;
  if (end >= limit) throw new RpmInvalid(`Unterminated string at offset ${offset}`, { offset });
  return [UTF8.decode(bytes.subarray(offset, end)), end + 1];
}

/** Reads one header structure starting at `offset`. */
export function decodeRpmHeaderStructure(bytes: Uint8Array, offset: number): RpmHeaderStructure {
  need(bytes, offset, 16);
  for (let i = 0; i < 4; i++) {
    if (bytes[offset + i] !== HEADER_MAGIC[i]) throw new RpmInvalid(`No RPM header magic at offset ${offset}`, { offset });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(offset + 8);
  const size = view.getUint32(offset + 12);
  const index = offset + 16;
  const store = index + count * 16;
  need(bytes, index, count * 16 + size);
  const end = store + size;
  const tags = new Map<number, RpmTagValue>();
  for (let i = 0; i < count; i++) {
    const e = index + i * 16;
    const tag = view.getUint32(e);
    const type = view.getUint32(e + 4);
    const off = view.getUint32(e + 8);
    const n = view.getUint32(e + 12);
    const at = store + off;
    if (off > size) throw new RpmInvalid(`Tag ${tag} points past the data store`, { offset: e });
    switch (type) {
      case RPM_TYPE.STRING: {
        tags.set(tag, cString(bytes, at, end)[0]);
        break;
      }
      case RPM_TYPE.STRING_ARRAY:
      case RPM_TYPE.I18NSTRING: {
        const list: string[] = [];
        let p = at;
        for (let k = 0; k < n; k++) {
          const [s, next] = cString(bytes, p, end);
          list.push(s);
          p = next;
        }
        tags.set(tag, list);
        break;
      }
      case RPM_TYPE.BIN: {
        need(bytes, at, n);
        tags.set(tag, bytes.slice(at, at + n));
        break;
      }
      case RPM_TYPE.CHAR:
      case RPM_TYPE.INT8:
      case RPM_TYPE.INT16:
      case RPM_TYPE.INT32: {
        const w = TYPE_SIZE[type]!;
        if (at + n * w > end) throw new RpmInvalid(`Tag ${tag} runs past the data store`, { offset: e });
        const list: number[] = [];
        for (let k = 0; k < n; k++) {
          const p = at + k * w;
          list.push(w === 1 ? bytes[p]! : w === 2 ? view.getUint16(p) : view.getUint32(p));
        }
        tags.set(tag, list);
        break;
      }
      case RPM_TYPE.INT64: {
        if (at + n * 8 > end) throw new RpmInvalid(`Tag ${tag} runs past the data store`, { offset: e });
        const list: bigint[] = [];
        for (let k = 0; k < n; k++) list.push(view.getBigUint64(at + k * 8));
        tags.set(tag, list);
        break;
      }
      default:
        break; // NULL and unknown types carry nothing berth reads
    }
  }
  return { tags, start: offset, end };
}

function str(tags: ReadonlyMap<number, RpmTagValue>, tag: number): string | undefined {
  const v = tags.get(tag);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0] as string; // I18NSTRING: first locale
  return undefined;
}

function strs(tags: ReadonlyMap<number, RpmTagValue>, tag: number): readonly string[] {
  const v = tags.get(tag);
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === 'string') ? (v as string[]) : [];
}

function nums(tags: ReadonlyMap<number, RpmTagValue>, tag: number): readonly number[] {
  const v = tags.get(tag);
  if (!Array.isArray(v)) return [];
  return (v as readonly (number | bigint)[]).map((x) => Number(x));
}

function deps(tags: ReadonlyMap<number, RpmTagValue>, nameTag: number, flagsTag: number, versionTag: number): RpmDependency[] {
  const names = strs(tags, nameTag);
  const flags = nums(tags, flagsTag);
  const versions = strs(tags, versionTag);
  return names.map((name, i) => ({ name, flags: flags[i] ?? 0, version: versions[i] ?? '' }));
}

/** The package-level view of a main header. */
export function readRpmPackageHeader(tags: ReadonlyMap<number, RpmTagValue>): RpmPackageHeader {
  const name = str(tags, RPM_TAG.NAME);
  const version = str(tags, RPM_TAG.VERSION);
  const release = str(tags, RPM_TAG.RELEASE);
  if (name === undefined || version === undefined || release === undefined) {
    throw new RpmInvalid('RPM header lacks NAME, VERSION or RELEASE', { offset: 0 });
  }
  const epoch = nums(tags, RPM_TAG.EPOCH)[0];
  const dirnames = strs(tags, RPM_TAG.DIRNAMES);
  const dirindexes = nums(tags, RPM_TAG.DIRINDEXES);
  const basenames = strs(tags, RPM_TAG.BASENAMES);
  const sizes = tags.has(RPM_TAG.LONGFILESIZES) ? nums(tags, RPM_TAG.LONGFILESIZES) : nums(tags, RPM_TAG.FILESIZES);
  const modes = nums(tags, RPM_TAG.FILEMODES);
  const users = strs(tags, RPM_TAG.FILEUSERNAME);
  const groups = strs(tags, RPM_TAG.FILEGROUPNAME);
  const digests = strs(tags, RPM_TAG.FILEDIGESTS);
  const links = strs(tags, RPM_TAG.FILELINKTOS);
  const flags = nums(tags, RPM_TAG.FILEFLAGS);
  const files = basenames.map((base, i) => ({
    path: `${dirnames[dirindexes[i] ?? -1] ?? ''}${base}`,
    mode: modes[i] ?? 0,
    size: sizes[i] ?? 0,
    user: users[i] ?? 'root',
    group: groups[i] ?? 'root',
    digest: digests[i] ?? '',
    linkTo: links[i] ?? '',
    flags: flags[i] ?? 0,
  }));
  const sourceRpm = str(tags, RPM_TAG.SOURCERPM);
  const compressor = str(tags, RPM_TAG.PAYLOADCOMPRESSOR);
  return {
    name,
    ...(epoch !== undefined ? { epoch } : {}),
    version,
    release,
    arch: str(tags, RPM_TAG.ARCH) ?? 'noarch',
    summary: str(tags, RPM_TAG.SUMMARY) ?? '',
    ...(sourceRpm !== undefined ? { sourceRpm } : {}),
    provides: deps(tags, RPM_TAG.PROVIDENAME, RPM_TAG.PROVIDEFLAGS, RPM_TAG.PROVIDEVERSION),
    requires: deps(tags, RPM_TAG.REQUIRENAME, RPM_TAG.REQUIREFLAGS, RPM_TAG.REQUIREVERSION),
    files,
    ...(compressor !== undefined ? { payloadCompressor: compressor } : {}),
  };
}

/** Reads lead, signature header and main header of a `.rpm` file (the payload is left as is). */
export function decodeRpmPackage(bytes: Uint8Array): RpmPackage {
  need(bytes, 0, 96);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== LEAD_MAGIC[i]) throw new RpmInvalid('Not an RPM package (bad lead magic)', { offset: 0 });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lead = {
    type: view.getInt16(6),
    name: cString(bytes, 10, 76)[0],
    signatureType: view.getInt16(78),
  };
  if (lead.signatureType !== 5) throw new RpmInvalid(`Unsupported signature type ${lead.signatureType}`, { offset: 78 });
  const signature = decodeRpmHeaderStructure(bytes, 96);
  const mainStart = (signature.end + 7) & ~7;
  const main = decodeRpmHeaderStructure(bytes, mainStart);
  return { lead, signature, main, header: readRpmPackageHeader(main.tags), payloadOffset: main.end };
}

/** `name-[epoch:]version-release.arch`, as rpm prints NEVRAs. */
export function rpmNevra(h: Pick<RpmPackageHeader, 'name' | 'epoch' | 'version' | 'release' | 'arch'>): string {
  return `${h.name}-${h.epoch ? `${h.epoch}:` : ''}${h.version}-${h.release}.${h.arch}`;
}
