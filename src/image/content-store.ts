import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir, isErrno, writeFileAtomic } from '../core/index.js';
import { digestHex, sha256Digest } from '../formats/oci/index.js';
import { BlobNotFound, DigestMismatch, IngestLocked, SizeMismatch } from './errors.js';

/**
 * A content-addressed blob store (containerd's content store, on plain files).
 *
 * Vocabulary: a *blob* is immutable bytes named by `sha256:<hex>` of exactly those bytes; an *ingest*
 * is a blob being written, named by a caller-chosen `ref` (e.g. "pull-<digest>"), kept under
 * `ingest/` with its bytes so far. Lifecycle: `openWriter(ref)` → `write()`… → `commit(expected)`,
 * which verifies size and digest, fsyncs, makes the file read-only and renames it to
 * `blobs/sha256/<hex>`: nothing is visible until verified, a crash leaves either no blob or a whole
 * one, and an interrupted ingest resumes at `offset` (the hash is rebuilt from the bytes on disk).
 */
export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

export interface BlobReader {
  info(digest: string): Promise<BlobInfo | undefined>;
  readBytes(digest: string): Promise<Buffer>;
  openRead(digest: string, options?: { start?: number }): Promise<Readable>;
  blobPath(digest: string): string;
}

export interface IngestWriter {
  readonly ref: string;
  /** Bytes already held (non-zero when resuming an interrupted ingest). */
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Verifies and publishes; returns the blob (also when it already existed). */
  commit(expected?: { digest?: string; size?: number }): Promise<BlobInfo>;
  /** Closes without publishing; the ingest stays resumable. */
  close(): Promise<void>;
  /** Drops the ingest and its bytes. */
  abort(): Promise<void>;
}

export class ContentStore implements BlobReader {
  readonly root: string;
  readonly #open = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    await fsp.mkdir(path.join(this.root, 'blobs', 'sha256'), { recursive: true });
    await fsp.mkdir(path.join(this.root, 'ingest'), { recursive: true });
  }

  blobPath(digest: string): string {
    return path.join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const st = await fsp.stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async readBytes(digest: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.blobPath(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new BlobNotFound(`Blob ${digest} not found in the content store`, { digest }, { cause: err });
      throw err;
    }
  }

  async openRead(digest: string, options: { start?: number } = {}): Promise<Readable> {
    const p = this.blobPath(digest);
    if ((await this.info(digest)) === undefined) throw new BlobNotFound(`Blob ${digest} not found in the content store`, { digest });
    return createReadStream(p, { start: options.start ?? 0 });
  }

  async list(): Promise<BlobInfo[]> {
    const dir = path.join(this.root, 'blobs', 'sha256');
    const out: BlobInfo[] = [];
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const st = await fsp.stat(path.join(dir, name));
      out.push({ digest: `sha256:${name}`, size: st.size });
    }
    return out;
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await fsp.unlink(this.blobPath(digest));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Stores bytes already in memory (manifests, configs), verifying `expected` when given. */
  async putBytes(bytes: Uint8Array, expected?: string): Promise<BlobInfo> {
    const digest = sha256Digest(bytes);
    if (expected !== undefined && expected !== digest) {
      throw new DigestMismatch(`Digest mismatch: expected ${expected}, got ${digest}`, { expected, actual: digest, size: bytes.length });
    }
    const existing = await this.info(digest);
    if (existing !== undefined) return existing;
    await writeFileAtomic(this.blobPath(digest), bytes, { mode: 0o444 });
    return { digest, size: bytes.length };
  }

  /** Streams into the store; `ref` makes an interrupted write resumable by a later writer with the same ref. */
  async putStream(source: AsyncIterable<Uint8Array>, expected?: { digest?: string; size?: number }, ref?: string): Promise<BlobInfo> {
    const writer = await this.openWriter(ref ?? `put-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`, { restart: true });
    try {
      for await (const chunk of source) await writer.write(chunk);
      return await writer.commit(expected);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  /** Ingests in progress: ref and bytes held. */
  async ingests(): Promise<Array<{ ref: string; offset: number }>> {
    const dir = path.join(this.root, 'ingest');
    const out: Array<{ ref: string; offset: number }> = [];
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      try {
        const ref = await fsp.readFile(path.join(dir, name, 'ref'), 'utf8');
        const st = await fsp.stat(path.join(dir, name, 'data'));
        out.push({ ref, offset: st.size });
      } catch {
        /* half-created ingest dir: ignored, removed by abort or prune */
      }
    }
    return out;
  }

  /** Drops ingests (not being written here) untouched for `maxAgeMs`. */
  async pruneIngests(maxAgeMs: number): Promise<number> {
    const dir = path.join(this.root, 'ingest');
    let dropped = 0;
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      const ref = await fsp.readFile(path.join(dir, name, 'ref'), 'utf8').catch(() => undefined);
      if (ref !== undefined && this.#open.has(ref)) continue;
      const holder = Number((await fsp.readFile(path.join(dir, name, 'lock'), 'utf8').catch(() => '')).trim());
      if (holder > 0 && isAlive(holder)) continue; // another process is writing it
      const st = await fsp.stat(path.join(dir, name, 'data')).catch(() => fsp.stat(path.join(dir, name)));
      if (Date.now() - st.mtimeMs > maxAgeMs) {
        await fsp.rm(path.join(dir, name), { recursive: true, force: true });
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * Opens (or resumes) an ingest. One writer per ref at a time in this process; `restart` drops what
   * an earlier writer left.
   */
  async openWriter(ref: string, options: { restart?: boolean } = {}): Promise<IngestWriter> {
    if (this.#open.has(ref)) throw new IngestLocked(`Ingest ${JSON.stringify(ref)} is already being written`, { ref });
    this.#open.add(ref);
    const dir = path.join(this.root, 'ingest', createHash('sha256').update(ref).digest('hex').slice(0, 32));
    const lock = path.join(dir, 'lock');
    try {
      await fsp.mkdir(dir, { recursive: true });
      await takeLock(lock, ref);
    } catch (err) {
      this.#open.delete(ref);
      throw err;
    }
    const release = (): void => {
      this.#open.delete(ref);
    };
    let handle: fsp.FileHandle | undefined;
    try {
      await fsp.writeFile(path.join(dir, 'ref'), ref);
      const dataPath = path.join(dir, 'data');
      if (options.restart) await fsp.rm(dataPath, { force: true });
      handle = await fsp.open(dataPath, 'a+');
      const hash = createHash('sha256');
      let offset = 0;
      // Rebuild the running hash from what an earlier, interrupted writer left.
      for await (const chunk of createReadStream('', { fd: handle.fd, autoClose: false, start: 0 })) {
        hash.update(chunk as Buffer);
        offset += (chunk as Buffer).length;
      }
      return new FileIngestWriter(this, ref, dir, handle, hash, offset, release);
    } catch (err) {
      await handle?.close();
      await fsp.rm(lock, { force: true });
      release();
      throw err;
    }
  }
}

/** An ingest's lock file: O_EXCL create holding our pid; a dead holder's lock is taken over. */
async function takeLock(lock: string, ref: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fsp.open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    const holder = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
    if (holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new IngestLocked(`Ingest ${JSON.stringify(ref)} is being written by process ${holder}`, { ref });
    }
    await fsp.rm(lock, { force: true }); // left by a dead process (or by this one before a crash-free restart)
  }
  throw new IngestLocked(`Ingest ${JSON.stringify(ref)} lock keeps changing hands`, { ref });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

class FileIngestWriter implements IngestWriter {
  readonly ref: string;
  #offset: number;
  readonly #store: ContentStore;
  readonly #dir: string;
  readonly #handle: fsp.FileHandle;
  readonly #hash: Hash;
  readonly #release: () => void;
  #closed = false;

  constructor(store: ContentStore, ref: string, dir: string, handle: fsp.FileHandle, hash: Hash, offset: number, release: () => void) {
    this.#store = store;
    this.ref = ref;
    this.#dir = dir;
    this.#handle = handle;
    this.#hash = hash;
    this.#offset = offset;
    this.#release = release;
  }

  get offset(): number {
    return this.#offset;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) throw new RangeError('Write to a closed ingest');
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.#handle.write(chunk, done, chunk.length - done);
      done += bytesWritten;
    }
    this.#hash.update(chunk);
    this.#offset += chunk.length;
  }

  async commit(expected: { digest?: string; size?: number } = {}): Promise<BlobInfo> {
    const digest = `sha256:${this.#hash.copy().digest('hex')}`;
    const size = this.#offset;
    try {
      if (expected.size !== undefined && expected.size !== size) {
        throw new SizeMismatch(`Size mismatch for ${expected.digest ?? digest}: expected ${expected.size} bytes, got ${size}`, {
          expected: expected.size,
          actual: size,
          digest: expected.digest ?? digest,
        });
      }
      if (expected.digest !== undefined && expected.digest !== digest) {
        throw new DigestMismatch(`Digest mismatch: expected ${expected.digest}, got ${digest}`, { expected: expected.digest, actual: digest, size });
      }
      await this.#handle.sync();
      await this.#handle.chmod(0o444);
    } catch (err) {
      await this.abort();
      throw err;
    }
    await this.#finish();
    const target = this.#store.blobPath(digest);
    if (await this.#store.has(digest)) {
      await fsp.rm(this.#dir, { recursive: true, force: true });
      return { digest, size };
    }
    await fsp.rename(path.join(this.#dir, 'data'), target);
    await fsyncDir(path.dirname(target));
    await fsp.rm(this.#dir, { recursive: true, force: true });
    return { digest, size };
  }

  async close(): Promise<void> {
    await this.#finish();
  }

  async abort(): Promise<void> {
    await this.#finish();
    await fsp.rm(this.#dir, { recursive: true, force: true });
  }

  async #finish(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
    await fsp.rm(path.join(this.#dir, 'lock'), { force: true });
    this.#release();
  }
}
