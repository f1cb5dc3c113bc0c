/**
 * `commit --tree=dir=`: importing a directory into a MutableTree.
 *
 * The tree is walked once with synchronous lstat calls (warm-cache metadata calls are cheaper
 * inline than through the thread pool), then imported by a few "lanes" that pull jobs from one
 * generator: a batch of small files, one symlink or one large file. The generator visits the
 * directories depth-first and writes each dirmeta as it enters the directory. So at most
 * `lanes` jobs (a few hundred files) are in flight whatever the tree's size, instead of one
 * promise per file: the main thread's heap stays small, and so does the garbage it makes.
 * Small files are stored by worker threads for big trees (commit-worker.ts), by the main
 * thread otherwise, both through commit-file.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { encodeDirMeta, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type FileHeader, type Xattr } from '../formats/ostree/index.js';
import { SmallFileStore, type SmallFile, type StoreConfig } from './commit-file.js';
import type { BatchResult, WorkBatch } from './commit-worker.js';
import { UnsupportedFileType } from './errors.js';
import { Limiter, type MutableTree } from './mtree.js';
import type { Repo } from './repo.js';
import { contentChecksum, type Transaction } from './transaction.js';
import { readSymlinkXattrs, readXattrs, readXattrsSync } from './xattrs.js';

/** Files up to this size are read whole into one reused buffer; larger ones are streamed. */
const SMALL_FILE = 1 << 20;
/** Small files per job (and per message to a worker). */
const BATCH = 32;
/** Large files streaming at once (each holds a 1 MiB read buffer, and a deflate stream in archive mode). */
const BIG_FILES = new Limiter(2);
/** Below this many small files, workers cost more to start than they save. */
const WORKER_THRESHOLD = 2000;
/** Yield to the event loop every this many files (signals, timers) even when every call is synchronous. */
const YIELD_EVERY = 256;

export interface DirImportContext {
  readonly repo: Repo;
  readonly tx: Transaction;
  readonly canonical: boolean;
  readonly noXattrs: boolean;
  readonly ownerUid: number | undefined;
  readonly ownerGid: number | undefined;
  /** Worker threads: 'auto' starts up to two for trees of WORKER_THRESHOLD+ small files. */
  readonly workers: number | 'auto';
  /** `dev:ino` -> content checksum of the repo's objects, for --link-checkout-speedup. */
  readonly devino: Map<string, string> | undefined;
}

/**
 * The lstat fields a commit uses. The walk holds one per entry until the entry is imported; whole
 * Stats objects (four Dates and a dozen boxed numbers each) made up a third of the live heap.
 */
interface EntryStat {
  readonly mode: number;
  readonly size: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
}

function entryStat(st: fs.Stats): EntryStat {
  return { mode: st.mode, size: st.size, uid: st.uid, gid: st.gid, nlink: st.nlink };
}

interface WalkDir {
  readonly name: string;
  readonly abs: string;
  readonly st: EntryStat;
  /** Everything but directories, in readdir order; emptied once the directory is imported. */
  files: Array<{ readonly name: string; readonly st: EntryStat }>;
  dirs: WalkDir[];
}

interface WalkCounts {
  small: number;
  readonly symlinks: string[];
}

function walk(abs: string, name: string, st: EntryStat, counts: WalkCounts): WalkDir {
  const out: WalkDir = { name, abs, st, files: [], dirs: [] };
  for (const d of fs.readdirSync(abs)) {
    const childAbs = path.join(abs, d);
    const cst = fs.lstatSync(childAbs);
    if (cst.isDirectory()) {
      out.dirs.push(walk(childAbs, d, entryStat(cst), counts));
      continue;
    }
    if (cst.isSymbolicLink()) counts.symlinks.push(childAbs);
    else if (cst.isFile() && cst.size <= SMALL_FILE) counts.small += 1;
    else if (!cst.isFile()) throw new UnsupportedFileType(`Unsupported file type for file: '${childAbs}'`, { path: childAbs });
    out.files.push({ name: d, st: entryStat(cst) });
  }
  return out;
}

/** Hands batches of small files to worker threads, at most two batches in flight per worker. */
class WorkerPool {
  readonly #slots: Array<{ worker: Worker; inFlight: number }> = [];
  readonly #queue: WorkBatch[] = [];
  readonly #waiting = new Map<number, { resolve: (r: { checksums: string[]; wrote: number[] }) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #failed: Error | undefined;

  constructor(config: StoreConfig, count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./commit-worker.js', import.meta.url), {
        workerData: { berthCommitWorker: true, config },
        // A worker's garbage is per-file headers and hashes; a small young generation keeps its RSS
        // down (V8's default lets it reach tens of MB) at no measurable cost.
        resourceLimits: { maxYoungGenerationSizeMb: 4 },
      });
      const slot = { worker, inFlight: 0 };
      worker.on('message', (r: BatchResult) => {
        slot.inFlight -= 1;
        const w = this.#waiting.get(r.id);
        this.#waiting.delete(r.id);
        if ('error' in r) w?.reject(Object.assign(new Error(r.error.message), r.error.code === undefined ? {} : { code: r.error.code }));
        else w?.resolve(r);
        this.#dispatch();
      });
      worker.on('error', (err) => this.#fail(err));
      worker.on('exit', (code) => this.#fail(new Error(`commit worker exited (code ${code})`)));
      this.#slots.push(slot);
    }
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
    this.#queue.length = 0;
  }

  submit(files: SmallFile[]): Promise<{ checksums: string[]; wrote: number[] }> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#queue.push({ id, files });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      while (slot.inFlight < 2 && this.#queue.length > 0) {
        slot.worker.postMessage(this.#queue.shift()!);
        slot.inFlight += 1;
      }
    }
  }

  async close(): Promise<void> {
    this.#failed ??= new Error('commit worker pool closed');
    for (const s of this.#slots) s.worker.removeAllListeners('exit');
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

type Job = () => Promise<void>;

/** One importer per commit: holds the worker pool (if any) across several --tree=dir= sources. */
export class DirImporter {
  readonly #ctx: DirImportContext;
  readonly #config: StoreConfig;
  #pool: WorkerPool | undefined;
  #local: SmallFileStore | undefined;
  /** Content entries seen (files and symlinks, reused or not). */
  contentTotal = 0;

  constructor(ctx: DirImportContext) {
    this.#ctx = ctx;
    this.#config = {
      repoPath: ctx.repo.path,
      mode: ctx.repo.mode,
      staging: ctx.tx.stagingDir,
      zlibLevel: ctx.repo.zlibLevel,
      canonical: ctx.canonical,
      noXattrs: ctx.noXattrs,
      ownerUid: ctx.ownerUid,
      ownerGid: ctx.ownerGid,
    };
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }

  /** Imports `dir` into `root` (which may hold earlier trees: files replace, directories merge). */
  async import(dir: string, root: MutableTree): Promise<void> {
    const st = fs.statSync(dir);
    if (!st.isDirectory()) throw new UnsupportedFileType(`Not a directory: '${dir}'`, { path: dir });
    const counts: WalkCounts = { small: 0, symlinks: [] };
    const tree = walk(path.resolve(dir), '', entryStat(st), counts);
    const want = this.#ctx.workers;
    const count = want === 'auto' ? (counts.small >= WORKER_THRESHOLD ? Math.max(1, Math.min(2, availableParallelism())) : 0) : want;
    if (this.#pool === undefined && count > 0) this.#pool = new WorkerPool(this.#config, count);
    const symlinkXattrs = counts.symlinks.length > 0 && !this.#ctx.noXattrs && !this.#ctx.canonical
      ? await readSymlinkXattrs(counts.symlinks)
      : new Map<string, Xattr[]>();
    // Enough lanes to keep two batches queued per worker beside the one it works on, plus large files.
    const lanes = this.#pool === undefined ? 3 : 3 * count + 2;
    await runLanes(this.#jobs(tree, root, symlinkXattrs), lanes);
  }

  async *#jobs(top: WalkDir, root: MutableTree, symlinkXattrs: Map<string, Xattr[]>): AsyncGenerator<Job> {
    const ctx = this.#ctx;
    const stack: Array<{ dir: WalkDir; node: MutableTree }> = [{ dir: top, node: root }];
    let batch = new SmallBatch();
    let seen = 0;
    while (stack.length > 0) {
      const { dir, node } = stack.pop()!;
      await node.expand(ctx.repo);
      node.metaChecksum = await this.#dirMeta(dir);
      const files = dir.files;
      dir.files = [];
      for (const { name, st } of files) {
        this.contentTotal += 1;
        if (++seen % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const abs = path.join(dir.abs, name);
        if (ctx.devino !== undefined && st.nlink > 1) {
          const big = fs.lstatSync(abs, { bigint: true });
          const known = ctx.devino.get(`${big.dev}:${big.ino}`);
          if (known !== undefined) {
            node.setFile(name, known);
            continue;
          }
        }
        if ((st.mode & S_IFMT) === S_IFLNK) {
          yield () => this.#symlink(node, name, abs, st, symlinkXattrs.get(abs) ?? []);
        } else if (st.size > SMALL_FILE) {
          yield () => this.#bigFile(node, name, abs, st);
        } else {
          batch.add(node, name, { abs, size: st.size, mode: st.mode, uid: st.uid, gid: st.gid });
          if (batch.files.length >= BATCH) {
            const full = batch;
            batch = new SmallBatch();
            yield () => this.#smallFiles(full);
          }
        }
      }
      for (let i = dir.dirs.length - 1; i >= 0; i--) {
        const sub = dir.dirs[i]!;
        stack.push({ dir: sub, node: node.ensureDir(sub.name) });
      }
      dir.dirs = [];
    }
    if (batch.files.length > 0) yield () => this.#smallFiles(batch);
  }

  #owner(st: { uid: number; gid: number }): { uid: number; gid: number } {
    if (this.#ctx.canonical) return { uid: 0, gid: 0 };
    return { uid: this.#ctx.ownerUid ?? st.uid, gid: this.#ctx.ownerGid ?? st.gid };
  }

  async #dirMeta(dir: WalkDir): Promise<string> {
    const ctx = this.#ctx;
    const xattrs = ctx.canonical || ctx.noXattrs ? [] : readXattrsSync(dir.abs);
    const mode = ctx.canonical ? S_IFDIR | (dir.st.mode & 0o755) : dir.st.mode;
    return ctx.tx.writeMetadata('dirmeta', encodeDirMeta({ ...this.#owner(dir.st), mode, xattrs }));
  }

  async #smallFiles(batch: SmallBatch): Promise<void> {
    let r: { checksums: string[]; wrote: number[] };
    if (this.#pool !== undefined) r = await this.#pool.submit(batch.files);
    else {
      this.#local ??= new SmallFileStore(this.#config);
      r = { checksums: [], wrote: [] };
      for (const [i, f] of batch.files.entries()) {
        const one = this.#local.store(f);
        r.checksums.push(one.checksum);
        if (one.wrote) r.wrote.push(i);
      }
    }
    for (const [i, checksum] of r.checksums.entries()) batch.nodes[i]!.setFile(batch.names[i]!, checksum);
    for (const i of r.wrote) this.#ctx.tx.adoptStaged(r.checksums[i]!, batch.files[i]!.size);
  }

  async #symlink(node: MutableTree, name: string, abs: string, st: EntryStat, xattrs: Xattr[]): Promise<void> {
    const header: FileHeader = { ...this.#owner(st), mode: st.mode, symlinkTarget: fs.readlinkSync(abs), xattrs: this.#ctx.canonical ? [] : xattrs };
    const empty = { kind: 'buffer', data: new Uint8Array(0) } as const;
    const checksum = await contentChecksum(header, empty);
    await this.#ctx.tx.writeContent(checksum, header, empty);
    node.setFile(name, checksum);
  }

  /** Large files stream through 1 MiB buffers (hashed, then copied or deflated if the repo lacks them). */
  async #bigFile(node: MutableTree, name: string, abs: string, st: EntryStat): Promise<void> {
    const ctx = this.#ctx;
    const checksum = await BIG_FILES.run(async () => {
      const xattrs = ctx.canonical || ctx.noXattrs ? [] : await readXattrs(abs);
      const mode = ctx.canonical ? S_IFREG | (st.mode & 0o755) : st.mode;
      const header: FileHeader = { ...this.#owner(st), mode, symlinkTarget: '', xattrs };
      const source = { kind: 'file', path: abs, size: st.size } as const;
      const c = await contentChecksum(header, source);
      await ctx.tx.writeContent(c, header, source);
      return c;
    });
    node.setFile(name, checksum);
  }
}

/** Small files for one job, with the tree node and name each checksum goes to. */
class SmallBatch {
  readonly files: SmallFile[] = [];
  readonly nodes: MutableTree[] = [];
  readonly names: string[] = [];

  add(node: MutableTree, name: string, file: SmallFile): void {
    this.files.push(file);
    this.nodes.push(node);
    this.names.push(name);
  }
}

/**
 * Runs the generator's jobs on `lanes` concurrent loops. On the first error no new job starts,
 * but the jobs in flight finish before it is rethrown, so no write is left running.
 */
async function runLanes(jobs: AsyncGenerator<Job>, lanes: number): Promise<void> {
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined) {
      try {
        const next = await jobs.next();
        if (next.done === true) return;
        await next.value();
      } catch (err) {
        failure ??= { err };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure !== undefined) throw failure.err;
}
