import { getAttribute, getAttributeSync, listAttributes, listAttributesSync, setAttribute, setAttributeSync } from 'fs-xattr';
import { exec, isErrno } from '../core/index.js';
import type { Xattr } from '../formats/ostree/index.js';
import { XattrsUnsupported } from './errors.js';

/**
 * Extended attributes. Node has no xattr API: regular files and directories go through the
 * fs-xattr addon (getxattr/setxattr in libuv's thread pool); it follows symlinks, so symlinks
 * go through `getfattr -h`/`setfattr -h` from the attr package, batched, since they are rare.
 * Zero-length values are dropped, as ostree does when it reads a tree.
 */
export async function readXattrs(path: string): Promise<Xattr[]> {
  let names: string[];
  try {
    names = await listAttributes(path);
  } catch (err) {
    if (isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) return [];
    throw err;
  }
  if (names.length === 0) return [];
  const out: Xattr[] = [];
  for (const name of names) {
    try {
      const value = await getAttribute(path, name);
      if (value.length > 0) out.push({ name, value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) });
    } catch (err) {
      if (isErrno(err, 'ENODATA')) continue; // removed meanwhile
      throw err;
    }
  }
  return out;
}

/** Synchronous readXattrs, for the commit hot path (no thread-pool round trip per file). */
export function readXattrsSync(path: string): Xattr[] {
  let names: string[];
  try {
    names = listAttributesSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) return [];
    throw err;
  }
  const out: Xattr[] = [];
  for (const name of names) {
    try {
      const value = getAttributeSync(path, name);
      if (value.length > 0) out.push({ name, value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) });
    } catch (err) {
      if (!isErrno(err, 'ENODATA')) throw err;
    }
  }
  return out;
}

export function setXattrSync(path: string, name: string, value: Uint8Array): void {
  try {
    setAttributeSync(path, name, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  } catch (err) {
    if (isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) {
      throw new XattrsUnsupported(`Setting xattr ${JSON.stringify(name)} on ${JSON.stringify(path)}: the filesystem does not support it`, { path }, { cause: err });
    }
    throw err;
  }
}

export function getXattrSync(path: string, name: string): Uint8Array | undefined {
  try {
    const b = getAttributeSync(path, name);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    if (isErrno(err, 'ENODATA') || isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) return undefined;
    throw err;
  }
}

export async function getXattr(path: string, name: string): Promise<Uint8Array | undefined> {
  try {
    const b = await getAttribute(path, name);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    if (isErrno(err, 'ENODATA') || isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) return undefined;
    throw err;
  }
}

export async function setXattr(path: string, name: string, value: Uint8Array): Promise<void> {
  try {
    await setAttribute(path, name, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  } catch (err) {
    if (isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) {
      throw new XattrsUnsupported(`Setting xattr ${JSON.stringify(name)} on ${JSON.stringify(path)}: the filesystem does not support it`, { path }, { cause: err });
    }
    throw err;
  }
}

export async function setXattrs(path: string, xattrs: readonly Xattr[]): Promise<void> {
  for (const x of xattrs) await setXattr(path, x.name, x.value);
}

/** xattrs of many symlinks at once (lgetxattr semantics), in one `getfattr -h` run per batch. */
export async function readSymlinkXattrs(paths: readonly string[]): Promise<Map<string, Xattr[]>> {
  const out = new Map<string, Xattr[]>();
  for (let i = 0; i < paths.length; i += 500) {
    const batch = paths.slice(i, i + 500);
    const r = await exec(['getfattr', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', ...batch], { check: false, pkg: 'attr' });
    let current: string | undefined;
    for (const line of r.stdout.toString('utf8').split('\n')) {
      if (line.startsWith('# file: ')) {
        current = unescapeGetfattrName(line.slice(8));
        out.set(current, []);
      } else if (current !== undefined && line.includes('=0x')) {
        const eq = line.indexOf('=0x');
        const value = Buffer.from(line.slice(eq + 3), 'hex');
        if (value.length > 0) out.get(current)!.push({ name: line.slice(0, eq), value: new Uint8Array(value) });
      }
    }
  }
  return out;
}

/** getfattr escapes unusual bytes in names as \ooo octal. */
function unescapeGetfattrName(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export async function setSymlinkXattrs(path: string, xattrs: readonly Xattr[]): Promise<void> {
  for (const x of xattrs) {
    await exec(['setfattr', '-h', '-n', x.name, '-v', `0x${Buffer.from(x.value).toString('hex')}`, '--', path], { pkg: 'attr' });
  }
}
