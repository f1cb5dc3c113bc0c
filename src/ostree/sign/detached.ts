import { decodeGVariant, encodeGVariant, variant, type GVariantValue, type VardictEntries } from '../../formats/gvariant/index.js';

/**
 * Signatures live in `a{sv}` detached metadata — a commit's `.commitmeta`, `summary.sig`, a
 * signed superblock — as `aay` lists under `ostree.gpgsigs` and `ostree.sign.ed25519`.
 * Signing appends to the list; other keys keep their place.
 */
export const GPG_KEY = 'ostree.gpgsigs';
export const ED25519_KEY = 'ostree.sign.ed25519';

/** A zero-length file is an empty dictionary (what ostree 2022.7 writes when "deleting"). */
export function decodeDetached(bytes: Uint8Array | undefined): VardictEntries {
  if (bytes === undefined || bytes.length === 0) return [];
  return decodeGVariant('a{sv}', bytes, { requireNormal: false }) as unknown as VardictEntries;
}

export function encodeDetached(dict: VardictEntries): Uint8Array {
  return encodeGVariant('a{sv}', dict.map(([k, v]) => [k, v]) as GVariantValue);
}

export function signaturesIn(dict: VardictEntries, key: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [k, v] of dict) {
    if (k !== key || v.type !== 'aay') continue;
    for (const sig of v.value as readonly Uint8Array[]) out.push(sig);
  }
  return out;
}

export function withSignature(dict: VardictEntries, key: string, signature: Uint8Array): VardictEntries {
  const existing = signaturesIn(dict, key);
  const entry = [key, variant('aay', [...existing, signature])] as const;
  const out: Array<readonly [string, ReturnType<typeof variant>]> = [];
  let placed = false;
  for (const [k, v] of dict) {
    if (k === key) {
      if (!placed) out.push(entry);
      placed = true;
    } else out.push([k, v]);
  }
  if (!placed) out.push(entry);
  return out;
}

export function withoutKey(dict: VardictEntries, key: string): VardictEntries {
  return dict.filter(([k]) => k !== key);
}
