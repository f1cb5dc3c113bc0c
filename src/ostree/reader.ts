import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createInflateRaw, inflateRaw, inflateRawSync } from 'node:zlib';
import { getAttribute, getAttributeSync, listAttributes } from 'fs-xattr';
import { exists, isErrno } from '../core/index.js';
import { decodeArchiveHeader, decodeCommit, decodeDirMeta, decodeDirTree, decodeOstreeMeta, fileStreamPrefix, loosePath, S_IFLNK, S_IFMT, S_IFREG, type Commit, type DirMeta, type DirTree, type FileHeader, type ObjectType, type Xattr } from '../formats/ostree/index.js';
import { isChecksum } from '../formats/ostree/index.js';
import { KeyFile } from '../formats/keyfile.js';
import { NoParent, NotARepo, ObjectMissing, ObjectUnreadable, RevNotFound } from './maint-errors.js';

/**
 * Read access to a repository's loose objects and refs, in all four modes, plus the few writes
 * that maintenance needs (deleting objects, commit-partial markers). The object store layout is
 * ostree's: objects/ab/cdef….{commit,dirtree,dirmeta,file,filez}.
 */
export type RepoMode = 'bare' | 'bare-user' | 'bare-user-only' | 'archive';

const MODES: Record<string, RepoMode> = {
  bare: 'bare', 'bare-user': 'bare-user', 'bare-user-only': 'bare-user-only', archive: 'archive', 'archive-z2': 'archive',
};
const inflateRawAsync = promisify(inflateRaw);

/** A content object: its header (what is checksummed with the content) and its content size. */
export interface LoadedFile {
  readonly header: FileHeader;
  readonly size: number;
}

export class RepoReader {
  readonly path: string;
  readonly mode: RepoMode;
  readonly config: KeyFile;

  private constructor(path: string, mode: RepoMode, config: KeyFile) {
    this.path = path;
    this.mode = mode;
    this.config = config;
  }

  static async open(path: string): Promise<RepoReader> {
    let text: string;
    try {
      text = await readFile(join(path, 'config'), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        throw new NotARepo(`opening repo: opendir(objects): No such file or directory`, { path }, { cause: err });
      }
      throw err;
    }
    const config = KeyFile.parse(text);
    const mode = MODES[config.getString('core', 'mode') ?? 'bare'];
    if (mode === undefined) throw new NotARepo(`Invalid mode ${JSON.stringify(config.getString('core', 'mode'))} in repository configuration`, { path });
    return new RepoReader(path, mode, config);
  }

  get isArchive(): boolean {
    return this.mode === 'archive';
  }

  objectPath(checksum: string, type: ObjectType): string {
    return join(this.path, loosePath(checksum, type, this.isArchive));
  }

  hasObject(checksum: string, type: ObjectType): Promise<boolean> {
    return exists(this.objectPath(checksum, type));
  }

  /** The raw bytes of a metadata object. */
  async readMetadata(checksum: string, type: ObjectType): Promise<Uint8Array> {
    try {
      return await readFile(this.objectPath(checksum, type));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw new ObjectMissing(`No such metadata object ${checksum}.${type}`, { checksum, type }, { cause: err });
      }
      throw err;
    }
  }

  async loadCommit(checksum: string): Promise<Commit> {
    return decodeCommit(await this.readMetadata(checksum, 'commit'));
  }

  async loadDirTree(checksum: string): Promise<DirTree> {
    return decodeDirTree(await this.readMetadata(checksum, 'dirtree'));
  }

  async loadDirMeta(checksum: string): Promise<DirMeta> {
    return decodeDirMeta(await this.readMetadata(checksum, 'dirmeta'));
  }

  /** Header and size of a content object, without reading the content (except in archive mode's header). */
  async loadFile(checksum: string): Promise<LoadedFile> {
    const p = this.objectPath(checksum, 'file');
    try {
      switch (this.mode) {
        case 'archive': {
          const fh = await import('node:fs/promises').then((m) => m.open(p, 'r'));
          try {
            const head = Buffer.alloc(8);
            await fh.read(head, 0, 8, 0);
            const len = head.readUInt32BE(0);
            const { size: fileSize } = await fh.stat();
            if (8 + len > fileSize) throw new ObjectUnreadable(`File header size ${len} exceeds size ${fileSize}`, { checksum, reason: 'header' });
            const buf = Buffer.alloc(8 + len);
            await fh.read(buf, 0, buf.length, 0);
            const { header, size } = decodeArchiveHeader(buf);
            return { header, size };
          } finally {
            await fh.close();
          }
        }
        case 'bare-user': {
          const st = await lstat(p);
          const meta = await getAttribute(p, 'user.ostreemeta').catch((err: unknown) => {
            if (isErrno(err, 'ENODATA')) return undefined;
            throw err;
          });
          if (meta === undefined) throw missingMeta(checksum);
          const m = decodeOstreeMeta(meta);
          if ((m.mode & S_IFMT) === S_IFLNK) {
            // ostree writes the target with a trailing NUL
            const target = (await readFile(p, 'utf8')).replace(/\0$/, '');
            return { header: { ...m, symlinkTarget: target }, size: 0 };
          }
          return { header: { ...m, symlinkTarget: '' }, size: st.size };
        }
        case 'bare-user-only':
        case 'bare': {
          const st = await lstat(p);
          const isLink = st.isSymbolicLink();
          const symlinkTarget = isLink ? await readlink(p) : '';
          const bare = this.mode === 'bare';
          const xattrs = bare && !isLink ? await readAllXattrs(p) : [];
          const mode = isLink ? (S_IFLNK | 0o777) : ((st.mode & 0o7777) | S_IFREG);
          return { header: { uid: bare ? st.uid : 0, gid: bare ? st.gid : 0, mode, symlinkTarget, xattrs }, size: isLink ? 0 : st.size };
        }
      }
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ObjectMissing(`Couldn't find file object '${checksum}'`, { checksum, type: 'file' }, { cause: err });
      throw err;
    }
  }

  /** The whole content of a regular-file object (decompressed in archive mode). */
  async readFileContent(checksum: string): Promise<Uint8Array> {
    const p = this.objectPath(checksum, 'file');
    try {
      if (this.isArchive) {
        const raw = await readFile(p);
        const { contentOffset, size } = decodeArchiveHeader(raw);
        return size === 0 ? new Uint8Array(0) : await inflateRawAsync(raw.subarray(contentOffset));
      }
      return await readFile(p);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ObjectMissing(`Couldn't find file object '${checksum}'`, { checksum, type: 'file' }, { cause: err });
      throw err;
    }
  }

  /**
   * SHA-256 of a content object as ostree defines it (header prefix, then content). Small
   * objects use synchronous syscalls: one thread-pool round trip per open/fstat/read/close costs
   * more than the work itself on a 27,000-object repository. Archive content is inflated in the
   * thread pool so that hashing and inflating overlap.
   */
  async computeFileChecksum(checksum: string): Promise<{ header: FileHeader; actual: string }> {
    const p = this.objectPath(checksum, 'file');
    let fd: number;
    try {
      fd = openSync(p, 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ObjectMissing(`Couldn't find file object '${checksum}'`, { checksum, type: 'file' }, { cause: err });
      throw err;
    }
    let header: FileHeader;
    const hash = createHash('sha256');
    try {
      const st = fstatSync(fd);
      if (this.isArchive) {
        // Small objects are read whole; big ones are inflated as a stream so that memory stays
        // bounded whatever the file sizes (a 60 MB file would otherwise be held twice).
        const streamed = st.size > STREAM_ABOVE;
        const raw = streamed ? readHead(fd, st.size) : readWhole(fd, st.size);
        checkArchiveHeaderSize(raw, st.size);
        const decoded = decodeArchiveHeader(raw);
        header = decoded.header;
        hash.update(fileStreamPrefix(header));
        if ((header.mode & S_IFMT) === S_IFREG) {
          let length = 0;
          if (streamed) {
            const inflater = createInflateRaw();
            const source = createReadStream(p, { start: decoded.contentOffset, highWaterMark: 1 << 20 });
            source.pipe(inflater);
            source.on('error', (err) => inflater.destroy(err));
            for await (const chunk of inflater) {
              hash.update(chunk as Buffer);
              length += (chunk as Buffer).length;
            }
          } else {
            const compressed = raw.subarray(decoded.contentOffset);
            const content = compressed.length === 0 ? new Uint8Array(0)
              : compressed.length < 65536 ? inflateRawSync(compressed) : await inflateRawAsync(compressed);
            hash.update(content);
            length = content.length;
          }
          if (length !== decoded.size) {
            throw new RangeError(`Corrupted archive file; size ${length} does not match header size ${decoded.size}`);
          }
        }
        return { header, actual: hash.digest('hex') };
      }
      if (this.mode === 'bare-user') {
        let meta: Buffer | undefined;
        try {
          meta = getAttributeSync(p, 'user.ostreemeta');
        } catch (err) {
          if (!isErrno(err, 'ENODATA')) throw err;
        }
        if (meta === undefined) throw missingMeta(checksum);
        const m = decodeOstreeMeta(meta);
        if ((m.mode & S_IFMT) === S_IFLNK) {
          header = { ...m, symlinkTarget: readWhole(fd, st.size).toString('utf8').replace(/\0$/, '') };
          return { header, actual: hash.update(fileStreamPrefix(header)).digest('hex') };
        }
        header = { ...m, symlinkTarget: '' };
      } else {
        header = (await this.loadFile(checksum)).header;
      }
      hash.update(fileStreamPrefix(header));
      if ((header.mode & S_IFMT) === S_IFREG && st.size > 0) {
        if (st.size <= 1 << 22) hash.update(readScratch(fd, st.size)); // hashed at once: a reused buffer will do
        else {
          const buf = Buffer.allocUnsafe(1 << 20);
          for (let pos = 0, guard = 0; pos < st.size && guard < 1e7; guard++) {
            const n = readSync(fd, buf, 0, buf.length, pos);
            if (n === 0) break;
            hash.update(buf.subarray(0, n));
            pos += n;
          }
        }
      }
      return { header, actual: hash.digest('hex') };
    } finally {
      closeSync(fd);
    }
  }

  /** On-disk size of a loose object (what `ostree diff --stats` adds up). */
  async storageSize(checksum: string, type: ObjectType): Promise<number> {
    return (await lstat(this.objectPath(checksum, type))).size;
  }

  async deleteObject(checksum: string, type: ObjectType): Promise<void> {
    if (type === 'commit') await unlink(this.objectPath(checksum, 'commitmeta')).catch(ignoreEnoent);
    await unlink(this.objectPath(checksum, type));
  }

  /** Every loose object, optionally only one type. */
  async listObjects(only?: ObjectType): Promise<Array<{ checksum: string; type: ObjectType }>> {
    const out: Array<{ checksum: string; type: ObjectType }> = [];
    const objects = join(this.path, 'objects');
    const prefixes = (await readdir(objects).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return [] as string[];
      throw err;
    })).filter((d) => /^[0-9a-f]{2}$/.test(d)).sort();
    for (const prefix of prefixes) {
      for (const name of (await readdir(join(objects, prefix))).sort()) {
        const dot = name.indexOf('.');
        if (dot !== 62) continue;
        const checksum = prefix + name.slice(0, dot);
        let ext = name.slice(dot + 1);
        if (ext === 'filez') {
          if (!this.isArchive) continue;
          ext = 'file';
        } else if (ext === 'file' && this.isArchive) continue;
        if (!OBJECT_EXTS.has(ext) || !isChecksum(checksum)) continue;
        if (only !== undefined && ext !== only) continue;
        out.push({ checksum, type: ext as ObjectType });
      }
    }
    return out;
  }

  /** refs/heads/* as name → checksum, plus refs/remotes/R/* as `R:name` when asked. */
  async listRefs(options: { readonly remotes?: boolean; readonly prefix?: string } = {}): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await this.#walkRefs(join(this.path, 'refs/heads'), '', '', out);
    if (options.remotes === true) {
      const remotes = await readdir(join(this.path, 'refs/remotes')).catch(() => [] as string[]);
      for (const r of remotes.sort()) await this.#walkRefs(join(this.path, 'refs/remotes', r), '', `${r}:`, out);
    }
    return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }

  async #walkRefs(dir: string, rel: string, label: string, out: Map<string, string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(join(dir, rel));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await stat(join(dir, r));
      if (st.isDirectory()) await this.#walkRefs(dir, r, label, out);
      else out.set(`${label}${r}`, (await readFile(join(dir, r), 'utf8')).trim());
    }
  }

  /** ostree_repo_resolve_rev: a checksum, a ref (heads, remotes, mirrors), `REV^` for the parent. */
  async resolveRev(rev: string): Promise<string> {
    if (rev.endsWith('^')) {
      const base = await this.resolveRev(rev.slice(0, -1));
      const parent = (await this.loadCommit(base)).parent;
      if (parent === undefined) throw new NoParent(`Commit ${base} has no parent`, { checksum: base });
      return parent;
    }
    if (isChecksum(rev)) return rev;
    if (!REFSPEC_REGEXP.test(rev)) throw new RevNotFound(`Invalid refspec ${rev}`, { rev });
    const colon = rev.indexOf(':');
    const candidates = colon > 0
      ? [join('refs/remotes', rev.slice(0, colon), rev.slice(colon + 1))]
      : [join('refs/heads', rev), join('refs/remotes', rev), join('refs/mirrors', rev)];
    for (const c of candidates) {
      if (rev.split('/').includes('..')) break;
      try {
        const text = (await readFile(join(this.path, c), 'utf8')).trim();
        if (isChecksum(text)) return text;
      } catch (err) {
        if (!isErrno(err, 'ENOENT') && !isErrno(err, 'EISDIR') && !isErrno(err, 'ENOTDIR')) throw err;
      }
    }
    if (/^[0-9a-f]{4,63}$/.test(rev)) {
      const matches = (await this.listObjects('commit')).filter((o) => o.checksum.startsWith(rev));
      if (matches.length === 1) return matches[0]!.checksum;
    }
    throw new RevNotFound(`Refspec '${rev}' not found`, { rev });
  }

  /** A commit marked partial (state/<checksum>.commitpartial), e.g. by fsck after corruption. */
  isPartial(checksum: string): Promise<boolean> {
    return exists(join(this.path, 'state', `${checksum}.commitpartial`));
  }

  /** The reason written into a partial marker ('f' when fsck made it, '' for an interrupted pull). */
  async readPartialReason(checksum: string): Promise<string> {
    try {
      return (await readFile(join(this.path, 'state', `${checksum}.commitpartial`), 'utf8')).trim();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return '';
      throw err;
    }
  }

  async clearPartial(checksum: string): Promise<void> {
    await unlink(join(this.path, 'state', `${checksum}.commitpartial`)).catch(ignoreEnoent);
  }

  /** ostree writes the reason ("f" for fsck) into the marker. */
  async markPartial(checksum: string, reason = 'f'): Promise<void> {
    await mkdir(join(this.path, 'state'), { recursive: true });
    await writeFile(join(this.path, 'state', `${checksum}.commitpartial`), reason);
  }
}

// ostree_parse_refspec: an optional `remote:` and '/'-separated fragments of [\w][-.\w]*.
const REFSPEC_REGEXP = /^(?:[A-Za-z0-9_][-._A-Za-z0-9]*:)?(?:[A-Za-z0-9_][-._A-Za-z0-9]*\/)*[A-Za-z0-9_][-._A-Za-z0-9]*$/;

// What ostree lists as loose objects (list_loose_objects_at): no commitmeta, no tombstones.
const OBJECT_EXTS = new Set(['file', 'dirtree', 'dirmeta', 'commit', 'payload-link']);

function ignoreEnoent(err: unknown): void {
  if (!isErrno(err, 'ENOENT')) throw err;
}

async function readAllXattrs(path: string): Promise<Xattr[]> {
  let names: string[];
  try {
    names = await listAttributes(path);
  } catch (err) {
    if (isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) return [];
    throw err;
  }
  const out: Xattr[] = [];
  for (const name of names) {
    const v = await getAttribute(path, name);
    if (v.length > 0) out.push({ name, value: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
  }
  return out;
}

let scratch = Buffer.allocUnsafe(0);

/**
 * readWhole() into one buffer reused across calls (no fresh allocation per object, whose garbage
 * would otherwise pile up as external memory between collections); valid until the next call.
 */
function readScratch(fd: number, size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 1 << 16));
  let pos = 0;
  for (let guard = 0; pos < size && guard < 1e7; guard++) {
    const n = readSync(fd, scratch, pos, size - pos, pos);
    if (n === 0) break;
    pos += n;
  }
  return scratch.subarray(0, pos);
}

/** Reads `size` bytes from the start of an open file (a short read ends early). */
function readWhole(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let guard = 0; pos < size && guard < 1e7; guard++) {
    const n = readSync(fd, buf, pos, size - pos, pos);
    if (n === 0) break;
    pos += n;
  }
  return pos === size ? buf : buf.subarray(0, pos);
}

/** ostree's words for a bare-user object that lost its metadata xattr. */
function missingMeta(checksum: string): Error {
  return new ObjectUnreadable(`Opening content object ${checksum}: fgetxattr(user.ostreemeta): No data available`, { checksum, reason: 'no user.ostreemeta' });
}

/** Archive objects above this size are inflated as a stream. */
const STREAM_ABOVE = 1 << 20;

/** ostree's check before it parses a `.filez` header (`fileSize`: the whole object's size). */
function checkArchiveHeaderSize(raw: Uint8Array, fileSize: number): void {
  if (raw.length < 8) throw new ObjectUnreadable(`File header size 0 exceeds size ${fileSize}`, { checksum: '', reason: 'header' });
  const len = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(0, false);
  if (8 + len > fileSize) throw new ObjectUnreadable(`File header size ${len} exceeds size ${fileSize}`, { checksum: '', reason: 'header' });
}

/** The framed header of a `.filez` (length word, padding, header), without the content. */
function readHead(fd: number, fileSize: number): Buffer {
  const first = Buffer.alloc(8);
  readSync(fd, first, 0, 8, 0);
  const len = first.readUInt32BE(0);
  const n = Math.min(fileSize, 8 + len);
  const buf = Buffer.allocUnsafe(n);
  let pos = 0;
  for (let guard = 0; pos < n && guard < 1e6; guard++) {
    const r = readSync(fd, buf, pos, n - pos, pos);
    if (r === 0) break;
    pos += r;
  }
  return buf.subarray(0, pos);
}
