import { createHash } from 'node:crypto';
import { isHostError } from '../core/index.js';
import { decodeCommit, decodeDirMeta, decodeDirTree, validateFileMode, type ObjectType } from '../formats/ostree/index.js';
import { ObjectMissing } from './maint-errors.js';
import type { RepoReader } from './reader.js';

/** undefined when the object is sound, 'missing', or the problem in ostree's words. */
export async function checkObject(reader: RepoReader, checksum: string, type: ObjectType): Promise<'missing' | string | undefined> {
  try {
    if (type === 'file') {
      const { header, actual } = await reader.computeFileChecksum(checksum);
      validateFileMode(header.mode);
      if (actual !== checksum) return `Corrupted file object; checksum expected='${checksum}' actual='${actual}'`;
      return undefined;
    }
    const bytes = await reader.readMetadata(checksum, type);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== checksum) return `Corrupted ${type} object; checksum expected='${checksum}' actual='${actual}'`;
    if (type === 'commit') decodeCommit(bytes);
    else if (type === 'dirtree') decodeDirTree(bytes);
    else if (type === 'dirmeta') decodeDirMeta(bytes);
    return undefined;
  } catch (err) {
    if (ObjectMissing.is(err)) return 'missing';
    if (isHostError(err) || err instanceof RangeError) return err.message;
    if (err instanceof Error && 'code' in err && typeof (err as NodeJS.ErrnoException).code === 'string' &&
        String((err as NodeJS.ErrnoException).code).startsWith('Z_')) return `Corrupted archive file; ${err.message}`;
    throw err;
  }
}
