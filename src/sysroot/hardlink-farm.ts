/**
 * The deployment checkout: a hardlink farm from the sysroot's bare repository, the one case
 * deploy needs (ostree checks out deployments the same way: bare repo, root, same filesystem).
 * Like ostree's checkout it reads dirtree/dirmeta objects without re-hashing them (fsck is the
 * place for that) and makes the farm with synchronous mkdir/link calls: one syscall each, without
 * a thread-pool round trip per file. Node has no linkat(), so the farm works from inside each
 * target directory (chdir, restored afterwards; nothing else runs while it is synchronous) to
 * keep the kernel's path walks short, as ostree's dirfd-relative calls do.
 * Other repo modes go through src/ostree's general checkout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeDirMeta, decodeDirTree, type DirMeta, type DirTree } from '../formats/ostree/index.js';
import { type Repo, setXattrs } from '../ostree/index.js';

function offsetWidth(size: number): number {
  return size === 0 ? 0 : size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
}

function readOffset(buf: Buffer, at: number, width: number): number {
  return width === 1 ? buf[at]! : width === 2 ? buf.readUInt16LE(at) : buf.readUInt32LE(at);
}

/** Element [start, end) boundaries of a GVariant array of variable-size elements in buf[from, to). */
function arrayElements(buf: Buffer, from: number, to: number): Array<[number, number]> {
  const size = to - from;
  if (size === 0) return [];
  const w = offsetWidth(size);
  const tableStart = from + readOffset(buf, to - w, w);
  if (tableStart > to || (to - tableStart) % w !== 0) throw new RangeError('bad framing');
  const out: Array<[number, number]> = [];
  let start = from;
  for (let at = tableStart; at < to; at += w) {
    const end = from + readOffset(buf, at, w);
    if (end < start || end > tableStart) throw new RangeError('bad framing');
    out.push([start, end]);
    start = end;
  }
  return out;
}

function safeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/');
}

/**
 * A fast path for the one hot decode of deploy, dirtree `(a(say)a(sayay))`: names and
 * 32-byte checksums read straight from the framing. Anything unusual (a bad name, a checksum
 * of another length, bad framing) goes to the general codec, which validates and throws.
 */
export function decodeDirTreeFast(buf: Buffer): DirTree {
  try {
    const n = buf.length;
    const w = offsetWidth(n);
    const filesEnd = readOffset(buf, n - w, w);
    const files: Array<{ name: string; checksum: string }> = [];
    for (const [s, e] of arrayElements(buf, 0, filesEnd)) {
      const nul = buf.indexOf(0, s);
      // (say): s, then ay, then one framing offset (end of s) of the element's width.
      const ew = offsetWidth(e - s);
      if (nul < 0 || nul + 1 + 32 + ew !== e || readOffset(buf, e - ew, ew) !== nul + 1 - s) throw new RangeError('unusual');
      const name = buf.toString('utf8', s, nul);
      if (!safeName(name)) throw new RangeError('unusual');
      files.push({ name, checksum: buf.toString('hex', nul + 1, nul + 33) });
    }
    const dirs: Array<{ name: string; treeChecksum: string; metaChecksum: string }> = [];
    for (const [s, e] of arrayElements(buf, filesEnd, n - w)) {
      const nul = buf.indexOf(0, s);
      const ew = offsetWidth(e - s);
      if (nul < 0 || nul + 1 + 64 + 2 * ew !== e) throw new RangeError('unusual');
      const name = buf.toString('utf8', s, nul);
      if (!safeName(name)) throw new RangeError('unusual');
      dirs.push({ name, treeChecksum: buf.toString('hex', nul + 1, nul + 33), metaChecksum: buf.toString('hex', nul + 33, nul + 65) });
    }
    for (let i = 1; i < files.length; i++) if (files[i - 1]!.name >= files[i]!.name) throw new RangeError('unusual');
    for (let i = 1; i < dirs.length; i++) if (dirs[i - 1]!.name >= dirs[i]!.name) throw new RangeError('unusual');
    return { files, dirs };
  } catch {
    return decodeDirTree(buf);
  }
}

export async function hardlinkFarm(repo: Repo, commitChecksum: string, dest: string): Promise<number> {
  if (repo.mode !== 'bare') throw new TypeError('hardlinkFarm() needs a bare repository');
  const commit = await repo.loadCommit(commitChecksum);
  const objects = `${path.resolve(repo.path)}/objects/`;
  const metas = new Map<string, DirMeta>();
  const metaOf = (csum: string): DirMeta => {
    let m = metas.get(csum);
    if (m === undefined) {
      m = decodeDirMeta(fs.readFileSync(`${objects}${csum.slice(0, 2)}/${csum.slice(2)}.dirmeta`));
      metas.set(csum, m);
    }
    return m;
  };
  let files = 0;
  const withXattrs: Array<[string, DirMeta]> = [];
  const make = (treeCsum: string, metaCsum: string, dir: string): void => {
    const tree = decodeDirTreeFast(fs.readFileSync(`${objects}${treeCsum.slice(0, 2)}/${treeCsum.slice(2)}.dirtree`));
    const meta = metaOf(metaCsum);
    fs.mkdirSync(dir, { mode: 0o700 });
    process.chdir(dir);
    for (const f of tree.files) {
      fs.linkSync(`${objects}${f.checksum.slice(0, 2)}/${f.checksum.slice(2)}.file`, f.name);
    }
    files += tree.files.length;
    for (const d of tree.dirs) make(d.treeChecksum, d.metaChecksum, `${dir}/${d.name}`);
    // Metadata last, so a read-only directory can still be filled.
    fs.chownSync(dir, meta.uid, meta.gid);
    fs.chmodSync(dir, meta.mode & 0o7777);
    if (meta.xattrs.length > 0) withXattrs.push([dir, meta]);
  };
  const cwd = process.cwd();
  try {
    make(commit.rootTree, commit.rootMeta, path.resolve(dest));
  } finally {
    process.chdir(cwd);
  }
  for (const [dir, meta] of withXattrs) await setXattrs(dir, meta.xattrs);
  return files;
}
