/** The host side of `berth cp`: pack a local path, or unpack into a local destination (docker cp semantics). */
import { lstat, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { copyFromDir, copyToDir } from '../../engine/index.js';

export function packLocal(src: string): Promise<Readable> {
  return copyFromDir(path.resolve(src));
}

/** DEST an existing directory: the entry lands inside it; otherwise DEST names the copied entry. */
export async function copyToLocal(tar: Readable, dest: string): Promise<void> {
  const abs = path.resolve(dest);
  const st = await lstat(abs).catch(() => undefined);
  if (st?.isDirectory()) return copyToDir(abs, tar);
  const tmp = await mkdtemp(path.join(path.dirname(abs), '.berth-cp-'));
  try {
    await copyToDir(tmp, tar);
    const [top] = await readdir(tmp);
    if (top !== undefined) {
      if (st) await rm(abs, { recursive: true, force: true });
      await rename(path.join(tmp, top), abs);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
