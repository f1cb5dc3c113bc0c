import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { PathEscapes } from './errors.js';

/** Join under root, refusing anything that would resolve outside it. */
export function joinWithin(root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  const full = path.resolve(base, ...parts);
  if (full !== base && !full.startsWith(base.endsWith(path.sep) ? base : base + path.sep)) {
    throw new PathEscapes(`Path ${JSON.stringify(parts.join('/'))} escapes ${JSON.stringify(base)}`, {
      root: base,
      path: parts.join('/'),
    });
  }
  return full;
}

let tmpCounter = 0;
/** A name unique within this process, for sibling temp files. */
export function tempName(target: string): string {
  tmpCounter += 1;
  return `${path.dirname(target)}/.${path.basename(target)}.tmp-${process.pid}-${tmpCounter}`;
}

export interface AtomicWriteOptions {
  readonly mode?: number;
  /** fsync the file and its directory (default true); off for bulk writes synced later with syncfs. */
  readonly durable?: boolean;
}

/** Temp file, fsync, rename, fsync dir: readers see old or new, never half. */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const tmp = tempName(target);
  const handle = await fsp.open(tmp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (options.mode !== undefined) await handle.chmod(options.mode);
    if (durable) await handle.sync();
  } catch (err) {
    await handle.close();
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (durable) await fsyncDir(path.dirname(target));
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Atomically point `linkPath` at `target` (symlink to temp name, then rename over). */
export async function symlinkAtomic(target: string, linkPath: string): Promise<void> {
  const tmp = tempName(linkPath);
  await fsp.symlink(target, tmp);
  try {
    await fsp.rename(tmp, linkPath);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** UTF-8 byte order: what on-disk tree formats sort by (JS default sort is UTF-16). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
