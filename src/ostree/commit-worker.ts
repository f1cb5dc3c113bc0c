/**
 * A commit worker: hashes and stores small regular files with synchronous calls, so that two
 * workers keep both cores busy (ostree commits on one). Objects are written to the
 * transaction's staging directory with O_EXCL; the main thread renames them into place when the
 * transaction commits, so a worker never exposes a partial object.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { deflateRawSync } from 'node:zlib';
import { isErrno } from '../core/index.js';
import { encodeArchiveHeader, encodeOstreeMeta, fileStreamPrefix, loosePath, S_IFREG, type FileHeader } from '../formats/index.js';
import type { RepoMode } from './repo.js';
import { readXattrsSync, setXattrSync } from './xattrs.js';

export interface WorkerConfig {
  readonly repoPath: string;
  readonly mode: RepoMode;
  readonly staging: string;
  readonly zlibLevel: number;
  readonly canonical: boolean;
  readonly noXattrs: boolean;
  readonly ownerUid: number | undefined;
  readonly ownerGid: number | undefined;
}

export interface WorkItem {
  readonly id: number;
  readonly abs: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export type WorkResult =
  | { readonly id: number; readonly checksum: string; readonly wrote: boolean; readonly bytes: number }
  | { readonly id: number; readonly error: { message: string; code?: string; stack?: string } };

let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a whole small file into one reused buffer (no allocation per file, which would cost
 * page faults and GC); the returned view is valid until the next call.
 */
function readAll(abs: string, size: number): Buffer {
  const fd = fs.openSync(abs, 'r');
  try {
    if (scratch.length < size + 1) scratch = Buffer.allocUnsafe(Math.max(size + 1, scratch.length * 2));
    const buf = scratch;
    let n = 0;
    for (;;) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) return fs.readFileSync(abs);
    }
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

export function processItem(cfg: WorkerConfig, made: Set<string>, item: WorkItem): { checksum: string; wrote: boolean; bytes: number } {
  const xattrs = cfg.canonical || cfg.noXattrs ? [] : readXattrsSync(item.abs);
  const header: FileHeader = {
    uid: cfg.canonical ? 0 : (cfg.ownerUid ?? item.uid),
    gid: cfg.canonical ? 0 : (cfg.ownerGid ?? item.gid),
    mode: cfg.canonical ? S_IFREG | (item.mode & 0o755) : item.mode,
    symlinkTarget: '',
    xattrs,
  };
  const data = readAll(item.abs, item.size);
  const checksum = createHash('sha256').update(fileStreamPrefix(header)).update(data).digest('hex');
  const rel = loosePath(checksum, 'file', cfg.mode === 'archive');
  try {
    fs.lstatSync(path.join(cfg.repoPath, rel));
    return { checksum, wrote: false, bytes: data.length };
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const prefix = checksum.slice(0, 2);
  if (!made.has(prefix)) {
    fs.mkdirSync(path.join(cfg.staging, prefix), { recursive: true, mode: 0o775 });
    made.add(prefix);
  }
  const staged = path.join(cfg.staging, prefix, path.basename(rel));
  let fd: number;
  try {
    fd = fs.openSync(staged, 'wx', cfg.mode === 'archive' ? 0o644 : 0o600);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return { checksum, wrote: false, bytes: data.length }; // same content seen twice
    throw err;
  }
  try {
    const perms = header.mode & 0o7777;
    switch (cfg.mode) {
      case 'archive':
        fs.writevSync(fd, [encodeArchiveHeader(header, data.length), deflateRawSync(data, { level: cfg.zlibLevel })]);
        break;
      case 'bare-user':
        fs.writeSync(fd, data);
        setXattrSync(staged, 'user.ostreemeta', encodeOstreeMeta(header));
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
        fs.fchmodSync(fd, perms);
        for (const x of header.xattrs) setXattrSync(staged, x.name, x.value);
        fs.futimesSync(fd, 0, 0);
        break;
    }
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(staged, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  return { checksum, wrote: true, bytes: data.length };
}

if (parentPort !== null && workerData !== undefined && (workerData as { berthCommitWorker?: boolean }).berthCommitWorker === true) {
  const cfg = (workerData as { config: WorkerConfig }).config;
  const made = new Set<string>();
  const port = parentPort;
  port.on('message', (batch: WorkItem[]) => {
    const out: WorkResult[] = batch.map((item) => {
      try {
        return { id: item.id, ...processItem(cfg, made, item) };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { id: item.id, error: { message: e.message, ...(e.code === undefined ? {} : { code: e.code }), ...(e.stack === undefined ? {} : { stack: e.stack }) } };
      }
    });
    port.postMessage(out);
  });
}
