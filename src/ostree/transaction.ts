import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as fs from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createDeflateRaw, deflateRaw as deflateRawCb } from 'node:zlib';
import { isErrno, type FileLock } from '../core/index.js';
import { encodeArchiveHeader, encodeOstreeMeta, fileStreamPrefix, loosePath, S_IFLNK, S_IFMT, type FileHeader, type ObjectType } from '../formats/ostree/index.js';
import type { Repo } from './repo.js';
import { stagedContentPath } from './commit-file.js';
import { lockRepo } from './repo-lock.js';
import { setSymlinkXattrs, setXattr, setXattrs, setXattrSync } from './xattrs.js';

const deflateRaw = promisify(deflateRawCb);

/** Where a content object's bytes come from: in memory, or a file read (and copied) by path. */
export type ContentSource =
  | { readonly kind: 'buffer'; readonly data: Uint8Array }
  | { readonly kind: 'file'; readonly path: string; readonly size: number };

/** SHA-256 of the canonical content stream: length-prefixed header, then the bytes. */
export async function contentChecksum(header: FileHeader, source: ContentSource): Promise<string> {
  const h = createHash('sha256').update(fileStreamPrefix(header));
  if ((header.mode & S_IFMT) === S_IFLNK) return h.digest('hex');
  if (source.kind === 'buffer') h.update(source.data);
  else for await (const chunk of createReadStream(source.path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * A write transaction: objects go to `tmp/staging-*`, become durable with one syncfs, then are
 * renamed into `objects/` (ostree's `commit_transaction`). Nothing under objects/ is ever half
 * written; an aborted or crashed transaction leaves only a staging dir behind.
 */
export class Transaction {
  readonly repo: Repo;
  readonly #staging: string;
  readonly #staged = new Map<string, string>(); // loose relpath -> staged absolute path
  readonly #pending = new Map<string, Promise<boolean>>();
  readonly #stagingDirs = new Set<string>();
  /** Checksums of content objects staged by adoptStaged's callers. */
  readonly #adopted = new Set<string>();
  #done = false;
  #lock: FileLock | undefined;
  /** Objects written (not already present) in this transaction, by type. */
  readonly written = { content: 0, metadata: 0, contentBytes: 0 };

  private constructor(repo: Repo, staging: string) {
    this.repo = repo;
    this.#staging = staging;
  }

  /** The staging directory (objects under XX/ as in objects/), for commit workers. */
  get stagingDir(): string {
    return this.#staging;
  }

  /**
   * Records a content object staged outside this class (commit-file.ts, often in a worker
   * thread) at stagedContentPath(). Kept as one checksum string per object,
   * not path strings and a promise, since a big commit adopts tens of thousands.
   */
  adoptStaged(checksum: string, bytes: number): void {
    if (this.#adopted.has(checksum)) return;
    this.#adopted.add(checksum);
    this.written.content += 1;
    this.written.contentBytes += bytes;
  }

  /** Holds the repository lock shared until commit or abort, as ostree's prepare_transaction does. */
  static async begin(repo: Repo): Promise<Transaction> {
    const lock = await lockRepo(repo.path, repo.config, 'shared');
    try {
      const tx = new Transaction(repo, await repo.newStagingDir());
      tx.#lock = lock;
      return tx;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  async #unlock(): Promise<void> {
    const lock = this.#lock;
    this.#lock = undefined;
    await lock?.release();
  }

  #rel(checksum: string, type: ObjectType): string {
    return loosePath(checksum, type, this.repo.mode === 'archive');
  }

  async hasObject(checksum: string, type: ObjectType): Promise<boolean> {
    if (type === 'file' && this.#adopted.has(checksum)) return true;
    const pending = this.#pending.get(this.#rel(checksum, type));
    if (pending !== undefined) {
      await pending;
      return true;
    }
    return this.repo.hasObject(checksum, type);
  }

  #stagePathSync(checksum: string, type: ObjectType): string {
    const prefix = checksum.slice(0, 2);
    const dir = path.join(this.#staging, prefix);
    if (!this.#stagingDirs.has(prefix)) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o775 });
      this.#stagingDirs.add(prefix);
    }
    return path.join(dir, path.basename(this.#rel(checksum, type)));
  }

  /**
   * Runs `write` once per object: concurrent callers for the same object share one attempt
   * (the first claims it synchronously), and objects already in the repo are skipped.
   * Resolves true when this transaction wrote the object.
   */
  #once(rel: string, write: (staged: string) => Promise<void>, checksum: string, type: ObjectType): Promise<boolean> {
    const pending = this.#pending.get(rel);
    if (pending !== undefined) return pending.then(() => false);
    if (type === 'file' && this.#adopted.has(checksum)) return Promise.resolve(false);
    const attempt = (async (): Promise<boolean> => {
      if (this.repo.hasObjectSync(checksum, type)) return false;
      const p = this.#stagePathSync(checksum, type);
      try {
        await write(p);
      } catch (err) {
        this.#pending.delete(rel);
        await fsp.rm(p, { force: true }).catch(() => undefined);
        throw err;
      }
      this.#staged.set(rel, p);
      return true;
    })();
    this.#pending.set(rel, attempt);
    return attempt;
  }

  /** Writes a metadata object unless present; returns its checksum. */
  async writeMetadata(type: ObjectType, bytes: Uint8Array): Promise<string> {
    const checksum = createHash('sha256').update(bytes).digest('hex');
    const wrote = await this.#once(this.#rel(checksum, type), async (p) => fs.writeFileSync(p, bytes, { mode: 0o644, flag: 'wx' }), checksum, type);
    if (wrote) this.written.metadata += 1;
    return checksum;
  }

  /**
   * Writes a content object whose checksum the caller computed (contentChecksum), unless the
   * repo already has it: unlike ostree, which streams every file into a temp object first, we
   * hash first and skip the write. Returns true when it wrote.
   */
  async writeContent(checksum: string, header: FileHeader, source: ContentSource): Promise<boolean> {
    const wrote = await this.#once(this.#rel(checksum, 'file'), (p) => this.#writeContentAt(p, header, source), checksum, 'file');
    if (wrote) {
      this.written.content += 1;
      this.written.contentBytes += source.kind === 'buffer' ? source.data.length : source.size;
    }
    return wrote;
  }

  async #writeContentAt(p: string, header: FileHeader, source: ContentSource): Promise<void> {
    const isLink = (header.mode & S_IFMT) === S_IFLNK;
    const perms = header.mode & 0o7777;
    if (!isLink && source.kind === 'buffer' && this.repo.mode !== 'archive') {
      this.#writeSmallBareSync(p, header, source.data);
      return;
    }
    switch (this.repo.mode) {
      case 'archive': {
        const size = isLink ? 0 : source.kind === 'buffer' ? source.data.length : source.size;
        const head = encodeArchiveHeader(header, size);
        if (isLink) {
          await fsp.writeFile(p, head, { mode: 0o644 });
        } else if (source.kind === 'buffer') {
          const z = await deflateRaw(source.data, { level: this.repo.zlibLevel });
          const fh = await fsp.open(p, 'wx', 0o644);
          try {
            await fh.writev([head, z]);
          } finally {
            await fh.close();
          }
        } else {
          const out = createWriteStream(p, { flags: 'wx', mode: 0o644 });
          out.write(head);
          await pipeline(createReadStream(source.path, { highWaterMark: 1 << 20 }), createDeflateRaw({ level: this.repo.zlibLevel }), out);
        }
        return;
      }
      case 'bare-user': {
        if (isLink) {
          const data = Buffer.from(`${header.symlinkTarget}\0`, 'utf8');
          await fsp.writeFile(p, data, { mode: 0o644 });
          await setXattr(p, 'user.ostreemeta', encodeOstreeMeta(header));
          await fsp.utimes(p, 0, 0);
          return;
        }
        await this.#writeData(p, source);
        await setXattr(p, 'user.ostreemeta', encodeOstreeMeta(header));
        // ostree: (mode & (S_IFREG | 0775)) | S_IRUSR, so objects never carry setuid bits
        await fsp.chmod(p, (perms & 0o775) | 0o400);
        await fsp.utimes(p, 0, 0);
        return;
      }
      case 'bare-user-only': {
        if (isLink) {
          await fsp.symlink(header.symlinkTarget, p);
          return;
        }
        await this.#writeData(p, source);
        await fsp.chmod(p, perms);
        await fsp.utimes(p, 0, 0);
        return;
      }
      case 'bare': {
        if (isLink) {
          await fsp.symlink(header.symlinkTarget, p);
          await fsp.lchown(p, header.uid, header.gid);
          if (header.xattrs.length > 0) await setSymlinkXattrs(p, header.xattrs);
          await fsp.lutimes(p, 0, 0);
          return;
        }
        await this.#writeData(p, source);
        await fsp.chown(p, header.uid, header.gid);
        await fsp.chmod(p, perms); // after chown, which clears setuid/setgid
        await setXattrs(p, header.xattrs);
        await fsp.utimes(p, 0, 0);
        return;
      }
    }
  }

  /**
   * The hot path for small regular files in bare modes: synchronous calls on one fd, which
   * costs far less than a thread-pool round trip per syscall for files of a few KB.
   */
  #writeSmallBareSync(p: string, header: FileHeader, data: Uint8Array): void {
    const perms = header.mode & 0o7777;
    const fd = fs.openSync(p, 'wx', 0o600);
    try {
      fs.writeSync(fd, data);
      switch (this.repo.mode) {
        case 'bare-user':
          setXattrSync(p, 'user.ostreemeta', encodeOstreeMeta(header));
          // ostree: (mode & (S_IFREG | 0775)) | S_IRUSR, so objects never carry setuid bits
          fs.fchmodSync(fd, (perms & 0o775) | 0o400);
          break;
        case 'bare-user-only':
          fs.fchmodSync(fd, perms);
          break;
        case 'bare':
          fs.fchownSync(fd, header.uid, header.gid);
          fs.fchmodSync(fd, perms); // after chown, which clears setuid/setgid
          for (const x of header.xattrs) setXattrSync(p, x.name, x.value);
          break;
        default:
          break;
      }
      fs.futimesSync(fd, 0, 0);
    } finally {
      fs.closeSync(fd);
    }
  }

  async #writeData(p: string, source: ContentSource): Promise<void> {
    if (source.kind === 'buffer') await fsp.writeFile(p, source.data, { mode: 0o600, flag: 'wx' });
    else await fsp.copyFile(source.path, p, fsp.constants.COPYFILE_EXCL);
  }

  /** Syncs (unless core.fsync=false), renames staged objects into objects/, removes staging. */
  async commit(): Promise<void> {
    if (this.#done) return;
    if (this.#staged.size > 0 || this.#adopted.size > 0) {
      if (this.repo.fsyncEnabled) await this.repo.syncFilesystem();
      const prefixes = new Set<string>();
      const place = async (rel: string, staged: string): Promise<void> => {
        const prefix = rel.slice('objects/'.length, 'objects/'.length + 2);
        if (!prefixes.has(prefix)) {
          await this.repo.ensureObjectDir(prefix);
          prefixes.add(prefix);
        }
        try {
          fs.renameSync(staged, path.join(this.repo.path, rel));
        } catch (err) {
          if (!isErrno(err, 'EEXIST')) throw err;
        }
      };
      for (const [rel, staged] of this.#staged) await place(rel, staged);
      for (const checksum of this.#adopted) {
        const rel = this.#rel(checksum, 'file');
        await place(rel, stagedContentPath(this.#staging, checksum, this.repo.mode === 'archive'));
      }
      if (this.repo.fsyncEnabled) await this.repo.fsyncObjectDirs(prefixes);
    }
    this.#done = true;
    await fsp.rm(this.#staging, { recursive: true, force: true });
    await this.#unlock();
  }

  async abort(): Promise<void> {
    this.#done = true;
    try {
      await fsp.rm(this.#staging, { recursive: true, force: true, maxRetries: 3 });
    } finally {
      await this.#unlock();
    }
  }
}
