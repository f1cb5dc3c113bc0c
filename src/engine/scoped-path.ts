/**
 * Resolving a container path on the host the way the container would see it. Symlinks in a container's
 * filesystem are the container's to set: `/data -> /` must lead to the container's root, never the host's,
 * or `cp` would read or write host files (docker's FollowSymlinkInScope does the same).
 */
import { lstat, readlink } from 'node:fs/promises';
import { InvalidOption } from './errors.js';

const MAX_LINKS = 255; // as in the kernel's path walk (40) and docker's (255): a loop is an error, not a hang

/**
 * The host path of `path` inside `root`, following the container's symlinks within `root`: absolute targets
 * start again at `root`, `..` stops at it. With `followLast` false a final symlink is returned as is (what
 * `cp` copies from). Components that do not exist are kept as they are (a destination may not exist yet).
 */
export async function resolveInRoot(root: string, path: string, followLast: boolean): Promise<string> {
  const stack: string[] = []; // resolved components below root
  let rest = path.split('/').filter((p) => p && p !== '.');
  let links = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '..') {
      stack.pop();
      continue;
    }
    const candidate = `${root}/${[...stack, part].join('/')}`;
    const st = await lstat(candidate).catch(() => undefined);
    if (st === undefined || !st.isSymbolicLink() || (rest.length === 0 && !followLast)) {
      stack.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new InvalidOption(`Too many levels of symbolic links in ${JSON.stringify(path)}`, { option: 'path', value: path });
    const target = await readlink(candidate);
    if (target.startsWith('/')) stack.length = 0;
    rest = [...target.split('/').filter((p) => p && p !== '.'), ...rest];
  }
  return stack.length === 0 ? root : `${root}/${stack.join('/')}`;
}
