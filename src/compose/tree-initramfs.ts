/**
 * When a compose may reuse the previous compose's initramfs instead of running dracut again.
 *
 * dracut's output is a function of the kernel version, its arguments and what it reads from the
 * tree. berth records, next to a built initramfs, a digest of those inputs as far as they can be
 * named, and reuses the image when the digest of the new tree is the same:
 *
 * - every path the initramfs holds (from dracut's staging directory, kept with `--keep`), with
 *   type, mode, owner and content as the tree has it (absent paths count too: a package that
 *   adds one changes the digest);
 * - dracut itself, its configuration and everything it picks modules and drivers from: the
 *   module scripts, `/usr/lib/modules/KVER`, firmware, modprobe and modules-load settings, udev,
 *   the dynamic linker configuration and cache (content);
 * - which units, generators and helpers exist under /usr/lib/systemd and which names exist in
 *   /etc (presence: dracut modules look for them);
 * - which programs exist in the bin directories under a name the dracut module scripts mention
 *   (a word of those scripts, or a word ending in `.`, `-` or `_` as its prefix: `mkfs.$fs`), as
 *   module `check()` functions test for programs (presence).
 *
 * A package that touches none of these (a program no dracut module names, its documentation)
 * leaves the digest unchanged; anything else makes compose run dracut.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import { compareNames, isErrno, joinWithin } from '../core/index.js';

export interface InitramfsRecord {
  readonly kver: string;
  readonly args: readonly string[];
  /** Paths inside the initramfs (relative, "/usr" spelling). */
  readonly files: readonly string[];
  readonly digest: string;
}

const CONTENT_DIRS = [
  'usr/lib/dracut', 'etc/dracut.conf.d', 'usr/lib/firmware', 'usr/lib/modprobe.d', 'etc/modprobe.d',
  'usr/lib/modules-load.d', 'etc/modules-load.d', 'usr/lib/udev', 'etc/udev', 'etc/ld.so.conf.d', 'etc/depmod.d', 'usr/lib/depmod.d',
];
const CONTENT_FILES = ['etc/dracut.conf', 'etc/ld.so.conf', 'etc/ld.so.cache', 'etc/modules'];
const PRESENCE_DIRS = ['usr/lib/systemd', 'etc/systemd'];
const BIN_DIRS = ['usr/bin', 'usr/sbin', 'usr/local/bin', 'usr/local/sbin'];

/** The digest of dracut's inputs in `root` for `kver`, given the file list of an initramfs. */
export async function dracutInputsDigest(root: string, kver: string, args: readonly string[], files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(`berth-initramfs 1\n${kver}\n${JSON.stringify(args)}\n`);
  const aliases = await topLevelAliases(root);
  const describeInto = async (rel: string, content: boolean): Promise<void> => {
    h.update(`${rel}\0${await describe(root, canonical(rel, aliases), content)}\n`);
  };
  for (const f of [...files].sort(compareNames)) await describeInto(f, true);
  for (const dir of [...CONTENT_DIRS, `usr/lib/modules/${kver}`]) {
    for (const rel of await walk(root, canonical(dir, aliases))) {
      if (rel === `usr/lib/modules/${kver}/initramfs.img`) continue;
      await describeInto(rel, true);
    }
  }
  for (const f of CONTENT_FILES) await describeInto(f, true);
  for (const dir of PRESENCE_DIRS) for (const rel of await walk(root, dir)) h.update(`presence ${rel}\n`);
  for (const name of await names(root, 'etc')) h.update(`etc ${name}\n`);
  const words = await dracutWords(root);
  const prefixes = [...words].filter((w) => /[.\-_]$/.test(w) && w.length >= 3);
  for (const dir of BIN_DIRS) {
    for (const name of await names(root, canonical(dir, aliases))) {
      if (words.has(name) || prefixes.some((p) => name.startsWith(p))) h.update(`bin ${dir}/${name}\n`);
    }
  }
  return h.digest('hex');
}

/** Paths in dracut's staging directory (`--keep`), in the "/usr" spelling of merged-/usr trees. */
export async function stagedFiles(stagingRoot: string): Promise<string[]> {
  const out = await walk(stagingRoot, '.');
  return out.map((p) => p.replace(/^\.\//, '')).sort(compareNames);
}

/** Words of dracut's module scripts: the names of the programs, units and files they look for. */
async function dracutWords(root: string): Promise<Set<string>> {
  const words = new Set<string>();
  for (const rel of await walk(root, 'usr/lib/dracut')) {
    const p = joinWithin(root, rel);
    const st = await lstat(p);
    if (!st.isFile() || st.size > 1 << 20) continue;
    const text = await readFile(p, 'latin1');
    for (const w of text.match(/[A-Za-z0-9_.+\-]+/g) ?? []) words.add(w);
  }
  return words;
}

/** Top-level symlinks of merged-/usr trees (bin → usr/bin …), to spell initramfs paths as the tree's real paths. */
async function topLevelAliases(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of ['bin', 'sbin', 'lib', 'lib64', 'lib32', 'libx32']) {
    try {
      const target = await readlink(joinWithin(root, name));
      if (!target.startsWith('/') && !target.includes('..')) out.set(name, target);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'EINVAL')) throw err;
    }
  }
  return out;
}

function canonical(rel: string, aliases: ReadonlyMap<string, string>): string {
  const clean = path.posix.normalize(rel).replace(/^\/+/, '');
  const slash = clean.indexOf('/');
  const head = slash < 0 ? clean : clean.slice(0, slash);
  const alias = aliases.get(head);
  return alias === undefined ? clean : `${alias}${slash < 0 ? '' : clean.slice(slash)}`;
}

async function describe(root: string, rel: string, content: boolean): Promise<string> {
  let p: string;
  try {
    p = joinWithin(root, rel);
  } catch {
    return 'outside';
  }
  let st;
  try {
    st = await lstat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return 'absent';
    throw err;
  }
  const meta = `${st.mode.toString(8)} ${st.uid}:${st.gid}`;
  if (st.isSymbolicLink()) return `${meta} -> ${await readlink(p)}`;
  if (st.isFile() && content) return `${meta} ${createHash('sha256').update(await readFile(p)).digest('hex')}`;
  return `${meta} ${st.isFile() ? st.size : ''}`;
}

async function names(root: string, rel: string): Promise<string[]> {
  try {
    return (await readdir(joinWithin(root, rel))).sort(compareNames);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
}

/** Every path under `rel` (not following symlinks), sorted, relative to root; [] when absent. */
async function walk(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(joinWithin(root, dir), { withFileTypes: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
      throw err;
    }
    entries.sort((a, b) => compareNames(a.name, b.name));
    for (const e of entries) {
      const child = `${dir}/${e.name}`;
      out.push(child);
      if (e.isDirectory()) await visit(child);
    }
  };
  await visit(rel);
  return out;
}
