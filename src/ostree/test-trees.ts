// Test helpers for the ostree interop tests (imported from *.test.ts files only).
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { exec } from '../core/index.js';
import { readXattrs, setXattr } from './xattrs.js';

/**
 * A tree with everything that tends to break compatibility: empty and large files, executables,
 * setuid/setgid/sticky bits, relative/absolute/dangling symlinks, hardlinks, empty directories,
 * non-ASCII and odd names, user.* and security.* xattrs, files owned by other uids.
 * Ownership and security.* xattrs need root; without it those parts are left out.
 */
export async function makeHostileTree(root: string): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const w = async (rel: string, data: string | Uint8Array, mode = 0o644): Promise<void> => {
    const p = path.join(root, rel);
    await fsp.mkdir(path.dirname(p), { recursive: true });
    await fsp.writeFile(p, data);
    await fsp.chmod(p, mode);
  };
  await fsp.mkdir(root, { recursive: true });
  await w('empty', '');
  await w('hello.txt', 'hello\n');
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i + 4 <= big.length; i += 4) big.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, i);
  await w('usr/lib/big.bin', big);
  await w('usr/bin/tool', '#!/bin/sh\necho tool\n', 0o755);
  await w('usr/bin/suid', 'suid\n', 0o4755);
  await w('usr/bin/sgid', 'sgid\n', 0o2711);
  await w('usr/bin/odd-perms', 'x\n', 0o640);
  await fsp.mkdir(path.join(root, 'tmp'), { recursive: true });
  await fsp.chmod(path.join(root, 'tmp'), 0o1777);
  await fsp.mkdir(path.join(root, 'var/empty/deeper'), { recursive: true });
  await fsp.mkdir(path.join(root, 'restricted'), { recursive: true });
  await w('restricted/secret', 'secret\n', 0o600);
  await fsp.chmod(path.join(root, 'restricted'), 0o700);
  await fsp.symlink('../lib/big.bin', path.join(root, 'usr/bin/rel-link'));
  await fsp.symlink('/usr/bin/tool', path.join(root, 'abs-link'));
  await fsp.symlink('does/not/exist', path.join(root, 'dangling'));
  await fsp.symlink('usr', path.join(root, 'dir-link'));
  await w('links/a', 'linked content\n');
  await fsp.link(path.join(root, 'links/a'), path.join(root, 'links/b'));
  await fsp.link(path.join(root, 'links/a'), path.join(root, 'usr/lib/c-hardlink'));
  await w('names/héllo wörld', 'utf8\n');
  await w('names/日本語.txt', 'nihongo\n');
  await w('names/-rf', 'dash\n');
  await w('names/.hidden', 'hidden\n');
  await w('names/with\ttab', 'tab\n');
  await w('names/UPPER', 'U\n');
  await w('names/upper', 'u\n');
  await w('xattrs/user', 'with user xattrs\n');
  await setXattr(path.join(root, 'xattrs/user'), 'user.comment', Buffer.from('a comment'));
  await setXattr(path.join(root, 'xattrs/user'), 'user.a-binary', Uint8Array.of(0, 1, 2, 255));
  await setXattr(path.join(root, 'xattrs'), 'user.dir-attr', Buffer.from('dir'));
  if (asRoot) {
    await w('xattrs/security', 'with a security xattr\n');
    await setXattr(path.join(root, 'xattrs/security'), 'security.berth-test', Buffer.from('label_t'));
    await w('owned/by-1234', 'owned\n');
    await fsp.chown(path.join(root, 'owned/by-1234'), 1234, 5678);
    await fsp.chown(path.join(root, 'owned'), 42, 43);
    await fsp.lchown(path.join(root, 'dangling'), 1001, 1002);
  }
}

export interface EntrySnapshot {
  readonly type: 'file' | 'dir' | 'symlink';
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly sha256?: string;
  readonly target?: string;
  readonly xattrs: Record<string, string>;
  readonly linkGroup?: string; // first path sharing this inode (regular files with nlink > 1)
}

export interface SnapshotOptions {
  readonly owners?: boolean;
  readonly xattrs?: boolean;
  /** Mask applied to permission bits before comparing. */
  readonly modeMask?: number;
  /** Record hardlink structure (only meaningful for trees that were not hardlinked from a repo). */
  readonly links?: boolean;
}

/** Everything observable about a tree, for deep comparison (mtimes excluded). */
export async function snapshotTree(root: string, options: SnapshotOptions = {}): Promise<Record<string, EntrySnapshot>> {
  const out: Record<string, EntrySnapshot> = {};
  const inodes = new Map<number, string>();
  const symlinks: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const st = await fsp.lstat(abs);
    const mask = options.modeMask ?? 0o7777;
    const base = {
      mode: (st.mode & mask).toString(8),
      uid: options.owners === false ? 0 : st.uid,
      gid: options.owners === false ? 0 : st.gid,
    };
    const xattrs: Record<string, string> = {};
    if (options.xattrs !== false && !st.isSymbolicLink()) {
      for (const x of await readXattrs(abs)) if (x.name !== 'user.ostreemeta') xattrs[x.name] = Buffer.from(x.value).toString('hex');
    }
    if (st.isDirectory()) {
      out[rel === '' ? '.' : rel] = { type: 'dir', ...base, xattrs };
      for (const name of (await fsp.readdir(abs)).sort()) await walk(rel === '' ? name : `${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      symlinks.push(rel);
      out[rel] = { type: 'symlink', ...base, mode: '777', target: await fsp.readlink(abs), xattrs };
    } else {
      const sha256 = createHash('sha256').update(await fsp.readFile(abs)).digest('hex');
      let linkGroup: string | undefined;
      if (options.links === true && st.nlink > 1) {
        linkGroup = inodes.get(st.ino) ?? rel;
        inodes.set(st.ino, linkGroup);
      }
      out[rel] = { type: 'file', ...base, sha256, xattrs, ...(linkGroup === undefined ? {} : { linkGroup }) };
    }
  };
  await walk('');
  void symlinks;
  return out;
}

/** Runs the real `ostree` CLI; returns stdout. */
export async function ostree(...argv: string[]): Promise<string> {
  const r = await exec(['ostree', ...argv], { pkg: 'ostree' });
  return r.stdout.toString('utf8');
}
