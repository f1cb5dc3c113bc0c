import type { VardictEntries } from '../../formats/gvariant/index.js';
import { ED25519_KEY, GPG_KEY, signaturesIn, withSignature } from './detached.js';
import { ed25519Match, ed25519PublicOf, ed25519Sign, type Ed25519Keys } from './ed25519.js';
import { SignVerifyFailed } from './errors.js';
import { gpgSign, gpgVerify, type GpgSignOptions } from './gpg.js';

/**
 * The four states `status` and pull report for a signed object, per signature type:
 * - unsigned: no signature of this type at all;
 * - unknown-key: signatures exist but none is by a key we hold (GPG: NO_PUBKEY; ed25519: no
 *   trusted key configured — an ed25519 signature does not name its key);
 * - invalid: a signature by a trusted key does not match the bytes (tampering, wrong key);
 * - valid: at least one signature verifies with a trusted, non-revoked key.
 */
export type SignatureState = 'unsigned' | 'unknown-key' | 'invalid' | 'valid';
export type SignatureType = 'ed25519' | 'gpg';

export interface SignatureReport {
  readonly type: SignatureType;
  readonly state: SignatureState;
  readonly signatures: number;
  /** Keys involved: the verifying key when valid, else the keys tried or named by the signatures. */
  readonly keys: readonly string[];
}

export interface VerifyPolicy {
  /** Verify OpenPGP signatures against these keyring files. */
  readonly gpg?: { readonly keyrings: readonly string[] };
  /** Verify ed25519 signatures against these keys. */
  readonly ed25519?: Ed25519Keys;
}

export async function verifyDetached(data: Uint8Array, detached: VardictEntries, policy: VerifyPolicy): Promise<SignatureReport[]> {
  const reports: SignatureReport[] = [];
  if (policy.ed25519 !== undefined) {
    const sigs = signaturesIn(detached, ED25519_KEY);
    const trusted = policy.ed25519.trusted;
    let state: SignatureState;
    let keys: readonly string[] = trusted;
    if (sigs.length === 0) state = 'unsigned';
    else if (trusted.length === 0) state = 'unknown-key';
    else {
      state = 'invalid';
      for (const sig of sigs) {
        const i = ed25519Match(data, sig, trusted);
        if (i >= 0) {
          state = 'valid';
          keys = [trusted[i]!];
          break;
        }
      }
    }
    reports.push({ type: 'ed25519', state, signatures: sigs.length, keys });
  }
  if (policy.gpg !== undefined) {
    const sigs = signaturesIn(detached, GPG_KEY);
    if (sigs.length === 0) reports.push({ type: 'gpg', state: 'unsigned', signatures: 0, keys: [] });
    else {
      const results = await gpgVerify(data, sigs, policy.gpg.keyrings);
      const good = results.find((r) => r.state === 'valid');
      let state: SignatureState;
      if (good !== undefined) state = 'valid';
      else if (results.some((r) => r.state === 'invalid' || r.state === 'expired-key' || r.state === 'revoked-key')) state = 'invalid';
      else state = 'unknown-key';
      const keys = good !== undefined ? [good.fingerprint ?? good.keyId] : results.map((r) => r.keyId);
      reports.push({ type: 'gpg', state, signatures: sigs.length, keys });
    }
  }
  return reports;
}

/** Passes when every verification type in the policy is `valid` (ostree requires each enabled type). */
export function assertVerified(reports: readonly SignatureReport[], what: { object: string; remote?: string }): void {
  for (const r of reports) {
    if (r.state === 'valid') continue;
    const where = what.remote === undefined ? '' : ` from remote ${JSON.stringify(what.remote)}`;
    const keyText = r.keys.length === 0 ? 'no keys' : `key${r.keys.length === 1 ? '' : 's'} ${r.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    const reason = {
      unsigned: 'has no signature',
      'unknown-key': `is signed only by unknown keys (${keyText})`,
      invalid: `has no valid signature (${r.signatures} signature${r.signatures === 1 ? '' : 's'} checked against ${keyText})`,
    }[r.state];
    throw new SignVerifyFailed(`${r.type === 'gpg' ? 'GPG' : 'ed25519'} verification of ${what.object}${where} failed: it ${reason}`, {
      object: what.object,
      remote: what.remote,
      type: r.type,
      state: r.state,
      keys: r.keys,
    });
  }
}

export interface SignOptions {
  /** base64 libsodium secret keys (`ostree sign --sign-type=ed25519 KEY…`). */
  readonly ed25519?: readonly string[];
  readonly gpg?: readonly GpgSignOptions[];
}

/** Appends signatures of `data` to the detached dictionary, as `ostree sign` / `gpg-sign` do. */
export async function signDetached(data: Uint8Array, detached: VardictEntries, options: SignOptions): Promise<VardictEntries> {
  let dict = detached;
  for (const secret of options.ed25519 ?? []) {
    ed25519PublicOf(secret); // validates the key before use
    dict = withSignature(dict, ED25519_KEY, ed25519Sign(data, secret));
  }
  for (const g of options.gpg ?? []) dict = withSignature(dict, GPG_KEY, await gpgSign(data, g));
  return dict;
}
