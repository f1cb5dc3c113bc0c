/**
 * Filesystem helpers for deployment trees: faithful copies (mode, owner, symlinks, mtimes),
 * removal of trees that may carry the immutable attribute, and the attribute itself.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { exec, isErrno } from '../core/index.js';

/** Copies `src` (file, symlink or directory tree) to `dest`, which must not exist. */
export async function copyTree(src: string, dest: string, skipped: string[] = []): Promise<void> {
  const st = await fsp.lstat(src);
  if (st.isSymbolicLink()) {
    await fsp.symlink(await fsp.readlink(src), dest);
    await fsp.lchown(dest, st.uid, st.gid);
  } else if (st.isDirectory()) {
    await fsp.mkdir(dest, { mode: st.mode & 0o7777 });
    for (const name of await fsp.readdir(src)) await copyTree(path.join(src, name), path.join(dest, name), skipped);
    await fsp.chown(dest, st.uid, st.gid);
    await fsp.chmod(dest, st.mode & 0o7777);
  } else if (st.isFile()) {
    await fsp.copyFile(src, dest);
    await fsp.chown(dest, st.uid, st.gid);
    await fsp.chmod(dest, st.mode & 0o7777);
    await fsp.utimes(dest, st.atime, st.mtime);
  } else {
    // Sockets, FIFOs and device nodes: Node cannot mknod; reported, never silently dropped.
    skipped.push(src);
  }
}

/**
 * The immutable attribute on a deployment root, as ostree sets it (`chattr +i` on the directory
 * only; it stops renames and new entries at the top). Filesystems without the flag are accepted:
 * ostree ignores EOPNOTSUPP the same way.
 */
export async function setImmutable(dir: string, on: boolean): Promise<void> {
  const r = await exec(['chattr', on ? '+i' : '-i', dir], { check: false, pkg: 'e2fsprogs' });
  if (r.exitCode !== 0) {
    const msg = r.stderr.toString();
    if (/Operation not supported|Inappropriate ioctl/.test(msg)) return;
    throw new Error(`chattr ${on ? '+i' : '-i'} ${dir} failed: ${msg.trim()}`);
  }
}

/** rm -rf that first clears the immutable attribute on the top directory. */
export async function removeTree(p: string, clearImmutable: boolean): Promise<void> {
  try {
    await fsp.lstat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  if (clearImmutable) await setImmutable(p, false);
  // coreutils rm: Node's recursive fs.rm costs seconds on a 27k-file deployment.
  await exec(['rm', '-rf', '--one-file-system', '--', p], { pkg: 'coreutils' });
}
