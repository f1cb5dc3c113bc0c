import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, writeFileAtomic } from '../../core/index.js';
import type { VardictEntries } from '../../formats/gvariant/index.js';
import { decodeDetached, encodeDetached } from './detached.js';
import { signDetached, verifyDetached, type SignOptions, type SignatureReport, type VerifyPolicy } from './verify.js';

/**
 * Signing and verifying what lives in a repository directory: a commit's `.commitmeta`
 * (named by the commit checksum) and `summary.sig`. Paths are ostree's; the files are
 * rewritten whole with a temp file and rename.
 */
function objectPath(repo: string, checksum: string, suffix: string): string {
  if (!/^[0-9a-f]{64}$/.test(checksum)) throw new RangeError(`Invalid checksum ${JSON.stringify(checksum)}`);
  return join(repo, 'objects', checksum.slice(0, 2), `${checksum.slice(2)}.${suffix}`);
}

async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

export async function readCommitDetached(repo: string, commit: string): Promise<VardictEntries> {
  return decodeDetached(await readOptional(objectPath(repo, commit, 'commitmeta')));
}

export async function writeCommitDetached(repo: string, commit: string, dict: VardictEntries): Promise<void> {
  await writeFileAtomic(objectPath(repo, commit, 'commitmeta'), encodeDetached(dict));
}

/** Appends signatures to the commit's detached metadata (`ostree sign`, `ostree gpg-sign`). */
export async function signCommit(repo: string, commit: string, options: SignOptions): Promise<void> {
  const data = await readFile(objectPath(repo, commit, 'commit'));
  const dict = await signDetached(data, await readCommitDetached(repo, commit), options);
  await writeCommitDetached(repo, commit, dict);
}

export async function verifyCommit(repo: string, commit: string, policy: VerifyPolicy): Promise<SignatureReport[]> {
  const data = await readFile(objectPath(repo, commit, 'commit'));
  return verifyDetached(data, await readCommitDetached(repo, commit), policy);
}

/** Signs `summary` into `summary.sig`, keeping existing signatures only when asked. */
export async function signSummary(repo: string, options: SignOptions & { readonly append?: boolean }): Promise<void> {
  const data = await readFile(join(repo, 'summary'));
  const existing = options.append === true ? decodeDetached(await readOptional(join(repo, 'summary.sig'))) : [];
  await writeFileAtomic(join(repo, 'summary.sig'), encodeDetached(await signDetached(data, existing, options)));
}

export async function verifySummary(repo: string, policy: VerifyPolicy): Promise<SignatureReport[]> {
  const data = await readFile(join(repo, 'summary'));
  return verifyDetached(data, decodeDetached(await readOptional(join(repo, 'summary.sig'))), policy);
}
