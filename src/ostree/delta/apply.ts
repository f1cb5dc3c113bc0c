import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../../core/index.js';
import { decodeXattrs, encodeVardict, S_IFLNK, S_IFMT, type FileHeader } from '../../formats/ostree/index.js';
import * as delta from '../../formats/delta/index.js';
import { vardictGet, type GVariantValue, type VardictEntries } from '../../formats/gvariant/index.js';
import { StaticDeltaBadOps, StaticDeltaChecksumMismatch, StaticDeltaMissingObject, StaticDeltaNotFound } from './errors.js';
import { sha256Hex, type LooseStore } from './store.js';
import { xzDecompress } from './xz.js';

/**
 * Executes a static delta into a repository, as `static-delta apply-offline` and delta pulls do:
 * each part is checked against the SHA-256 in the superblock before it is decompressed, every
 * object its ops produce is checksummed before it is stored, and the embedded commit (with its
 * detached metadata) is written only after all parts and fallbacks, so a commit never appears
 * before its tree. Refs are not touched.
 */

const UTF8D = new TextDecoder();
const OBJTYPE_NAME: Readonly<Record<number, 'file' | 'dirtree' | 'dirmeta' | 'commit'>> = { 1: 'file', 2: 'dirtree', 3: 'dirmeta', 4: 'commit' };

export interface LoadedSuperblock {
  readonly superblock: delta.Superblock;
  /** SHA-256 of the superblock file as stored (what summaries and delta indexes record). */
  readonly checksum: string;
  /** Signatures when the superblock was signed (`(taya{sv})` wrapper). */
  readonly signatures?: VardictEntries;
  /** The bytes those signatures cover: the superblock inside the wrapper. */
  readonly signedData?: Uint8Array;
  readonly name: string;
}

export function parseSuperblockFile(bytes: Uint8Array): LoadedSuperblock {
  const checksum = sha256Hex(bytes);
  let inner = bytes;
  let signatures: VardictEntries | undefined;
  if (delta.isSignedSuperblock(bytes)) {
    const s = delta.decodeSignedSuperblock(bytes);
    inner = s.superblock;
    signatures = s.signatures;
  }
  const superblock = delta.decodeSuperblock(inner);
  const commitSum = sha256Hex(superblock.commit);
  if (commitSum !== superblock.to) {
    throw new StaticDeltaChecksumMismatch(`Delta superblock embeds commit ${commitSum}, expected ${superblock.to}`, {
      name: delta.formatDeltaName(superblock.from, superblock.to),
      what: 'commit',
      expected: superblock.to,
      actual: commitSum,
    });
  }
  return { superblock, checksum, ...(signatures !== undefined ? { signatures, signedData: inner } : {}), name: delta.formatDeltaName(superblock.from, superblock.to) };
}

/** Where a delta's parts come from: the repo, an inline superblock, or HTTP. */
export type PartFetcher = (index: number, header: delta.PartHeader) => Promise<Uint8Array>;

export interface ApplyOptions {
  /** Returns a part file's bytes; default: inline parts, else a directory next to the superblock. */
  readonly fetchPart?: PartFetcher;
  /**
   * Part 0 already being opened (see openPart()) by the caller, e.g. started while the caller still had
   * other work to do: its decompression overlaps with that work.
   */
  readonly firstPartOpened?: Promise<Uint8Array>;
  /** Fetches and stores a fallback object (pulls); without it a missing fallback is an error. */
  readonly fetchFallback?: (object: delta.FallbackObject) => Promise<void>;
  /** Called after each part is applied. */
  readonly onPart?: (index: number, header: delta.PartHeader, skipped: boolean) => void;
  /** Write the embedded commit and its detached metadata at the end (default true). */
  readonly writeCommit?: boolean;
}

export interface ApplyResult {
  readonly name: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly partsApplied: number;
  readonly partsSkipped: number;
  readonly objectsWritten: number;
}

function inlinePart(sb: delta.Superblock, index: number): Uint8Array | undefined {
  const v = vardictGet(sb.metadata, delta.deltaRelativePath(sb.from, sb.to, String(index)));
  if (v === undefined) return undefined;
  const [compression, body] = v.value as readonly [number, Uint8Array];
  return delta.joinPartFile(compression, body);
}

/** Detached metadata of the to-commit carried in the superblock, if any. */
export function superblockCommitMeta(sb: delta.Superblock): VardictEntries | undefined {
  const v = vardictGet(sb.metadata, delta.deltaRelativePath(sb.from, sb.to, 'commitmeta'));
  return v === undefined ? undefined : (v.value as unknown as VardictEntries);
}

export async function applyStaticDelta(store: LooseStore, loaded: LoadedSuperblock, options: ApplyOptions = {}): Promise<ApplyResult> {
  const sb = loaded.superblock;
  const name = loaded.name;
  if (sb.from !== undefined && !(await store.has('commit', sb.from))) {
    throw new StaticDeltaMissingObject(`Commit ${sb.from} is not in the repository; delta ${name} applies on top of it`, { name, checksum: sb.from, type: 'commit' });
  }
  let partsApplied = 0;
  let partsSkipped = 0;
  let objectsWritten = 0;
  // Part i+1 is fetched, verified and decompressed (the xz process) while part i is applied: at most
  // two decompressed parts in memory.
  const open = (i: number): Promise<Uint8Array> => startOpeningPart(loaded, i, options.fetchPart);
  let ahead: { index: number; bytes: Promise<Uint8Array> } | undefined =
    options.firstPartOpened === undefined ? undefined : { index: 0, bytes: options.firstPartOpened };
  options.firstPartOpened?.catch(() => undefined);
  for (let i = 0; i < sb.parts.length; i++) {
    const header = sb.parts[i]!;
    let have = true;
    for (const o of header.objects) {
      if (!(await store.has(OBJTYPE_NAME[o.objtype] ?? 'file', o.checksum))) {
        have = false;
        break;
      }
    }
    if (have) {
      partsSkipped++;
      options.onPart?.(i, header, true);
      continue;
    }
    const bytes = ahead?.index === i ? ahead.bytes : open(i);
    ahead = i + 1 < sb.parts.length ? { index: i + 1, bytes: open(i + 1) } : undefined;
    objectsWritten += await runPart(store, name, i, header, await bytes);
    partsApplied++;
    options.onPart?.(i, header, false);
  }
  const fallbacks: delta.FallbackObject[] = [];
  for (const f of sb.fallbacks) {
    const type = OBJTYPE_NAME[f.objtype] ?? 'file';
    if (await store.has(type, f.checksum)) continue;
    if (options.fetchFallback === undefined) {
      throw new StaticDeltaMissingObject(`Delta ${name} needs fallback ${type} object ${f.checksum}, which the repository lacks`, { name, checksum: f.checksum, type });
    }
    fallbacks.push(f);
  }
  // Fallbacks are whole objects fetched one by one: keep several in flight (the fetcher bounds connections).
  let next = 0;
  let failed = false;
  const results = await Promise.allSettled(Array.from({ length: Math.min(32, fallbacks.length) }, async () => {
    while (next < fallbacks.length && !failed) {
      try {
        await options.fetchFallback!(fallbacks[next++]!);
      } catch (err) {
        failed = true; // the other workers stop after their current object
        throw err;
      }
      objectsWritten++;
    }
  }));
  const rejected = results.find((r) => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
  if (options.writeCommit ?? true) {
    const detached = superblockCommitMeta(sb);
    if (detached !== undefined) await store.writeMeta('commitmeta', sb.to, encodeVardict(detached));
    if (!(await store.has('commit', sb.to))) {
      await store.writeMeta('commit', sb.to, sb.commit);
      objectsWritten++;
    }
  }
  return { name, from: sb.from, to: sb.to, partsApplied, partsSkipped, objectsWritten };
}

/**
 * Part `index` of a delta fetched (inline, else through `fetchPart`) and opened (openPart()), started now; a
 * rejection is left for whoever awaits it (never an unhandled one).
 */
export function startOpeningPart(loaded: LoadedSuperblock, index: number, fetchPart: PartFetcher | undefined): Promise<Uint8Array> {
  const sb = loaded.superblock;
  const header = sb.parts[index]!;
  const p = (async () => {
    const file = inlinePart(sb, index) ?? (fetchPart === undefined ? undefined : await fetchPart(index, header));
    if (file === undefined) throw new StaticDeltaNotFound(`Part ${index} of delta ${loaded.name} is missing`, { name: loaded.name });
    return openPart(loaded.name, index, header, file);
  })();
  p.catch(() => undefined);
  return p;
}

/** A part file checked against its header's checksum, then decompressed: the payload runPart() takes. */
async function openPart(name: string, index: number, header: delta.PartHeader, file: Uint8Array): Promise<Uint8Array> {
  const actual = sha256Hex(file);
  if (actual !== header.checksum) {
    throw new StaticDeltaChecksumMismatch(`Part ${index} of delta ${name} is corrupt: checksum expected=${header.checksum} actual=${actual}`, {
      name,
      what: `part ${index}`,
      expected: header.checksum,
      actual,
    });
  }
  const { compression, body } = delta.splitPartFile(file);
  return compression === delta.COMPRESSION_XZ ? xzDecompress(body) : body;
}

/** Runs the ops of a verified, decompressed part payload. Returns objects written. */
async function runPart(store: LooseStore, name: string, index: number, header: delta.PartHeader, bytes: Uint8Array): Promise<number> {
  // header.uncompressedSize is the total size of the objects the part produces (ostree's
  // "usize"), not of the payload; the ops are checked object by object instead.
  const part = delta.decodePartPayload(bytes);
  const objects = header.objects;
  const bad = (reason: string): never => {
    throw new StaticDeltaBadOps(`Part ${index} of delta ${name}: ${reason}`, { name, part: index, reason });
  };
  const payload = part.payload;
  const slice = (off: number, len: number): Uint8Array => {
    if (off + len > payload.length) bad(`op reads past the payload (${off}+${len} > ${payload.length})`);
    return payload.subarray(off, off + len);
  };
  const headerOf = (modeIdx: number, xattrIdx: number, target = ''): FileHeader => {
    const m = part.modes[modeIdx] ?? bad(`mode index ${modeIdx} out of range`);
    const x = part.xattrs[xattrIdx] ?? bad(`xattr index ${xattrIdx} out of range`);
    return { uid: m.uid, gid: m.gid, mode: m.mode, symlinkTarget: target, xattrs: decodeXattrs(x as unknown as GVariantValue, 'delta part') };
  };

  // Object writes are I/O-bound and independent: keep up to 16 in flight, settle at the end.
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  const queue = async (write: () => Promise<void>): Promise<void> => {
    if (failure !== undefined) throw failure;
    while (inflight.size >= 16) await Promise.race(inflight);
    const p: Promise<void> = write()
      .catch((err: unknown) => {
        if (failure === undefined) failure = err;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  let objIdx = 0;
  let written = 0;
  let readSource: Uint8Array | undefined;
  let open: { header: FileHeader; size: number; chunks: Uint8Array[]; length: number } | undefined;
  const nextObject = (): delta.ObjectRef => objects[objIdx] ?? bad('more ops than objects');
  const isMeta = (): boolean => (objects[objIdx]?.objtype ?? 1) !== 1;
  const storeContent = (checksum: string, h: FileHeader, content: Uint8Array): Promise<void> =>
    queue(async () => {
      if (await store.has('file', checksum)) return;
      await store.writeContent(checksum, { header: h, content });
      written++;
    });

  for (const op of delta.decodeOps(part.ops, isMeta)) {
    switch (op.op) {
      case 'splice-meta': {
        const o = nextObject();
        const type = OBJTYPE_NAME[o.objtype] ?? bad(`unknown object type ${o.objtype}`);
        const bytes = slice(op.off, op.len);
        await queue(async () => {
          if (!(await store.has(type, o.checksum))) {
            await store.writeMeta(type, o.checksum, bytes);
            written++;
          }
        });
        objIdx++;
        break;
      }
      case 'splice-content': {
        const o = nextObject();
        const data = slice(op.off, op.size);
        const m = part.modes[op.modeIdx] ?? bad(`mode index ${op.modeIdx} out of range`);
        const link = (m.mode & S_IFMT) === S_IFLNK;
        const h = headerOf(op.modeIdx, op.xattrIdx, link ? UTF8D.decode(data) : '');
        await storeContent(o.checksum, h, link ? new Uint8Array(0) : data);
        objIdx++;
        break;
      }
      case 'open':
        if (open !== undefined) bad('open while another object is open');
        open = { header: headerOf(op.modeIdx, op.xattrIdx), size: op.size, chunks: [], length: 0 };
        break;
      case 'write': {
        if (open === undefined) bad('write without open');
        const src = readSource ?? payload;
        if (op.off + op.len > src.length) bad('write reads past its source');
        open!.chunks.push(src.subarray(op.off, op.off + op.len));
        open!.length += op.len;
        break;
      }
      case 'set-read-source': {
        const csum = Buffer.from(slice(op.off, 32)).toString('hex');
        try {
          readSource = (await store.readContent(csum)).content;
        } catch (err) {
          if (isErrno(err, 'ENOENT') || (err as { code?: string }).code === 'REPO_OBJECT_NOT_FOUND') {
            throw new StaticDeltaMissingObject(`Delta ${name} reads from object ${csum}, which the repository lacks`, { name, checksum: csum, type: 'file' }, { cause: err });
          }
          throw err;
        }
        break;
      }
      case 'unset-read-source':
        readSource = undefined;
        break;
      case 'bspatch': {
        if (open === undefined || readSource === undefined) bad('bspatch needs an open object and a read source');
        const out = delta.bspatch(readSource!, slice(op.off, op.len), open!.size);
        open!.chunks.push(out);
        open!.length += out.length;
        break;
      }
      case 'close': {
        if (open === undefined) bad('close without open');
        const o = nextObject();
        if (open!.length !== open!.size) bad(`object ${o.checksum} has ${open!.length} bytes, expected ${open!.size}`);
        const content = open!.chunks.length === 1 ? open!.chunks[0]! : Buffer.concat(open!.chunks);
        await storeContent(o.checksum, open!.header, content);
        open = undefined;
        readSource = undefined;
        objIdx++;
        break;
      }
    }
  }
  await Promise.all(inflight);
  if (failure !== undefined) throw failure;
  if (objIdx !== objects.length) bad(`ops produced ${objIdx} of ${objects.length} objects`);
  return written;
}

/** Reads a delta from a path: a directory with `superblock` (+ parts), or a single inline file. */
export async function loadDeltaFromPath(path: string): Promise<{ loaded: LoadedSuperblock; fetchPart: PartFetcher }> {
  let bytes: Uint8Array;
  let dir: string | undefined;
  try {
    bytes = await readFile(join(path, 'superblock'));
    dir = path;
  } catch (err) {
    if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
    try {
      bytes = await readFile(path);
    } catch (err2) {
      if (isErrno(err2, 'ENOENT') || isErrno(err2, 'EISDIR')) throw new StaticDeltaNotFound(`No static delta at ${JSON.stringify(path)}`, { name: path }, { cause: err2 });
      throw err2;
    }
  }
  const loaded = parseSuperblockFile(new Uint8Array(bytes));
  const fetchPart: PartFetcher = async (i) => {
    if (dir === undefined) throw new StaticDeltaNotFound(`Part ${i} of delta ${loaded.name} is not inline and ${JSON.stringify(path)} is a file`, { name: loaded.name });
    return new Uint8Array(await readFile(join(dir, String(i))));
  };
  return { loaded, fetchPart };
}
