import { decodeGVariant, encodeGVariant, parseType, type DecodeOptions, type GVariantValue, type VardictEntries, type Variant } from '../gvariant/index.js';
import { bytesToHex, checksumFromBytes, checksumToBytes } from './checksum.js';
import { OstreeBadFilename, OstreeBadMode, OstreeBadObject } from './errors.js';

// GVariant types of ostree's objects (ostree-core.h).
export const COMMIT_TYPE = parseType('(a{sv}aya(say)sstayay)');
export const DIRTREE_TYPE = parseType('(a(say)a(sayay))');
export const DIRMETA_TYPE = parseType('(uuua(ayay))');
export const FILE_HEADER_TYPE = parseType('(uuuusa(ayay))');
export const ZLIB_FILE_HEADER_TYPE = parseType('(tuuuusa(ayay))');
export const OSTREEMETA_TYPE = DIRMETA_TYPE; // bare-user `user.ostreemeta`: (uid, gid, mode, xattrs)
export const VARDICT_TYPE = parseType('a{sv}');
export const SUMMARY_TYPE = parseType('(a(s(taya{sv}))a{sv})');

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

/** ostree stores uid, gid, mode (and a few sizes) pre-swapped to big-endian inside LE GVariants. */
export function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff)) >>> 0;
}

export function bswap64(v: bigint): bigint {
  let out = 0n;
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < 8; i++) {
    out = (out << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** One extended attribute; `name` without its NUL (the serialised form adds it). */
export interface Xattr {
  readonly name: string;
  readonly value: Uint8Array;
}

const UTF8E = new TextEncoder();
const UTF8D = new TextDecoder('utf-8', { fatal: true });

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** strcmp order on names, as ostree sorts xattrs and dirtree entries. */
export function compareStrcmp(a: string, b: string): number {
  return compareBytes(UTF8E.encode(a), UTF8E.encode(b));
}

/** Sorted, with ostree's byte layout: name + NUL, value as is. Zero-length values are kept if given. */
export function encodeXattrs(xattrs: readonly Xattr[]): GVariantValue[] {
  const named = xattrs.map((x) => {
    const n = UTF8E.encode(x.name);
    const withNul = new Uint8Array(n.length + 1);
    withNul.set(n);
    return [withNul, x.value] as const;
  });
  named.sort((a, b) => compareBytes(a[0], b[0]));
  return named.map(([n, v]) => [n, v]);
}

export function decodeXattrs(value: GVariantValue, type: string): Xattr[] {
  return (value as [Uint8Array, Uint8Array][]).map(([n, v]) => {
    if (n.length === 0 || n[n.length - 1] !== 0) {
      throw new OstreeBadObject(`Invalid xattr name (not NUL-terminated) in ${type}`, { type, reason: 'xattr-name' });
    }
    let name: string;
    try {
      name = UTF8D.decode(n.subarray(0, n.length - 1));
    } catch {
      name = String.fromCharCode(...n.subarray(0, n.length - 1));
    }
    return { name, value: v };
  });
}

// ---- dirmeta -------------------------------------------------------------------------------------

export interface DirMeta {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number; // full st_mode, S_IFDIR included
  readonly xattrs: readonly Xattr[];
}

export function validateDirMode(mode: number): void {
  if ((mode & S_IFMT) !== S_IFDIR || (mode & ~(S_IFMT | 0o7777)) !== 0) {
    throw new OstreeBadMode(`Invalid directory metadata mode 0${mode.toString(8)}`, { mode, what: 'dirmeta' });
  }
}

export function encodeDirMeta(meta: DirMeta): Uint8Array {
  validateDirMode(meta.mode);
  return encodeGVariant(DIRMETA_TYPE, [bswap32(meta.uid), bswap32(meta.gid), bswap32(meta.mode), encodeXattrs(meta.xattrs)]);
}

/** `options.requireNormal: false` skips the normal-form check (for bytes whose checksum was just verified). */
export function decodeDirMeta(bytes: Uint8Array, options?: DecodeOptions): DirMeta {
  const [uid, gid, mode, xattrs] = decodeGVariant(DIRMETA_TYPE, bytes, options) as [number, number, number, GVariantValue];
  const meta = { uid: bswap32(uid), gid: bswap32(gid), mode: bswap32(mode), xattrs: decodeXattrs(xattrs, 'dirmeta') };
  validateDirMode(meta.mode);
  return meta;
}

// ---- dirtree -------------------------------------------------------------------------------------

export interface DirTreeFile {
  readonly name: string;
  readonly checksum: string;
}
export interface DirTreeDir {
  readonly name: string;
  readonly treeChecksum: string;
  readonly metaChecksum: string;
}
export interface DirTree {
  readonly files: readonly DirTreeFile[];
  readonly dirs: readonly DirTreeDir[];
}

/** ot_util_filename_validate: no '', '.', '..', '/', and (here) valid UTF-8 by construction. */
export function validateFilename(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new OstreeBadFilename(
      name === '.' || name === '..' ? `Invalid self-reference ${JSON.stringify(name)} in filename` : `Invalid filename ${JSON.stringify(name)}`,
      { name },
    );
  }
}

export function encodeDirTree(tree: DirTree): Uint8Array {
  const files = [...tree.files].sort((a, b) => compareStrcmp(a.name, b.name));
  const dirs = [...tree.dirs].sort((a, b) => compareStrcmp(a.name, b.name));
  for (const f of files) validateFilename(f.name);
  for (const d of dirs) validateFilename(d.name);
  return encodeGVariant(DIRTREE_TYPE, [
    files.map((f) => [f.name, checksumToBytes(f.checksum)]),
    dirs.map((d) => [d.name, checksumToBytes(d.treeChecksum), checksumToBytes(d.metaChecksum)]),
  ]);
}

export function decodeDirTree(bytes: Uint8Array, options?: DecodeOptions): DirTree {
  return decodeDirTreeFast(bytes) ?? decodeDirTreeGeneric(bytes, options);
}

/** decodeDirTree() through the generic GVariant decoder only: the reference the fast path is tested against. */
export function decodeDirTreeGeneric(bytes: Uint8Array, options?: DecodeOptions): DirTree {
  const [files, dirs] = decodeGVariant(DIRTREE_TYPE, bytes, options) as [[string, Uint8Array][], [string, Uint8Array, Uint8Array][]];
  const seen = new Set<string>();
  const check = (name: string): void => {
    validateFilename(name);
    if (seen.has(name)) throw new OstreeBadObject(`Duplicate name ${JSON.stringify(name)} in dirtree`, { type: 'dirtree', reason: 'duplicate' });
    seen.add(name);
  };
  const out: DirTree = {
    files: files.map(([name, csum]) => {
      check(name);
      return { name, checksum: checksumFromBytes(csum) };
    }),
    dirs: dirs.map(([name, tree, meta]) => {
      check(name);
      return { name, treeChecksum: checksumFromBytes(tree), metaChecksum: checksumFromBytes(meta) };
    }),
  };
  return out;
}

// The dirtree fast path: pulls and deltas decode hundreds of dirtrees with tens of thousands of entries, and the
// generic decoder (values, then a re-encode for the normal-form check) cost ~0.4 ms per dirtree. `(a(say)a(sayay))`
// has alignment 1 everywhere, so its normal form is exactly: framing offsets of the width the enclosing
// container's size implies, contiguous elements, each string NUL-terminated without inner NUL, and
// (ostree) 32-byte checksums. Anything else returns undefined and the generic decoder decides (and names the
// error), so both paths accept exactly the same bytes (tested on mutations in objects.test.ts).

function offsetWidth(size: number): number {
  return size > 0xffffffff ? 8 : size > 0xffff ? 4 : size > 0xff ? 2 : size > 0 ? 1 : 0;
}

function readOffset(b: Uint8Array, at: number, w: number): number {
  let v = 0;
  for (let i = w - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return v;
}

/** Element boundaries [start, end) of an array of variable-size elements in b[s, e), or undefined. */
function arrayElements(b: Uint8Array, s: number, e: number): number[] | undefined {
  const size = e - s;
  if (size === 0) return [];
  const w = offsetWidth(size);
  if (size < w) return undefined;
  const dataEnd = readOffset(b, e - w, w);
  const table = size - dataEnd;
  if (dataEnd > size || table <= 0 || table % w !== 0) return undefined;
  const out: number[] = [];
  let prev = 0;
  for (let at = s + dataEnd; at < e; at += w) {
    const end = readOffset(b, at, w);
    if (end < prev || end > dataEnd) return undefined;
    out.push(s + prev, s + end);
    prev = end;
  }
  return out;
}

/** A NUL-terminated UTF-8 name in b[a, end) (end includes the NUL), or undefined. */
function fastName(b: Uint8Array, a: number, end: number): string | undefined {
  if (end <= a || b[end - 1] !== 0) return undefined;
  for (let i = a; i < end - 1; i++) if (b[i] === 0) return undefined;
  try {
    return UTF8D.decode(b.subarray(a, end - 1));
  } catch {
    return undefined;
  }
}

function decodeDirTreeFast(b: Uint8Array): DirTree | undefined {
  const n = b.length;
  const w0 = offsetWidth(n);
  if (w0 === 0 || n < w0) return undefined;
  const filesEnd = readOffset(b, n - w0, w0);
  if (filesEnd > n - w0) return undefined;
  const fileSpans = arrayElements(b, 0, filesEnd);
  const dirSpans = arrayElements(b, filesEnd, n - w0);
  if (fileSpans === undefined || dirSpans === undefined) return undefined;
  const seen = new Set<string>();
  const files: DirTreeFile[] = [];
  for (let i = 0; i < fileSpans.length; i += 2) {
    const a = fileSpans[i]!;
    const e = fileSpans[i + 1]!;
    const w = offsetWidth(e - a);
    if (e - a < w + 1) return undefined;
    const sEnd = a + readOffset(b, e - w, w);
    if (e - w - sEnd !== 32) return undefined;
    const name = fastName(b, a, sEnd);
    if (name === undefined) return undefined;
    validateFilename(name);
    if (seen.has(name)) throw new OstreeBadObject(`Duplicate name ${JSON.stringify(name)} in dirtree`, { type: 'dirtree', reason: 'duplicate' });
    seen.add(name);
    files.push({ name, checksum: bytesToHex(b.subarray(sEnd, sEnd + 32)) });
  }
  const dirs: DirTreeDir[] = [];
  for (let i = 0; i < dirSpans.length; i += 2) {
    const a = dirSpans[i]!;
    const e = dirSpans[i + 1]!;
    const w = offsetWidth(e - a);
    if (e - a < 2 * w + 1) return undefined;
    const sEnd = a + readOffset(b, e - w, w);
    const treeEnd = a + readOffset(b, e - 2 * w, w);
    if (treeEnd - sEnd !== 32 || e - 2 * w - treeEnd !== 32) return undefined;
    const name = fastName(b, a, sEnd);
    if (name === undefined) return undefined;
    validateFilename(name);
    if (seen.has(name)) throw new OstreeBadObject(`Duplicate name ${JSON.stringify(name)} in dirtree`, { type: 'dirtree', reason: 'duplicate' });
    seen.add(name);
    dirs.push({ name, treeChecksum: bytesToHex(b.subarray(sEnd, treeEnd)), metaChecksum: bytesToHex(b.subarray(treeEnd, treeEnd + 32)) });
  }
  return { files, dirs };
}

// ---- file headers --------------------------------------------------------------------------------

export interface FileHeader {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number; // S_IFREG or S_IFLNK plus permission bits
  readonly rdev?: number;
  readonly symlinkTarget: string; // '' for regular files
  readonly xattrs: readonly Xattr[];
}

export function validateFileMode(mode: number): void {
  const fmt = mode & S_IFMT;
  if ((fmt !== S_IFREG && fmt !== S_IFLNK) || (mode & ~(S_IFMT | 0o7777)) !== 0) {
    throw new OstreeBadMode(`Corrupted file object; invalid mode 0${mode.toString(8)}`, { mode, what: 'file' });
  }
}

function headerValue(h: FileHeader): GVariantValue[] {
  validateFileMode(h.mode);
  if ((h.mode & S_IFMT) === S_IFLNK && h.symlinkTarget === '') {
    throw new OstreeBadObject('Symlink has an empty target', { type: 'file', reason: 'symlink-target' });
  }
  return [bswap32(h.uid), bswap32(h.gid), bswap32(h.mode), h.rdev ?? 0, h.symlinkTarget, encodeXattrs(h.xattrs)];
}

/** The serialised `(uuuusa(ayay))` header alone. */
export function encodeFileHeader(h: FileHeader): Uint8Array {
  return encodeGVariant(FILE_HEADER_TYPE, headerValue(h));
}

/** `[u32 BE length][4 zero bytes][header]`: what precedes the content in the checksummed stream. */
export function fileStreamPrefix(h: FileHeader): Uint8Array {
  return framed(encodeFileHeader(h));
}

function framed(header: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length);
  new DataView(out.buffer).setUint32(0, header.length, false);
  out.set(header, 8);
  return out;
}

function headerFromValue(v: GVariantValue[], offset: number): FileHeader {
  const [uid, gid, mode, rdev, target, xattrs] = v.slice(offset) as [number, number, number, number, string, GVariantValue];
  const h: FileHeader = { uid: bswap32(uid), gid: bswap32(gid), mode: bswap32(mode), rdev, symlinkTarget: target, xattrs: decodeXattrs(xattrs, 'file') };
  validateFileMode(h.mode);
  return h;
}

/** Splits a content stream (or a `.filez`) into its header and the offset where content starts. */
function unframe(bytes: Uint8Array, what: string): { header: Uint8Array; contentOffset: number } {
  if (bytes.length < 8) throw new OstreeBadObject(`File header of ${what} is truncated`, { type: 'file', reason: 'truncated' });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = dv.getUint32(0, false);
  if (dv.getUint32(4, false) !== 0 || 8 + len > bytes.length) {
    throw new OstreeBadObject(`File header of ${what} has a bad length ${len}`, { type: 'file', reason: 'header-length' });
  }
  return { header: bytes.subarray(8, 8 + len), contentOffset: 8 + len };
}

export function decodeFileStream(bytes: Uint8Array): { header: FileHeader; contentOffset: number } {
  const { header, contentOffset } = unframe(bytes, 'content stream');
  return { header: headerFromValue(decodeGVariant(FILE_HEADER_TYPE, header) as GVariantValue[], 0), contentOffset };
}

/** Archive (`.filez`) header: `(tuuuusa(ayay))` with the uncompressed size first (0 for symlinks). */
export function encodeArchiveHeader(h: FileHeader, size: number): Uint8Array {
  return framed(encodeGVariant(ZLIB_FILE_HEADER_TYPE, [bswap64(BigInt(size)), ...headerValue(h)]));
}

export function decodeArchiveHeader(bytes: Uint8Array): { header: FileHeader; size: number; contentOffset: number } {
  const { header, contentOffset } = unframe(bytes, '.filez');
  const v = decodeGVariant(ZLIB_FILE_HEADER_TYPE, header) as GVariantValue[];
  const size = bswap64(v[0] as bigint);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new OstreeBadObject('Archive header size is out of range', { type: 'file', reason: 'size' });
  return { header: headerFromValue(v, 1), size: Number(size), contentOffset };
}

/** bare-user's `user.ostreemeta` xattr value: `(uuua(ayay))`, uid, gid and mode big-endian. */
export function encodeOstreeMeta(h: Pick<FileHeader, 'uid' | 'gid' | 'mode' | 'xattrs'>): Uint8Array {
  return encodeGVariant(OSTREEMETA_TYPE, [bswap32(h.uid), bswap32(h.gid), bswap32(h.mode), encodeXattrs(h.xattrs)]);
}

export function decodeOstreeMeta(bytes: Uint8Array): { uid: number; gid: number; mode: number; xattrs: Xattr[] } {
  const [uid, gid, mode, xattrs] = decodeGVariant(OSTREEMETA_TYPE, bytes) as [number, number, number, GVariantValue];
  const out = { uid: bswap32(uid), gid: bswap32(gid), mode: bswap32(mode), xattrs: decodeXattrs(xattrs, 'user.ostreemeta') };
  validateFileMode(out.mode);
  return out;
}

// ---- commit --------------------------------------------------------------------------------------

export interface Commit {
  readonly metadata: VardictEntries;
  readonly parent: string | undefined;
  readonly related: ReadonlyArray<{ readonly name: string; readonly checksum: string }>;
  readonly subject: string;
  readonly body: string;
  readonly timestamp: number; // seconds since the epoch, UTC
  readonly rootTree: string;
  readonly rootMeta: string;
}

function validateVardict(dict: VardictEntries, type: string): void {
  for (const [k] of dict) {
    if (k === '') throw new OstreeBadObject(`Empty metadata key in ${type}`, { type, reason: 'empty-key' });
  }
}

export function encodeCommit(c: Commit): Uint8Array {
  validateVardict(c.metadata, 'commit');
  return encodeGVariant(COMMIT_TYPE, [
    c.metadata as GVariantValue,
    c.parent === undefined ? new Uint8Array(0) : checksumToBytes(c.parent),
    c.related.map((r) => [r.name, checksumToBytes(r.checksum)]),
    c.subject,
    c.body,
    bswap64(BigInt(c.timestamp)),
    checksumToBytes(c.rootTree),
    checksumToBytes(c.rootMeta),
  ]);
}

export function decodeCommit(bytes: Uint8Array): Commit {
  const [metadata, parent, related, subject, body, ts, tree, meta] = decodeGVariant(COMMIT_TYPE, bytes) as [
    [string, Variant][], Uint8Array, [string, Uint8Array][], string, string, bigint, Uint8Array, Uint8Array,
  ];
  validateVardict(metadata, 'commit');
  if (parent.length !== 0 && parent.length !== 32) {
    throw new OstreeBadObject(`Invalid parent checksum of length ${parent.length}`, { type: 'commit', reason: 'parent' });
  }
  return {
    metadata,
    parent: parent.length === 0 ? undefined : bytesToHex(parent),
    related: related.map(([name, c]) => ({ name, checksum: checksumFromBytes(c) })),
    subject,
    body,
    timestamp: Number(BigInt.asIntN(64, bswap64(ts))),
    rootTree: checksumFromBytes(tree),
    rootMeta: checksumFromBytes(meta),
  };
}

/** What `ostree log` calls ContentChecksum: SHA-256 over the root dirtree and dirmeta checksums. */
export function commitContentInput(c: Pick<Commit, 'rootTree' | 'rootMeta'>): Uint8Array {
  const out = new Uint8Array(64);
  out.set(checksumToBytes(c.rootTree));
  out.set(checksumToBytes(c.rootMeta), 32);
  return out;
}

// ---- detached metadata, tombstones, plain vardicts -----------------------------------------------

/** `.commitmeta` and `summary.sig`: an `a{sv}`. A zero-length file reads as empty (ostree 2022.7 writes those). */
export function decodeVardict(bytes: Uint8Array): VardictEntries {
  if (bytes.length === 0) return [];
  const v = decodeGVariant(VARDICT_TYPE, bytes) as [string, Variant][];
  return v;
}

export function encodeVardict(dict: VardictEntries): Uint8Array {
  return encodeGVariant(VARDICT_TYPE, dict as GVariantValue);
}


// ---- summary -------------------------------------------------------------------------------------

export interface SummaryRef {
  readonly name: string;
  readonly commitSize: number;
  readonly checksum: string;
  readonly metadata: VardictEntries;
}
export interface Summary {
  readonly refs: readonly SummaryRef[];
  readonly metadata: VardictEntries;
}

export function encodeSummary(s: Summary): Uint8Array {
  const refs = [...s.refs].sort((a, b) => compareStrcmp(a.name, b.name));
  return encodeGVariant(SUMMARY_TYPE, [
    refs.map((r) => [r.name, [BigInt(r.commitSize), checksumToBytes(r.checksum), r.metadata as GVariantValue]]),
    s.metadata as GVariantValue,
  ]);
}

export function decodeSummary(bytes: Uint8Array): Summary {
  const [refs, metadata] = decodeGVariant(SUMMARY_TYPE, bytes) as [[string, [bigint, Uint8Array, [string, Variant][]]][], [string, Variant][]];
  return {
    refs: refs.map(([name, [size, csum, meta]]) => ({ name, commitSize: Number(size), checksum: checksumFromBytes(csum), metadata: meta })),
    metadata,
  };
}
