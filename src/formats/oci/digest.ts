import { createHash } from 'node:crypto';
import { InvalidDigest } from './errors.js';

export const DIGEST_REGEXP = /^sha256:[0-9a-f]{64}$/;
const ANY_DIGEST_REGEXP = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** `sha256:<hex>` of the exact bytes (image IDs, manifest digests and blob digests all hash bytes as stored). */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Checks a digest is sha256 (the only algorithm berth stores) and returns its hex part. */
export function digestHex(digest: string): string {
  if (!DIGEST_REGEXP.test(digest)) {
    const reason = ANY_DIGEST_REGEXP.test(digest) ? 'unsupported digest algorithm' : 'invalid digest';
    throw new InvalidDigest(`${reason[0]!.toUpperCase()}${reason.slice(1)} ${JSON.stringify(digest)}`, { digest });
  }
  return digest.slice('sha256:'.length);
}

export function isDigest(value: string): boolean {
  return DIGEST_REGEXP.test(value);
}

/**
 * Docker's layer chain ID: chain(1) = diff_id(1), chain(n) = sha256(chain(n-1) + " " + diff_id(n)).
 * Snapshots are keyed by it, so an image's unpacked layers are shared with every image on the same base.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : sha256Digest(`${prev} ${diffId}`));
  }
  return out;
}
