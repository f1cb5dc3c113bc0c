import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/index.js';
import { decodeVardict, encodeXattrs, type FileHeader } from '../../formats/ostree/index.js';
import * as delta from '../../formats/delta/index.js';
import { variant, type VardictEntries, type Variant } from '../../formats/gvariant/index.js';
import { isSymlinkHeader, sha256Hex, type ContentObject, type LooseStore } from './store.js';
import { walkCommit, type CommitObjects } from './walk.js';
import { xzCompress } from './xz.js';

/**
 * `static-delta generate`: the objects of `to` that `from` lacks, packed into xz-compressed
 * parts of ostree's bytecode. Metadata is spliced whole; a changed file whose old version sits
 * at the same path (or has the same basename and a size within 30%) becomes a bsdiff against it
 * when that is clearly smaller; other files are spliced. Large new files go to the fallback list
 * (fetched as plain objects) unless `minFallbackSize` is 0.
 */
export interface GenerateOptions {
  /** Undefined: a from-scratch ("empty") delta. */
  readonly from?: string;
  readonly to: string;
  /** Embed the parts in the superblock (`--inline`). */
  readonly inline?: boolean;
  /** Start a new part when the payload exceeds this many bytes (ostree: 32 MB). */
  readonly maxChunkSize?: number;
  /** New files above this many bytes become fallbacks; 0 disables (ostree: 4 MB). */
  readonly minFallbackSize?: number;
  /** Write a standalone inline delta to this file instead of into the repo (`--filename`). */
  readonly filename?: string;
  readonly disableBsdiff?: boolean;
  /** xz preset (0–9; default 6: as small as 8–9 on delta parts, twice as fast); ostree uses 8. */
  readonly xzPreset?: number;
  /** Extra superblock metadata. */
  readonly metadata?: ReadonlyArray<readonly [string, Variant]>;
  /** Seconds since the epoch written into the superblock (default: now). */
  readonly timestamp?: number;
  /**
   * Signs the superblock (`--sign`): returns the signatures dictionary (`ostree.sign.ed25519`,
   * …) over the superblock bytes, which are then wrapped as ostree's signed superblock
   * `(taya{sv})`. Injected so that deltas do not depend on the signing engines.
   */
  readonly signSuperblock?: (superblock: Uint8Array) => Promise<VardictEntries>;
}

export interface GenerateResult {
  readonly name: string;
  /** Path of the superblock (or of the `--filename` file). */
  readonly path: string;
  readonly superblockChecksum: string;
  readonly parts: number;
  readonly fallbacks: number;
  readonly objects: number;
  readonly totalSize: number;
  readonly stats: { readonly bsdiff: number; readonly spliced: number; readonly meta: number };
}

const OBJTYPE: Readonly<Record<'file' | 'dirtree' | 'dirmeta', number>> = { file: 1, dirtree: 2, dirmeta: 3 };

interface PartBuilder {
  readonly modes: Array<{ uid: number; gid: number; mode: number }>;
  readonly modeIndex: Map<string, number>;
  readonly xattrs: Array<ReadonlyArray<readonly [Uint8Array, Uint8Array]>>;
  readonly xattrIndex: Map<string, number>;
  readonly chunks: Uint8Array[];
  size: number;
  readonly ops: delta.OpWriter;
  readonly objects: delta.ObjectRef[];
  /** Sum of the sizes of the objects this part produces (ostree's part "usize"). */
  objectBytes: number;
}

function newPart(): PartBuilder {
  return { modes: [], modeIndex: new Map(), xattrs: [], xattrIndex: new Map(), chunks: [], size: 0, ops: new delta.OpWriter(), objects: [], objectBytes: 0 };
}

function addPayload(p: PartBuilder, bytes: Uint8Array): number {
  const off = p.size;
  p.chunks.push(bytes);
  p.size += bytes.length;
  return off;
}

function modeIdx(p: PartBuilder, h: FileHeader): number {
  const key = `${h.uid}:${h.gid}:${h.mode}`;
  let i = p.modeIndex.get(key);
  if (i === undefined) {
    i = p.modes.length;
    p.modes.push({ uid: h.uid, gid: h.gid, mode: h.mode });
    p.modeIndex.set(key, i);
  }
  return i;
}

function xattrIdx(p: PartBuilder, h: FileHeader): number {
  const list = encodeXattrs(h.xattrs) as unknown as Array<readonly [Uint8Array, Uint8Array]>;
  const key = list.map(([n, v]) => `${Buffer.from(n).toString('hex')}=${Buffer.from(v).toString('hex')}`).join(',');
  let i = p.xattrIndex.get(key);
  if (i === undefined) {
    i = p.xattrs.length;
    p.xattrs.push(list);
    p.xattrIndex.set(key, i);
  }
  return i;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function raw(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Pairs new files with an old version to diff against: same path first, then same basename. */
class SourceFinder {
  readonly #byPath = new Map<string, string>();
  readonly #byName = new Map<string, string[]>();
  readonly #store: LooseStore;
  readonly #cache = new Map<string, ContentObject | null>();

  constructor(store: LooseStore, from: CommitObjects | undefined) {
    this.#store = store;
    if (from === undefined) return;
    for (const [csum, path] of from.files) {
      this.#byPath.set(path, csum);
      const list = this.#byName.get(basename(path)) ?? [];
      if (list.length < 8) list.push(csum);
      this.#byName.set(basename(path), list);
    }
  }

  async #read(csum: string): Promise<ContentObject | null> {
    let c = this.#cache.get(csum);
    if (c === undefined) {
      const obj = await this.#store.readContent(csum);
      // ostree only reads world-readable old objects as sources
      c = isSymlinkHeader(obj.header) || (obj.header.mode & 0o004) === 0 ? null : obj;
      if (this.#cache.size > 64) this.#cache.clear();
      this.#cache.set(csum, c);
    }
    return c;
  }

  async find(path: string, size: number): Promise<{ checksum: string; content: Uint8Array } | undefined> {
    const candidates: string[] = [];
    const same = this.#byPath.get(path);
    if (same !== undefined) candidates.push(same);
    for (const c of this.#byName.get(basename(path)) ?? []) if (c !== same) candidates.push(c);
    for (const c of candidates) {
      const obj = await this.#read(c);
      if (obj === null) continue;
      const len = obj.content.length;
      if (c === same || (len >= size * 0.7 && len <= size * 1.3)) return { checksum: c, content: obj.content };
    }
    return undefined;
  }
}

/** Rough cost of a bsdiff stream after compression: diff bytes that are not zero, plus literals. */
function patchCost(patch: Uint8Array): number {
  let cost = 0;
  let p = 0;
  while (p + 24 <= patch.length) {
    const add = readLe(patch, p);
    const extra = readLe(patch, p + 8);
    p += 24;
    for (let i = 0; i < add; i++) if (patch[p + i] !== 0) cost++;
    p += add;
    cost += extra + 4;
    p += extra;
  }
  return cost;
}

function readLe(buf: Uint8Array, pos: number): number {
  let y = buf[pos + 7]! & 0x7f;
  for (let i = 6; i >= 0; i--) y = y * 256 + buf[pos + i]!;
  return y;
}

export async function generateStaticDelta(store: LooseStore, options: GenerateOptions): Promise<GenerateResult> {
  const { from, to } = options;
  const name = delta.formatDeltaName(from, to);
  const maxChunk = options.maxChunkSize ?? 32 * 1000 * 1000;
  const minFallback = options.minFallbackSize ?? 4 * 1000 * 1000;
  const toObjects = await walkCommit(store, to);
  const fromObjects = from === undefined ? undefined : await walkCommit(store, from);
  const commitBytes = await store.readMeta('commit', to);

  const meta: Array<{ type: 'dirtree' | 'dirmeta'; checksum: string }> = [];
  for (const c of toObjects.dirtrees.keys()) if (!fromObjects?.dirtrees.has(c)) meta.push({ type: 'dirtree', checksum: c });
  for (const c of toObjects.dirmetas) if (!fromObjects?.dirmetas.has(c)) meta.push({ type: 'dirmeta', checksum: c });
  const newFiles: Array<[string, string]> = [];
  for (const [c, path] of toObjects.files) if (!fromObjects?.files.has(c)) newFiles.push([c, path]);

  const finder = new SourceFinder(store, fromObjects);
  const parts: PartBuilder[] = [newPart()];
  const current = (): PartBuilder => parts[parts.length - 1]!;
  const roll = (): void => {
    if (current().size >= maxChunk) parts.push(newPart());
  };
  const stats = { bsdiff: 0, spliced: 0, meta: 0 };

  for (const m of meta) {
    const bytes = await store.readMeta(m.type, m.checksum);
    const p = current();
    const off = addPayload(p, bytes);
    p.ops.spliceMeta(bytes.length, off);
    p.objects.push({ objtype: OBJTYPE[m.type], checksum: m.checksum });
    p.objectBytes += bytes.length;
    stats.meta++;
    roll();
  }

  const fallbacks: delta.FallbackObject[] = [];
  const plain: Array<{ checksum: string; obj: ContentObject }> = [];
  const links: Array<{ checksum: string; obj: ContentObject }> = [];
  // Reading and diffing is I/O-bound: prepare files a batch at a time, append them in order.
  type Prepared =
    | { kind: 'link' | 'plain'; checksum: string; obj: ContentObject }
    | { kind: 'bsdiff'; checksum: string; obj: ContentObject; source: string; patch: Uint8Array }
    | { kind: 'fallback'; checksum: string; size: number; compressed: number };
  const prepare = async ([checksum, path]: [string, string]): Promise<Prepared> => {
    const obj = await store.readContent(checksum);
    if (isSymlinkHeader(obj.header)) return { kind: 'link', checksum, obj };
    const size = obj.content.length;
    const name = basename(path);
    const diffable = fromObjects !== undefined && options.disableBsdiff !== true && size > 0 && !name.endsWith('.xz') && !name.endsWith('.bz2');
    const source = diffable ? await finder.find(path, size) : undefined;
    if (source !== undefined) {
      const patch = delta.bsdiff(source.content, obj.content);
      if (patchCost(patch) < size / 2) return { kind: 'bsdiff', checksum, obj, source: source.checksum, patch };
    }
    if (minFallback > 0 && size > minFallback) return { kind: 'fallback', checksum, size, compressed: (await store.readFilez(checksum)).length };
    return { kind: 'plain', checksum, obj };
  };
  for (let i = 0; i < newFiles.length; i += 16) {
    const batch = await Promise.all(newFiles.slice(i, i + 16).map(prepare));
    for (const item of batch) {
      if (item.kind === 'link') links.push({ checksum: item.checksum, obj: item.obj });
      else if (item.kind === 'plain') plain.push({ checksum: item.checksum, obj: item.obj });
      else if (item.kind === 'fallback') fallbacks.push({ objtype: 1, checksum: item.checksum, compressedSize: item.compressed, uncompressedSize: item.size });
      else if (item.kind === 'bsdiff') {
        const p = current();
        const size = item.obj.content.length;
        const srcOff = addPayload(p, raw(item.source));
        const patchOff = addPayload(p, item.patch);
        p.ops.setReadSource(srcOff);
        p.ops.open(modeIdx(p, item.obj.header), xattrIdx(p, item.obj.header), size);
        p.ops.bspatch(patchOff, item.patch.length);
        p.ops.close();
        p.ops.unsetReadSource();
        p.objects.push({ objtype: 1, checksum: item.checksum });
        p.objectBytes += size;
        stats.bsdiff++;
        roll();
      }
    }
  }
  for (const { checksum, obj } of [...plain, ...links]) {
    const p = current();
    const data = isSymlinkHeader(obj.header) ? new TextEncoder().encode(obj.header.symlinkTarget) : obj.content;
    const off = addPayload(p, data);
    p.ops.spliceContent(modeIdx(p, obj.header), xattrIdx(p, obj.header), data.length, off);
    p.objects.push({ objtype: 1, checksum });
    p.objectBytes += data.length;
    stats.spliced++;
    roll();
  }
  if (current().objects.length === 0 && parts.length > 1) parts.pop();

  const partFiles: Uint8Array[] = [];
  const headers: delta.PartHeader[] = [];
  for (const p of parts) {
    if (p.objects.length === 0) continue;
    const payload = new Uint8Array(p.size);
    let pos = 0;
    for (const c of p.chunks) {
      payload.set(c, pos);
      pos += c.length;
    }
    const body = delta.encodePartPayload({ modes: p.modes, xattrs: p.xattrs, payload, ops: p.ops.toBytes() });
    const xz = await xzCompress(body, options.xzPreset ?? 6);
    const file = xz.length < body.length ? delta.joinPartFile(delta.COMPRESSION_XZ, xz) : delta.joinPartFile(delta.COMPRESSION_NONE, body);
    partFiles.push(file);
    headers.push({ version: 0, checksum: sha256Hex(file), compressedSize: file.length, uncompressedSize: p.objectBytes, objects: p.objects });
  }

  const inline = options.inline === true || options.filename !== undefined;
  const metadata: Array<readonly [string, Variant]> = [...(options.metadata ?? [])];
  if (inline) {
    partFiles.forEach((file, i) => {
      metadata.push([delta.deltaRelativePath(from, to, String(i)), variant('(yay)', [file[0]!, file.subarray(1)])]);
    });
  }
  const detached = await store.readMetaOptional('commitmeta', to);
  if (detached !== undefined && detached.length > 0) {
    metadata.push([delta.deltaRelativePath(from, to, 'commitmeta'), variant('a{sv}', decodeVardict(detached).map(([k, v]) => [k, v]))]);
  }
  const unsigned = delta.encodeSuperblock({
    metadata,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    from,
    to,
    commit: commitBytes,
    parts: headers,
    fallbacks,
  });
  // ostree static-delta generate --sign: the file becomes (magic, superblock, signatures)
  const superblock = options.signSuperblock === undefined
    ? unsigned
    : delta.encodeSignedSuperblock({ superblock: unsigned, signatures: await options.signSuperblock(unsigned) });

  let path: string;
  let totalSize = superblock.length;
  if (options.filename !== undefined) {
    path = options.filename;
    await writeFileAtomic(path, superblock);
  } else {
    const dir = join(store.path, delta.deltaRelativePath(from, to));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    if (!inline) {
      for (let i = 0; i < partFiles.length; i++) {
        await writeFile(join(dir, String(i)), partFiles[i]!);
        totalSize += partFiles[i]!.length;
      }
    }
    path = join(dir, 'superblock');
    await writeFileAtomic(path, superblock);
  }
  return {
    name,
    path,
    superblockChecksum: createHash('sha256').update(superblock).digest('hex'),
    parts: headers.length,
    fallbacks: fallbacks.length,
    objects: headers.reduce((n, h) => n + h.objects.length, 0),
    totalSize,
    stats,
  };
}
