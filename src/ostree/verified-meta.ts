import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isErrno } from '../core/index.js';
import type { ObjectType } from '../formats/ostree/index.js';
import { ObjectCorrupt, ObjectNotFound } from './errors.js';

/**
 * Synchronous, verified read of a small metadata object at `file` (hot loops: checkout on the main thread
 * and in its workers): not found, checksum mismatch and undecodable bytes each get their typed error.
 */
export function readVerifiedMetaSync<T>(file: string, checksum: string, type: ObjectType, decode: (b: Uint8Array) => T): T {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new ObjectNotFound(`No such metadata object ${checksum}.${type}`, { checksum, type }, { cause: err });
    throw err;
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== checksum) {
    throw new ObjectCorrupt(`Corrupted metadata object; checksum expected='${checksum}' actual='${actual}'`, { checksum, type, reason: 'checksum' });
  }
  try {
    return decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new ObjectCorrupt(`Corrupted ${type} object ${checksum}: ${(err as Error).message}`, { checksum, type, reason: 'decode' }, { cause: err });
  }
}
