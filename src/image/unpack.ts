import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import type { Header } from 'tar-stream';
import { exec } from '../core/index.js';
import { splitTarPath, whiteoutOf } from '../formats/tar-path.js';
import { TarXattrScanner, type TarMemberXattrs } from '../formats/tar-pax-xattrs.js';
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
  // tar-stream and the fs-xattr addon load with the first layer, not with the image store (`berth run`, `berth images`).
  const { setAttributeSync } = await import('fs-xattr');
  const hash = createHash('sha256');
  // Binary xattr values (security.capability) survive only if read from the raw PAX records.
  const xattrScanner = new TarXattrScanner();
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      xattrScanner.push(chunk);
      cb(null, chunk);
    },
  });
  const ex = (await import('tar-stream')).extract();
  const feeding = new Promise<void>((resolve, reject) => {
    pipeline(Readable.from(decompressLayer(source)), hasher, ex, (err) => (err ? reject(err) : resolve()));
  });
  feeding.catch(() => undefined); // reported below, after the entries
  const applier = new LayerApplier(path.resolve(dest), options, setAttributeSync);
  try {
    for await (const entry of ex) {
      await applier.apply(entry.header, entry as unknown as AsyncIterable<Buffer>, xattrScanner.take());
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

/**
 * Applies entries with synchronous fs calls: a layer is thousands of tiny metadata operations, and a
 * thread-pool round trip per call made async unpacking ~10x slower; the event loop still turns
 * between entries (the tar stream is awaited). Directories verified in this layer are cached, and
 * inside directories this layer created, absence is known without a syscall.
 */
type SetXattr = typeof import('fs-xattr').setAttributeSync;

class LayerApplier {
  readonly #root: string;
  readonly #options: UnpackOptions;
  readonly #chown: boolean;
  readonly #created = new Set<string>(); // relative paths this layer made (flatten: opaque spares them)
  readonly #dirs = new Set<string>(['']); // relative paths known to be real directories now
  readonly #fresh = new Set<string>(); // directories made by this layer: a child exists iff it is in #created
  readonly #dirTimes = new Map<string, Date>();
  readonly #setXattr: SetXattr;
  size = 0;

  constructor(root: string, options: UnpackOptions, setXattr: SetXattr) {
    this.#root = root;
    this.#setXattr = setXattr;
    this.#options = options;
    this.#chown = options.chown ?? process.getuid?.() === 0;
    if (fs.readdirSync(root).length === 0) this.#fresh.add('');
  }

  #abs(rel: string): string {
    return rel === '' ? this.#root : path.join(this.#root, rel);
  }

  #lstat(rel: string): fs.Stats | undefined {
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    if (this.#fresh.has(parent) && !this.#created.has(rel)) return undefined;
    return fs.lstatSync(this.#abs(rel), { throwIfNoEntry: false });
  }

  #forget(rel: string): void {
    for (const set of [this.#dirs, this.#fresh]) {
      for (const d of set) if (d === rel || d.startsWith(`${rel}/`)) set.delete(d);
    }
  }

  /** Walks to the parent of `parts`, creating missing directories, refusing symlinks and non-directories. */
  #parent(parts: readonly string[], name: string): string {
    let rel = '';
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel === '' ? parts[i]! : `${rel}/${parts[i]!}`;
      if (this.#dirs.has(rel)) continue;
      const st = this.#lstat(rel);
      if (st === undefined) {
        fs.mkdirSync(this.#abs(rel), { mode: 0o755 });
        this.#created.add(rel);
        this.#fresh.add(rel);
        this.#dirs.add(rel);
        continue;
      }
      if (st.isSymbolicLink()) unsafe(name, `path goes through the symlink ${JSON.stringify(rel)}`);
      if (!st.isDirectory()) unsafe(name, `${JSON.stringify(rel)} is not a directory`);
      this.#dirs.add(rel);
    }
    return rel;
  }

  /** Removes what is at `rel` (unless it is a directory and `keepDir`); true when a directory was kept. */
  #removeExisting(rel: string, keepDir: boolean): boolean {
    const st = this.#lstat(rel);
    if (st === undefined) return false;
    if (keepDir && st.isDirectory()) return true;
    fs.rmSync(this.#abs(rel), { recursive: true, force: true });
    this.#forget(rel);
    return false;
  }

  async apply(header: Header, body: AsyncIterable<Buffer>, raw?: TarMemberXattrs): Promise<void> {
    const name = header.name;
    const split = splitTarPath(name);
    if (!split.ok) {
      if (split.reason === 'empty') return; // "./" itself: the root, nothing to do
      unsafe(name, split.reason === 'dotdot' ? 'name contains ".."' : split.reason === 'absolute' ? 'absolute name' : 'name contains NUL');
    }
    const parts = split.parts;
    const base = parts[parts.length - 1]!;
    const parentRel = this.#parent(parts, name);
    const rel = parentRel === '' ? base : `${parentRel}/${base}`;
    const wh = whiteoutOf(base);
    if (wh.kind === 'opaque') return this.#opaque(parentRel);
    if (wh.kind === 'whiteout') return this.#whiteout(parentRel, wh.name, name);
    const target = this.#abs(rel);
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtime = header.mtime ?? new Date(0);
    switch (header.type) {
      case 'directory': {
        const existed = this.#removeExisting(rel, true);
        if (!existed) {
          fs.mkdirSync(target, { mode: 0o700 });
          this.#fresh.add(rel);
        }
        if (this.#chown) fs.chownSync(target, header.uid ?? 0, header.gid ?? 0);
        fs.chmodSync(target, mode);
        this.#dirs.add(rel);
        this.#dirTimes.set(target, mtime);
        break;
      }
      case 'file':
      case 'contiguous-file': {
        this.#removeExisting(rel, false);
        const fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) {
            let done = 0;
            while (done < chunk.length) done += fs.writeSync(fd, chunk, done, chunk.length - done);
            this.size += chunk.length;
          }
          if (this.#chown) fs.fchownSync(fd, header.uid ?? 0, header.gid ?? 0);
          fs.fchmodSync(fd, mode);
          this.#xattrs(target, header, raw);
          fs.futimesSync(fd, mtime, mtime);
        } finally {
          fs.closeSync(fd);
        }
        break;
      }
      case 'symlink': {
        if (header.linkname === undefined || header.linkname === null || header.linkname === '') unsafe(name, 'symlink without a target');
        this.#removeExisting(rel, false);
        fs.symlinkSync(header.linkname, target);
        if (this.#chown) fs.lchownSync(target, header.uid ?? 0, header.gid ?? 0);
        fs.lutimesSync(target, mtime, mtime);
        break;
      }
      case 'link': {
        const link = splitTarPath(header.linkname ?? '');
        if (!link.ok) unsafe(name, `hardlink target ${JSON.stringify(header.linkname)} is outside the layer`);
        const sourceParent = this.#parent(link.parts, name);
        const sourceRel = sourceParent === '' ? link.parts[link.parts.length - 1]! : `${sourceParent}/${link.parts[link.parts.length - 1]!}`;
        const st = this.#lstat(sourceRel);
        if (st === undefined) unsafe(name, `hardlink target ${JSON.stringify(header.linkname)} is not in the layer`);
        if (st.isDirectory()) unsafe(name, 'hardlink to a directory');
        if (sourceRel === rel) break;
        this.#removeExisting(rel, false);
        fs.linkSync(this.#abs(sourceRel), target);
        break;
      }
      case 'character-device':
      case 'block-device': {
        if (!this.#options.allowDevices) unsafe(name, 'device nodes are not allowed here (unprivileged unpack)');
        this.#removeExisting(rel, false);
        const kind = header.type === 'character-device' ? 'c' : 'b';
        await exec(['mknod', '-m', mode.toString(8), target, kind, String(header.devmajor ?? 0), String(header.devminor ?? 0)]);
        if (this.#chown) fs.lchownSync(target, header.uid ?? 0, header.gid ?? 0);
        break;
      }
      case 'fifo': {
        this.#removeExisting(rel, false);
        await exec(['mkfifo', '-m', mode.toString(8), target]);
        if (this.#chown) fs.lchownSync(target, header.uid ?? 0, header.gid ?? 0);
        break;
      }
      default:
        unsafe(name, `unsupported entry type ${JSON.stringify(header.type)}`);
    }
    this.#created.add(rel);
  }

  /** Xattrs from the member's PAX records: byte-exact from the scanner when it saw the same member. */
  #xattrs(target: string, header: Header, raw: TarMemberXattrs | undefined): void {
    let values: Iterable<[string, Buffer]>;
    if (raw !== undefined && raw.name === header.name) {
      values = raw.xattrs;
    } else {
      const pax = header.pax as Record<string, string> | null | undefined;
      if (!pax) return;
      // Without the raw bytes, a value that UTF-8 decoding mangled is skipped: never write garbage.
      values = Object.entries(pax)
        .filter(([key, value]) => key.startsWith('SCHILY.xattr.') && !value.includes('\ufffd'))
        .map(([key, value]): [string, Buffer] => [key.slice('SCHILY.xattr.'.length), Buffer.from(value, 'utf8')]);
    }
    for (const [attr, value] of values) {
      try {
        this.#setXattr(target, attr, value);
      } catch {
        /* e.g. security.* without the capability, or a filesystem without xattrs: the file itself is fine */
      }
    }
  }

  async #whiteout(parentRel: string, victim: string, name: string): Promise<void> {
    if (victim === '' || victim === '.' || victim === '..' || victim.includes('/')) unsafe(name, 'bad whiteout name');
    const rel = parentRel === '' ? victim : `${parentRel}/${victim}`;
    this.#removeExisting(rel, false);
    if (this.#options.mode === 'flatten') return;
    await exec(['mknod', '-m', '0', this.#abs(rel), 'c', '0', '0']);
    this.#created.add(rel);
  }

  #opaque(dirRel: string): void {
    const dir = this.#abs(dirRel);
    if (this.#options.mode === 'overlay') {
      this.#setXattr(dir, 'trusted.overlay.opaque', 'y');
      return;
    }
    for (const child of fs.readdirSync(dir)) {
      const childRel = dirRel === '' ? child : `${dirRel}/${child}`;
      if (!this.#created.has(childRel)) {
        fs.rmSync(path.join(dir, child), { recursive: true, force: true });
        this.#forget(childRel);
      }
    }
  }

  async finish(): Promise<void> {
    // Directory mtimes last: adding children changed them. Deepest first.
    const dirs = [...this.#dirTimes].sort((a, b) => b[0].length - a[0].length);
    for (const [dir, time] of dirs) {
      try {
        fs.utimesSync(dir, time, time);
      } catch {
        /* removed later in the layer */
      }
    }
  }
}
