/**
 * The 3-way /etc merge of `ostree admin deploy` (merge_configuration_from): the difference between
 * the old deployment's defaults (`usr/etc`) and its live `/etc` is the admin's change set; it is
 * applied to the new deployment's `/etc` (a fresh copy of the new `usr/etc`). Local changes win
 * (no content-level merge, as in ostree). Beyond ostree, berth reports every path where the new
 * defaults also changed (a conflict resolved in favour of the admin) and every path it could not
 * carry over (sockets, device nodes), so nothing is dropped silently.
 */
import * as fsp from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { compareNames, isErrno } from '../core/index.js';
import { copyTree } from './tree-ops.js';

export type EtcChangeKind = 'modified' | 'added' | 'removed';

export interface EtcChange {
  readonly path: string; // relative to /etc, '/'-separated
  readonly kind: EtcChangeKind;
}

export interface EtcMergeReport {
  readonly modified: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Changed by the admin and also by the new defaults; the admin's version was kept. */
  readonly conflicts: readonly string[];
  /** Could not be carried over (special files); the new default (if any) is in place. */
  readonly unmerged: readonly string[];
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

function typeOf(st: Stats): string {
  if (st.isDirectory()) return 'd';
  if (st.isFile()) return 'f';
  if (st.isSymbolicLink()) return 'l';
  return 'o';
}

/** True when two entries differ in type, permissions, owner, content or link target. */
async function entriesDiffer(a: string, sa: Stats, b: string, sb: Stats): Promise<boolean> {
  if (typeOf(sa) !== typeOf(sb)) return true;
  if (sa.uid !== sb.uid || sa.gid !== sb.gid) return true;
  if (sa.isSymbolicLink()) return (await fsp.readlink(a)) !== (await fsp.readlink(b));
  if ((sa.mode & 0o7777) !== (sb.mode & 0o7777)) return true;
  if (sa.isDirectory()) return false; // contents are compared entry by entry
  if (sa.isFile()) {
    if (sa.size !== sb.size) return true;
    if (sa.dev === sb.dev && sa.ino === sb.ino) return false;
    return !(await fsp.readFile(a)).equals(await fsp.readFile(b));
  }
  return sa.rdev !== sb.rdev;
}

/** Differences from `base` (defaults) to `local` (live /etc), ostree's diff_dirs order. */
export async function diffEtc(base: string, local: string): Promise<EtcChange[]> {
  const out: EtcChange[] = [];
  async function walk(rel: string): Promise<void> {
    const names = new Set<string>();
    for (const root of [base, local]) {
      try {
        for (const n of await fsp.readdir(path.join(root, rel))) names.add(n);
      } catch (err) {
        if (!(isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR'))) throw err;
      }
    }
    for (const name of [...names].sort(compareNames)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const a = path.join(base, r);
      const b = path.join(local, r);
      const sa = await lstatOrUndefined(a);
      const sb = await lstatOrUndefined(b);
      if (sb === undefined) out.push({ path: r, kind: 'removed' });
      else if (sa === undefined) out.push({ path: r, kind: 'added' });
      else if (sa.isDirectory() && sb.isDirectory()) {
        if (await entriesDiffer(a, sa, b, sb)) out.push({ path: r, kind: 'modified' });
        await walk(r);
      } else if (await entriesDiffer(a, sa, b, sb)) out.push({ path: r, kind: 'modified' });
    }
  }
  await walk('');
  return out;
}

async function treesEqual(a: string, b: string): Promise<boolean> {
  const sa = await lstatOrUndefined(a);
  const sb = await lstatOrUndefined(b);
  if (sa === undefined || sb === undefined) return sa === sb;
  if (await entriesDiffer(a, sa, b, sb)) return false;
  if (sa.isDirectory()) return (await diffEtc(a, b)).length === 0;
  return true;
}

export interface MergeEtcOptions {
  /** Old deployment's `usr/etc`. */
  readonly oldDefaults: string;
  /** Old deployment's live `etc`. */
  readonly oldEtc: string;
  /** New deployment's `usr/etc` (to detect conflicts). */
  readonly newDefaults: string;
  /** New deployment's `etc`, already a copy of `newDefaults`; modified in place. */
  readonly newEtc: string;
}

async function overlayTree(src: string, dest: string, unmerged: string[], root: string): Promise<void> {
  for (const name of await fsp.readdir(src)) {
    const s = path.join(src, name);
    const d = path.join(dest, name);
    const ss = await fsp.lstat(s);
    const ds = await lstatOrUndefined(d);
    if (ss.isDirectory() && ds?.isDirectory()) {
      await fsp.chown(d, ss.uid, ss.gid);
      await fsp.chmod(d, ss.mode & 0o7777);
      await overlayTree(s, d, unmerged, root);
      continue;
    }
    if (ds !== undefined) await fsp.rm(d, { recursive: true, force: true });
    const skipped: string[] = [];
    await copyTree(s, d, skipped);
    for (const x of skipped) unmerged.push(path.relative(root, x));
  }
}

export async function mergeEtc(options: MergeEtcOptions): Promise<EtcMergeReport> {
  const { oldDefaults, oldEtc, newDefaults, newEtc } = options;
  const changes = await diffEtc(oldDefaults, oldEtc);
  const modified: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const conflicts: string[] = [];
  const unmerged: string[] = [];
  const replacedDirs: string[] = [];
  for (const change of changes) {
    const rel = change.path;
    // Inside a directory already replaced wholesale from the admin's copy.
    if (replacedDirs.some((d) => rel.startsWith(`${d}/`))) continue;
    const target = path.join(newEtc, rel);
    const upstreamChanged = !(await treesEqual(path.join(oldDefaults, rel), path.join(newDefaults, rel)));
    if (change.kind === 'removed') {
      removed.push(rel);
      if (upstreamChanged && (await lstatOrUndefined(path.join(newDefaults, rel))) !== undefined) conflicts.push(rel);
      await fsp.rm(target, { recursive: true, force: true });
      continue;
    }
    const src = path.join(oldEtc, rel);
    const st = (await lstatOrUndefined(src))!;
    const dest = await lstatOrUndefined(target);
    (change.kind === 'added' ? added : modified).push(rel);
    if (upstreamChanged && !(await treesEqual(src, target))) conflicts.push(rel);
    if (st.isDirectory() && dest?.isDirectory()) {
      await fsp.chown(target, st.uid, st.gid);
      await fsp.chmod(target, st.mode & 0o7777);
      // Modified: the children were diffed one by one. Added (the new defaults brought the same
      // directory): lay the admin's entries over it, keeping new default files beside them.
      if (change.kind === 'added') {
        await overlayTree(src, target, unmerged, oldEtc);
        replacedDirs.push(rel);
      }
      continue;
    }
    if (dest !== undefined) await fsp.rm(target, { recursive: true, force: true });
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const skipped: string[] = [];
    await copyTree(src, target, skipped);
    for (const s of skipped) unmerged.push(path.relative(oldEtc, s));
    if (st.isDirectory()) replacedDirs.push(rel);
  }
  return { modified, added, removed, conflicts, unmerged };
}
