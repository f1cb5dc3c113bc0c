/**
 * The iteration order of a GLib GHashTable of strings (g_str_hash, GLib 2.74), which is the
 * order GVariantDict writes its entries in. ostree builds summary metadata with GVariantDict, so
 * a byte-identical summary needs the same order: djb2 over signed chars, bucket
 * (hash * 11) % prime_mod[shift], quadratic probing, iteration in bucket order, and the resize
 * rule (grow when occupied buckets reach the table size, rehashing in old bucket order).
 */
const PRIME_MOD = [1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521];
const MIN_SHIFT = 3;

export function gStrHash(key: string): number {
  let h = 5381;
  for (const b of Buffer.from(key, 'utf8')) {
    const signed = b >= 0x80 ? b - 256 : b;
    h = (Math.imul(h, 33) + signed) >>> 0;
  }
  return h;
}

function closestShift(n: number): number {
  let i = 0;
  for (let x = n; x > 0; x >>= 1) i++;
  return Math.max(i, MIN_SHIFT);
}

/** Keys in the order g_hash_table_iter yields them after inserting `keys` in order (duplicates replace). */
export function gHashTableOrder(keys: readonly string[]): string[] {
  let shift = MIN_SHIFT;
  let slots: Array<{ key: string; hash: number } | undefined> = new Array(1 << shift).fill(undefined);
  const place = (table: typeof slots, sh: number, key: string, hash: number): boolean => {
    const mask = (1 << sh) - 1;
    let idx = (Math.imul(hash, 11) >>> 0) % PRIME_MOD[sh]!;
    for (let step = 0; step <= table.length; step++) {
      const cur = table[idx];
      if (cur === undefined) {
        table[idx] = { key, hash };
        return true;
      }
      if (cur.hash === hash && cur.key === key) return false; // replaced in place
      idx = (idx + step + 1) & mask;
    }
    throw new RangeError('GHashTable emulation: table full');
  };
  let n = 0;
  for (const key of keys) {
    let hash = gStrHash(key);
    if (hash < 2) hash = 2; // 0 and 1 mark unused and tombstone buckets
    if (place(slots, shift, key, hash)) n++;
    if (slots.length <= n + Math.floor(n / 16)) {
      const newShift = closestShift(Math.floor((n * 4) / 3));
      const next: typeof slots = new Array(1 << newShift).fill(undefined);
      for (const e of slots) if (e !== undefined) place(next, newShift, e.key, e.hash);
      shift = newShift;
      slots = next;
    }
  }
  return slots.filter((e): e is { key: string; hash: number } => e !== undefined).map((e) => e.key);
}
