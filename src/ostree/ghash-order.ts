/**
 * The iteration order of a GLib (2.74) GHashTable, which is the order GVariantDict writes its
 * entries in and the order ostree lists a hash set's members in. ostree builds summary metadata
 * with GVariantDict and names "commits" of an fsck error from a string set, so matching its
 * bytes and text needs the same order. Modelled: g_str_hash (djb2 over signed chars), bucket
 * (hash * 11) % prime_mod[shift], quadratic probing, growth when occupied buckets reach the
 * size (to shift_for(n * 1.333)), GLib's in-place rehash that evicts not-yet-moved entries, and
 * iteration in bucket order. Only insertions are modelled (no removals, so no tombstones).
 */
const PRIME_MOD = [1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287,
  1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647];
const MIN_SHIFT = 3;

export function gStrHash(key: string): number {
  let h = 5381;
  for (const b of Buffer.from(key, 'utf8')) h = (Math.imul(h, 33) + (b >= 0x80 ? b - 256 : b)) >>> 0;
  return h;
}

/** GHashTable of keys with caller-given hash values (g_str_hash unless told otherwise). */
export class GHashTableModel<K> {
  #shift = MIN_SHIFT;
  #hashes: number[] = new Array(1 << MIN_SHIFT).fill(0);
  #keys: Array<K | undefined> = new Array(1 << MIN_SHIFT).fill(undefined);
  #nnodes = 0;
  readonly #equal: (a: K, b: K) => boolean;

  constructor(equal: (a: K, b: K) => boolean = (a, b) => a === b) {
    this.#equal = equal;
  }

  #index(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % PRIME_MOD[this.#shift]!;
  }

  /** Inserts (or replaces) a key; true when it was new. */
  add(key: K, rawHash: number): boolean {
    const hash = rawHash < 2 ? 2 : rawHash >>> 0; // 0 and 1 mark unused and tombstone buckets
    const mask = (1 << this.#shift) - 1;
    let idx = this.#index(hash);
    for (let step = 0; this.#hashes[idx] !== 0; ) {
      if (this.#hashes[idx] === hash && this.#equal(this.#keys[idx]!, key)) return false;
      step++;
      idx = (idx + step) & mask;
    }
    this.#hashes[idx] = hash;
    this.#keys[idx] = key;
    this.#nnodes++;
    const size = 1 << this.#shift;
    if (size <= this.#nnodes + Math.floor(this.#nnodes / 16)) this.#resize();
    return true;
  }

  #resize(): void {
    const oldSize = 1 << this.#shift;
    let n = Math.trunc(this.#nnodes * 1.333);
    let shift = 0;
    for (; n > 0; n >>= 1) shift++;
    this.#shift = Math.max(shift, MIN_SHIFT);
    const size = 1 << this.#shift;
    while (this.#hashes.length < size) {
      this.#hashes.push(0);
      this.#keys.push(undefined);
    }
    const moved = new Array<boolean>(Math.max(size, oldSize)).fill(false);
    const mask = size - 1;
    for (let i = 0; i < oldSize; i++) {
      let hash = this.#hashes[i]!;
      if (hash < 2 || moved[i]) continue;
      let key = this.#keys[i];
      this.#hashes[i] = 0;
      this.#keys[i] = undefined;
      for (let guard = 0; guard <= size; guard++) {
        let idx = this.#index(hash);
        for (let step = 0; moved[idx]; ) {
          step++;
          idx = (idx + step) & mask;
        }
        moved[idx] = true;
        const replacedHash = this.#hashes[idx]!;
        const replacedKey = this.#keys[idx];
        this.#hashes[idx] = hash;
        this.#keys[idx] = key;
        if (replacedHash < 2) break;
        hash = replacedHash;
        key = replacedKey;
      }
    }
    this.#hashes.length = size;
    this.#keys.length = size;
  }

  keys(): K[] {
    const out: K[] = [];
    for (let i = 0; i < this.#hashes.length; i++) if (this.#hashes[i]! >= 2) out.push(this.#keys[i]!);
    return out;
  }
}

/** Keys in g_hash_table_iter order after inserting `keys` (g_str_hash) in the given order. */
export function gHashTableOrder(keys: readonly string[]): string[] {
  const t = new GHashTableModel<string>();
  for (const k of keys) t.add(k, gStrHash(k));
  return t.keys();
}
