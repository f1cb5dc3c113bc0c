/**
 * Storing one small regular file with synchronous calls: hash, skip if the repo has it, else
 * write it into the transaction's staging directory with O_EXCL. Commit worker threads run
 * this (see commit-worker.ts), and so does the main thread for trees too small for workers.
 * The main thread renames staged objects into place when the transaction commits, so a
 * partial object is never visible under objects/.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { isErrno } from '../core/index.js';
import { encodeArchiveHeader, encodeOstreeMeta, fileStreamPrefix, loosePath, S_IFREG, type FileHeader } from '../formats/ostree/index.js';
import type { RepoMode } from './repo.js';
import { readXattrsSync, setXattrSync } from './xattrs.js';

export interface StoreConfig {
  readonly repoPath: string;
  readonly mode: RepoMode;
  readonly staging: string;
  readonly zlibLevel: number;
  readonly canonical: boolean;
  readonly noXattrs: boolean;
  readonly ownerUid: number | undefined;
  readonly ownerGid: number | undefined;
}

/** A small regular file as the walk saw it (lstat fields). */
export interface SmallFile {
  readonly abs: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** Per-thread state: one read buffer reused for every file, the staging XX/ dirs made so far. */
export class SmallFileStore {
  readonly #cfg: StoreConfig;
  readonly #headers = new Map<string, { prefix: Uint8Array; meta: Uint8Array | undefined }>();
  #madeStaging = false;
  #scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(cfg: StoreConfig) {
    this.#cfg = cfg;
  }

  /**
   * Reads a whole small file into the reused buffer (no allocation per file, which would cost
   * page faults and GC); the returned view is valid until the next call.
   */
  #readAll(abs: string, size: number): Buffer {
    const fd = fs.openSync(abs, 'r');
    try {
      if (this.#scratch.length < size + 1) this.#scratch = Buffer.allocUnsafe(Math.max(size + 1, this.#scratch.length * 2));
      const buf = this.#scratch;
      // A read of a regular file on a local filesystem comes back short only at the end of the
      // file, so one call does when the size is what lstat said (asking for one byte more).
      let n = fs.readSync(fd, buf, 0, size + 1, null);
      if (n === size) return buf.subarray(0, n);
      for (;;) {
        if (n === buf.length) return fs.readFileSync(abs); // grew since lstat
        const r = fs.readSync(fd, buf, n, buf.length - n, null);
        if (r === 0) return buf.subarray(0, n);
        n += r;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * The framed file header (the hashed stream's prefix) and bare-user's user.ostreemeta value,
   * memoized: a tree has few distinct (uid, gid, mode, xattrs) combinations, and the generic
   * GVariant encoder was a tenth of a worker's time.
   */
  #encoded(header: FileHeader): { prefix: Uint8Array; meta: Uint8Array | undefined } {
    let key = `${header.uid}:${header.gid}:${header.mode}`;
    let size = 0;
    for (const x of header.xattrs) {
      size += x.name.length + x.value.length;
      key += `\0${x.name}=${Buffer.from(x.value.buffer, x.value.byteOffset, x.value.byteLength).toString('hex')}`;
    }
    const cacheable = size <= 512;
    let hit = cacheable ? this.#headers.get(key) : undefined;
    if (hit === undefined) {
      hit = { prefix: fileStreamPrefix(header), meta: this.#cfg.mode === 'bare-user' ? encodeOstreeMeta(header) : undefined };
      if (cacheable) {
        if (this.#headers.size >= 1024) this.#headers.clear();
        this.#headers.set(key, hit);
      }
    }
    return hit;
  }

  /** Returns the content checksum and whether this call staged the object (false: the repo or staging had it). */
  store(item: SmallFile): { checksum: string; wrote: boolean } {
    const cfg = this.#cfg;
    const xattrs = cfg.canonical || cfg.noXattrs ? [] : readXattrsSync(item.abs);
    const header: FileHeader = {
      uid: cfg.canonical ? 0 : (cfg.ownerUid ?? item.uid),
      gid: cfg.canonical ? 0 : (cfg.ownerGid ?? item.gid),
      mode: cfg.canonical ? S_IFREG | (item.mode & 0o755) : item.mode,
      symlinkTarget: '',
      xattrs,
    };
    const encoded = this.#encoded(header);
    const data = this.#readAll(item.abs, item.size);
    const checksum = createHash('sha256').update(encoded.prefix).update(data).digest('hex');
    const rel = loosePath(checksum, 'file', cfg.mode === 'archive');
    // throwIfNoEntry: a missing object is the common case in a fresh commit, and building an
    // Error (with its stack trace) for each one showed up in profiles.
    if (fs.lstatSync(`${cfg.repoPath}/${rel}`, { throwIfNoEntry: false }) !== undefined) return { checksum, wrote: false };
    if (!this.#madeStaging) {
      fs.mkdirSync(cfg.staging, { recursive: true, mode: 0o775 });
      this.#madeStaging = true;
    }
    const staged = stagedContentPath(cfg.staging, checksum, cfg.mode === 'archive');
    let fd: number;
    try {
      fd = fs.openSync(staged, 'wx', cfg.mode === 'archive' ? 0o644 : 0o600);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return { checksum, wrote: false }; // same content seen twice
      throw err;
    }
    try {
      writeObject(cfg, fd, staged, header, data, encoded.meta);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(staged, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    return { checksum, wrote: true };
  }
}

/**
 * Where a content object is staged: flat in the staging dir, not under XX/ as in objects/.
 * ext4 puts a new file's inode in its directory's block group; 256 fresh XX/ directories
 * spread a commit over groups where ext4 (without a journal, as here) scans past every inode
 * freed in the last minutes (`recently_deleted`), which was a third of a re-commit's CPU.
 * ostree stages in one place too (O_TMPFILE in tmp/).
 */
export function stagedContentPath(staging: string, checksum: string, archive: boolean): string {
  return `${staging}/${checksum}.file${archive ? 'z' : ''}`;
}

function writeObject(cfg: StoreConfig, fd: number, staged: string, header: FileHeader, data: Buffer, meta: Uint8Array | undefined): void {
  const perms = header.mode & 0o7777;
  switch (cfg.mode) {
    case 'archive':
      fs.writevSync(fd, [encodeArchiveHeader(header, data.length), deflateRawSync(data, { level: cfg.zlibLevel })]);
      break;
    case 'bare-user':
      fs.writeSync(fd, data);
      setXattrSync(staged, 'user.ostreemeta', meta ?? encodeOstreeMeta(header));
      // ostree: (mode & (S_IFREG | 0775)) | S_IRUSR, so objects never carry setuid bits
      fs.fchmodSync(fd, (perms & 0o775) | 0o400);
      fs.futimesSync(fd, 0, 0);
      break;
    case 'bare-user-only':
      fs.writeSync(fd, data);
      fs.fchmodSync(fd, perms);
      fs.futimesSync(fd, 0, 0);
      break;
    case 'bare':
      fs.writeSync(fd, data);
      fs.fchownSync(fd, header.uid, header.gid);
      fs.fchmodSync(fd, perms); // after chown, which clears setuid/setgid
      for (const x of header.xattrs) setXattrSync(staged, x.name, x.value);
      fs.futimesSync(fd, 0, 0);
      break;
  }
}
