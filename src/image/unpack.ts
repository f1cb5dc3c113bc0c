import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { setAttribute } from 'fs-xattr';
import { exec, isErrno } from '../core/index.js';
import { splitTarPath, whiteoutOf } from '../formats/index.js';
import { decompressLayer } from './decompress.js';
import { UnsafeLayer } from './errors.js';

/**
 * Applies one layer tar to a directory, safely.
 *
 * Modes: `overlay` unpacks a layer into its own directory for use as an overlayfs lowerdir, turning
 * whiteouts into what the kernel reads (`.wh.x` → character device 0:0 named x; `.wh..wh..opq` →
 * xattr trusted.overlay.opaque=y on the directory), as containers-storage does. `flatten` applies
 * the layer onto a rootfs holding the layers below (whiteouts delete; an opaque directory loses the
 * children it had before this layer).
 *
 * Safety: every path is the destination plus clean name parts; "..", absolute names, a path that goes
 * through a symlink, a hardlink to something not in the destination and (unless allowed) device nodes
 * are refused with IMAGE_UNSAFE_LAYER before anything is written for that entry. Files are created
 * with O_EXCL|O_NOFOLLOW after removing what was there, so nothing is ever written through a link.
 */
export interface UnpackOptions {
  readonly mode: 'overlay' | 'flatten';
  /** Create character/block devices from the tar (default false: refused). */
  readonly allowDevices?: boolean;
  /** Apply the tar's uid/gid (default: when running as root). */
  readonly chown?: boolean;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar: must equal the config's rootfs.diff_ids entry. */
  readonly diffId: string;
  /** Bytes of regular files written. */
  readonly size: number;
}

function unsafe(name: string, reason: string): never {
  throw new UnsafeLayer(`Refusing layer entry ${JSON.stringify(name)}: ${reason}`, { path: name, reason });
}

export async function unpackLayer(source: AsyncIterable<Uint8Array>, dest: string, options: UnpackOptions): Promise<UnpackResult> {
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const ex = extract();
  const feeding = new Promise<void>((resolve, reject) => {
    pipeline(Readable.from(decompressLayer(source)), hasher, ex, (err) => (err ? reject(err) : resolve()));
  });
  feeding.catch(() => undefined); // reported below, after the entries
  const applier = new LayerApplier(path.resolve(dest), options);
  try {
    for await (const entry of ex) {
      await applier.apply(entry.header, entry as unknown as AsyncIterable<Buffer>);
      entry.resume(); // drain whatever apply() did not read
    }
  } catch (err) {
    ex.destroy();
    throw err;
  }
  await feeding;
  await applier.finish();
  return { diffId: `sha256:${hash.digest('hex')}`, size: applier.size };
}

class LayerApplier {
  readonly #root: string;
  readonly #options: UnpackOptions;
  readonly #chown: boolean;
  readonly #created = new Set<string>(); // relative paths this layer made (flatten: opaque spares them)
  readonly #dirTimes = new Map<string, Date>();
  size = 0;

  constructor(root: string, options: UnpackOptions) {
    this.#root = root;
    this.#options = options;
    this.#chown = options.chown ?? process.getuid?.() === 0;
  }

  /** Walks to the parent of `parts`, creating missing directories, refusing symlinks and non-directories. */
  async #parent(parts: readonly string[], name: string): Promise<string> {
    let cur = this.#root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = path.join(cur, parts[i]!);
      let st;
      try {
        st = await fsp.lstat(next);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
        await fsp.mkdir(next, { mode: 0o755 });
        this.#created.add(parts.slice(0, i + 1).join('/'));
        cur = next;
        continue;
      }
      if (st.isSymbolicLink()) unsafe(name, `path goes through the symlink ${JSON.stringify(parts.slice(0, i + 1).join('/'))}`);
      if (!st.isDirectory()) unsafe(name, `${JSON.stringify(parts.slice(0, i + 1).join('/'))} is not a directory`);
      cur = next;
    }
    return cur;
  }

  async #removeExisting(p: string, keepDir: boolean): Promise<boolean> {
    let st;
    try {
      st = await fsp.lstat(p);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
    if (keepDir && st.isDirectory()) return true;
    await fsp.rm(p, { recursive: true, force: true });
    return false;
  }

  async apply(header: Header, body: AsyncIterable<Buffer>): Promise<void> {
    const name = header.name;
    const split = splitTarPath(name);
    if (!split.ok) {
      if (split.reason === 'empty') return; // "./" itself: the root, nothing to do
      unsafe(name, split.reason === 'dotdot' ? 'name contains ".."' : split.reason === 'absolute' ? 'absolute name' : 'name contains NUL');
    }
    const parts = split.parts;
    const rel = parts.join('/');
    const base = parts[parts.length - 1]!;
    const parent = await this.#parent(parts, name);
    const wh = whiteoutOf(base);
    if (wh.kind === 'opaque') return this.#opaque(parent, parts.slice(0, -1).join('/'), name);
    if (wh.kind === 'whiteout') return this.#whiteout(parent, wh.name, name);
    const target = path.join(parent, base);
    const mode = (header.mode ?? 0o644) & 0o7777;
    switch (header.type) {
      case 'directory': {
        const existed = await this.#removeExisting(target, true);
        if (!existed) await fsp.mkdir(target, { mode: 0o700 });
        await this.#owner(target, header, false);
        await fsp.chmod(target, mode);
        this.#dirTimes.set(target, header.mtime ?? new Date(0));
        break;
      }
      case 'file':
      case 'contiguous-file': {
        await this.#removeExisting(target, false);
        const fh = await fsp.open(target, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) {
            await fh.write(chunk as Buffer);
            this.size += (chunk as Buffer).length;
          }
          if (this.#chown) await fh.chown(header.uid ?? 0, header.gid ?? 0);
          await fh.chmod(mode);
        } finally {
          await fh.close();
        }
        await this.#xattrs(target, header);
        await fsp.utimes(target, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
        break;
      }
      case 'symlink': {
        if (header.linkname === undefined || header.linkname === null || header.linkname === '') unsafe(name, 'symlink without a target');
        await this.#removeExisting(target, false);
        await fsp.symlink(header.linkname, target);
        await this.#owner(target, header, true);
        await fsp.lutimes(target, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
        break;
      }
      case 'link': {
        const link = splitTarPath(header.linkname ?? '');
        if (!link.ok) unsafe(name, `hardlink target ${JSON.stringify(header.linkname)} is outside the layer`);
        const sourceParent = await this.#parent(link.parts, name);
        const source = path.join(sourceParent, link.parts[link.parts.length - 1]!);
        let st;
        try {
          st = await fsp.lstat(source);
        } catch (err) {
          if (isErrno(err, 'ENOENT')) unsafe(name, `hardlink target ${JSON.stringify(header.linkname)} is not in the layer`);
          throw err;
        }
        if (st.isDirectory()) unsafe(name, 'hardlink to a directory');
        if (source === target) break;
        await this.#removeExisting(target, false);
        await fsp.link(source, target);
        break;
      }
      case 'character-device':
      case 'block-device': {
        if (!this.#options.allowDevices) unsafe(name, 'device nodes are not allowed here (unprivileged unpack)');
        await this.#removeExisting(target, false);
        const kind = header.type === 'character-device' ? 'c' : 'b';
        await exec(['mknod', '-m', mode.toString(8), target, kind, String(header.devmajor ?? 0), String(header.devminor ?? 0)]);
        await this.#owner(target, header, true);
        break;
      }
      case 'fifo': {
        await this.#removeExisting(target, false);
        await exec(['mkfifo', '-m', mode.toString(8), target]);
        await this.#owner(target, header, true);
        break;
      }
      default:
        unsafe(name, `unsupported entry type ${JSON.stringify(header.type)}`);
    }
    this.#created.add(rel);
  }

  async #owner(target: string, header: Header, isLink: boolean): Promise<void> {
    if (!this.#chown) return;
    if (isLink) await fsp.lchown(target, header.uid ?? 0, header.gid ?? 0);
    else await fsp.chown(target, header.uid ?? 0, header.gid ?? 0);
  }

  async #xattrs(target: string, header: Header): Promise<void> {
    const pax = header.pax as Record<string, string> | null | undefined;
    if (!pax) return;
    for (const [key, value] of Object.entries(pax)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const attr = key.slice('SCHILY.xattr.'.length);
      if (value.includes('\ufffd')) continue; // binary value mangled by UTF-8 decoding of the PAX record: skip, never write garbage
      await setAttribute(target, attr, Buffer.from(value, 'utf8')).catch(() => undefined);
    }
  }

  async #whiteout(parent: string, victim: string, name: string): Promise<void> {
    if (victim === '' || victim === '.' || victim === '..' || victim.includes('/')) unsafe(name, 'bad whiteout name');
    const target = path.join(parent, victim);
    if (this.#options.mode === 'flatten') {
      await fsp.rm(target, { recursive: true, force: true });
      return;
    }
    await this.#removeExisting(target, false);
    await exec(['mknod', '-m', '0', target, 'c', '0', '0']);
  }

  async #opaque(dir: string, rel: string, name: string): Promise<void> {
    if (this.#options.mode === 'overlay') {
      await setAttribute(dir, 'trusted.overlay.opaque', 'y');
      return;
    }
    for (const child of await fsp.readdir(dir)) {
      const childRel = rel === '' ? child : `${rel}/${child}`;
      if (!this.#created.has(childRel)) await fsp.rm(path.join(dir, child), { recursive: true, force: true });
    }
    void name;
  }

  async finish(): Promise<void> {
    // Directory mtimes last: adding children changed them. Deepest first.
    const dirs = [...this.#dirTimes].sort((a, b) => b[0].length - a[0].length);
    for (const [dir, time] of dirs) await fsp.utimes(dir, time, time).catch(() => undefined);
  }
}
