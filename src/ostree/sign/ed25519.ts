import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../../core/index.js';
import { SignBadKey } from './errors.js';

/**
 * ed25519 as ostree's `sign-ed25519` engine uses it (libsodium crypto_sign_detached): 64-byte
 * signatures over the raw object bytes. Keys are base64: public = 32 raw bytes; secret =
 * libsodium's 64 bytes (32-byte seed ‖ 32-byte public key). node:crypto speaks ed25519 through
 * DER wrappers, built here from the raw bytes.
 */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface Ed25519KeyPair {
  /** base64 of the 64-byte libsodium secret key. */
  readonly secret: string;
  /** base64 of the 32-byte public key. */
  readonly public: string;
}

function decodeBase64(text: string, length: number, what: string): Buffer {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || bytes.length !== length) {
    throw new SignBadKey(`Invalid ed25519 ${what} key: expected base64 of ${length} bytes`, { key: trimmed.slice(0, 12), reason: `not ${length} bytes` });
  }
  return bytes;
}

export function publicKeyObject(publicB64: string): KeyObject {
  const raw = decodeBase64(publicB64, 32, 'public');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function secretKeyObject(secretB64: string): KeyObject {
  const raw = decodeBase64(secretB64, 64, 'secret');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
}

/** A fresh key pair in ostree's base64 forms (what `ostree sign` / `verification-ed25519-key` take). */
export function generateEd25519KeyPair(seed?: Uint8Array): Ed25519KeyPair {
  const s = seed === undefined ? Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))) : Buffer.from(seed);
  if (s.length !== 32) throw new RangeError('An ed25519 seed is 32 bytes');
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, s]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return { secret: Buffer.concat([s, pub]).toString('base64'), public: Buffer.from(pub).toString('base64') };
}

/** The public key (base64) of a secret key (base64): its last 32 bytes, checked against the seed. */
export function ed25519PublicOf(secretB64: string): string {
  const pub = createPublicKey(secretKeyObject(secretB64)).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  const raw = decodeBase64(secretB64, 64, 'secret');
  if (!Buffer.from(pub).equals(raw.subarray(32))) {
    throw new SignBadKey('Invalid ed25519 secret key: its public half does not match its seed', { key: secretB64.slice(0, 12), reason: 'mismatch' });
  }
  return Buffer.from(pub).toString('base64');
}

export function ed25519Sign(data: Uint8Array, secretB64: string): Uint8Array {
  return new Uint8Array(sign(null, data, secretKeyObject(secretB64)));
}

/** Index of the first trusted key a signature verifies with, or -1. */
export function ed25519Match(data: Uint8Array, signature: Uint8Array, trusted: readonly string[]): number {
  if (signature.length !== 64) return -1;
  for (let i = 0; i < trusted.length; i++) {
    if (verify(null, data, publicKeyObject(trusted[i]!), signature)) return i;
  }
  return -1;
}

/** One base64 key per line (blank lines and `#` comments skipped), as ostree's key files hold. */
export function parseKeyList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

async function readKeyDir(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
  const out: string[] = [];
  for (const n of names) out.push(...parseKeyList((await readIfExists(join(dir, n))) ?? ''));
  return out;
}

export interface Ed25519KeySources {
  /** `verification-ed25519-key=` values (base64). */
  readonly keys?: readonly string[];
  /** `verification-ed25519-file=` paths. */
  readonly files?: readonly string[];
  /**
   * Directories searched for `trusted.ed25519` / `trusted.ed25519.d/` and `revoked.ed25519` /
   * `revoked.ed25519.d/` (ostree: /etc/ostree and /usr/share/ostree). Empty by default.
   */
  readonly systemDirs?: readonly string[];
}

export interface Ed25519Keys {
  readonly trusted: readonly string[];
  readonly revoked: readonly string[];
}

/** Trusted minus revoked public keys, each checked to be 32 bytes of base64. */
export async function loadEd25519Keys(sources: Ed25519KeySources): Promise<Ed25519Keys> {
  const trusted: string[] = [...(sources.keys ?? [])];
  const revoked: string[] = [];
  for (const f of sources.files ?? []) {
    const text = await readIfExists(f);
    if (text === undefined) throw new SignBadKey(`Cannot read ed25519 key file ${JSON.stringify(f)}`, { key: f, reason: 'missing' });
    trusted.push(...parseKeyList(text));
  }
  for (const d of sources.systemDirs ?? []) {
    trusted.push(...parseKeyList((await readIfExists(join(d, 'trusted.ed25519'))) ?? ''), ...(await readKeyDir(join(d, 'trusted.ed25519.d'))));
    revoked.push(...parseKeyList((await readIfExists(join(d, 'revoked.ed25519'))) ?? ''), ...(await readKeyDir(join(d, 'revoked.ed25519.d'))));
  }
  for (const k of [...trusted, ...revoked]) decodeBase64(k, 32, 'public');
  const revokedSet = new Set(revoked);
  return { trusted: [...new Set(trusted)].filter((k) => !revokedSet.has(k)), revoked };
}
