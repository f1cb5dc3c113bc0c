import { DeltaMalformed, DeltaTruncated } from './errors.js';

/**
 * The bsdiff patch stream ostree's static deltas carry in BSPATCH ops: mendsley/bsdiff's
 * stream without the `ENDSLEY/BSDIFF43` header and without bzip2 (the whole delta part is xz
 * compressed instead). Records of three 8-byte sign-magnitude little-endian integers
 * `(addLen, copyLen, seek)`, then `addLen` diff bytes (added bytewise to the old data at the
 * current old position), then `copyLen` literal bytes; the old position then moves by `seek`.
 */

/** Sign-magnitude little-endian 64-bit integer (bsdiff's offtin/offtout). */
function readOff(buf: Uint8Array, pos: number): number {
  let y = buf[pos + 7]! & 0x7f;
  for (let i = 6; i >= 0; i--) y = y * 256 + buf[pos + i]!;
  if (!Number.isSafeInteger(y)) throw new DeltaMalformed('bsdiff control value is too large', { what: 'bsdiff', reason: 'overflow' });
  return (buf[pos + 7]! & 0x80) !== 0 ? -y : y;
}

function writeOff(out: Uint8Array, pos: number, value: number): void {
  let y = Math.abs(value);
  for (let i = 0; i < 8; i++) {
    out[pos + i] = y % 256;
    y = Math.floor(y / 256);
  }
  if (value < 0) out[pos + 7]! |= 0x80;
}

/** Applies `patch` to `old`, producing exactly `newSize` bytes, as mendsley's bspatch() does. */
export function bspatch(old: Uint8Array, patch: Uint8Array, newSize: number): Uint8Array {
  const out = new Uint8Array(newSize);
  let oldPos = 0;
  let newPos = 0;
  let p = 0;
  while (newPos < newSize) {
    if (p + 24 > patch.length) throw new DeltaTruncated('bsdiff patch ends inside a control record', { what: 'bsdiff', offset: p });
    const addLen = readOff(patch, p);
    const copyLen = readOff(patch, p + 8);
    const seek = readOff(patch, p + 16);
    p += 24;
    if (addLen < 0 || copyLen < 0 || addLen > 0x7fffffff || copyLen > 0x7fffffff || newPos + addLen > newSize) {
      throw new DeltaMalformed('bsdiff control record is out of range', { what: 'bsdiff', reason: 'control' });
    }
    if (p + addLen > patch.length) throw new DeltaTruncated('bsdiff patch ends inside diff bytes', { what: 'bsdiff', offset: p });
    for (let i = 0; i < addLen; i++) {
      const o = oldPos + i;
      out[newPos + i] = (patch[p + i]! + (o >= 0 && o < old.length ? old[o]! : 0)) & 0xff;
    }
    p += addLen;
    newPos += addLen;
    oldPos += addLen;
    if (newPos + copyLen > newSize) throw new DeltaMalformed('bsdiff extra bytes overrun the output', { what: 'bsdiff', reason: 'extra' });
    if (p + copyLen > patch.length) throw new DeltaTruncated('bsdiff patch ends inside extra bytes', { what: 'bsdiff', offset: p });
    out.set(patch.subarray(p, p + copyLen), newPos);
    p += copyLen;
    newPos += copyLen;
    oldPos += seek;
  }
  return out;
}

interface Match {
  readonly newStart: number;
  readonly oldStart: number;
  readonly len: number;
}

const MIN_MATCH = 12;
const KEY = 8;

function keyAt(buf: Uint8Array, i: number): number {
  // FNV-1a over 8 bytes, folded to 32 bits.
  let h = 0x811c9dc5;
  for (let k = 0; k < KEY; k++) h = Math.imul(h ^ buf[i + k]!, 0x01000193);
  return h >>> 0;
}

/**
 * Produces a bsdiff stream turning `old` into `next`. Not mendsley's suffix-array search: a
 * hash index of the old bytes finds exact seeds, which are then extended forward while at
 * least half the bytes still agree (bsdiff's own scoring), so in-place edits become sparse
 * diff bytes that compress to almost nothing. Any valid stream applies with bspatch().
 */
export function bsdiff(old: Uint8Array, next: Uint8Array): Uint8Array {
  const matches = findMatches(old, next);
  // Records: [addLen, copyLen, seek] + diff + extra
  const records: Array<{ add: number; oldAt: number; newAt: number; extraFrom: number; extraLen: number; seek: number }> = [];
  let newPos = 0;
  let oldPos = 0;
  const first = matches[0];
  if (first === undefined) {
    records.push({ add: 0, oldAt: 0, newAt: 0, extraFrom: 0, extraLen: next.length, seek: 0 });
  } else {
    if (first.newStart > 0) {
      records.push({ add: 0, oldAt: 0, newAt: 0, extraFrom: 0, extraLen: first.newStart, seek: first.oldStart });
      oldPos = first.oldStart;
    } else {
      oldPos = 0;
      // the first record starts at old 0; seek there with an empty leading record if needed
      if (first.oldStart !== 0) records.push({ add: 0, oldAt: 0, newAt: 0, extraFrom: 0, extraLen: 0, seek: first.oldStart });
      oldPos = first.oldStart;
    }
    newPos = first.newStart;
    for (let k = 0; k < matches.length; k++) {
      const m = matches[k]!;
      const following = matches[k + 1];
      const extraEnd = following === undefined ? next.length : following.newStart;
      const oldAfter = oldPos + m.len;
      const seek = following === undefined ? 0 : following.oldStart - oldAfter;
      records.push({ add: m.len, oldAt: oldPos, newAt: newPos, extraFrom: m.newStart + m.len, extraLen: extraEnd - (m.newStart + m.len), seek });
      newPos = extraEnd;
      oldPos = oldAfter + seek;
    }
  }
  let total = 0;
  for (const r of records) total += 24 + r.add + r.extraLen;
  const out = new Uint8Array(total);
  let p = 0;
  for (const r of records) {
    writeOff(out, p, r.add);
    writeOff(out, p + 8, r.extraLen);
    writeOff(out, p + 16, r.seek);
    p += 24;
    for (let i = 0; i < r.add; i++) out[p + i] = (next[r.newAt + i]! - old[r.oldAt + i]!) & 0xff;
    p += r.add;
    out.set(next.subarray(r.extraFrom, r.extraFrom + r.extraLen), p);
    p += r.extraLen;
  }
  return out;
}

function findMatches(old: Uint8Array, next: Uint8Array): Match[] {
  const matches: Match[] = [];
  if (old.length < KEY || next.length < KEY) return matches;
  let bits = 10;
  while (bits < 24 && 1 << bits < old.length * 2) bits++;
  const mask = (1 << bits) - 1;
  const table = new Int32Array(1 << bits).fill(-1);
  // Later positions overwrite earlier ones; inserting backwards keeps the first occurrence.
  for (let i = old.length - KEY; i >= 0; i--) table[keyAt(old, i) & mask] = i;

  let i = 0;
  let lastDelta = 0; // oldStart - newStart of the previous match: try "same alignment" first
  while (i + KEY <= next.length) {
    let cand = -1;
    const aligned = i + lastDelta;
    if (aligned >= 0 && aligned + MIN_MATCH <= old.length && equalRun(old, aligned, next, i, MIN_MATCH) === MIN_MATCH) cand = aligned;
    else {
      const t = table[keyAt(next, i) & mask]!;
      if (t >= 0 && equalRun(old, t, next, i, MIN_MATCH) === MIN_MATCH) cand = t;
    }
    if (cand < 0) {
      i++;
      continue;
    }
    // extend backwards into the unmatched gap
    const prevEnd = matches.length === 0 ? 0 : matches[matches.length - 1]!.newStart + matches[matches.length - 1]!.len;
    let back = 0;
    while (i - back > prevEnd && cand - back > 0 && old[cand - back - 1] === next[i - back - 1]) back++;
    const newStart = i - back;
    const oldStart = cand - back;
    const len = extendApprox(old, oldStart, next, newStart);
    matches.push({ newStart, oldStart, len });
    lastDelta = oldStart - newStart;
    i = newStart + len;
  }
  return matches;
}

function equalRun(a: Uint8Array, ai: number, b: Uint8Array, bi: number, limit: number): number {
  let n = 0;
  while (n < limit && ai + n < a.length && bi + n < b.length && a[ai + n] === b[bi + n]) n++;
  return n;
}

/** Length to cover from a seed: maximise 2*agreeing - length (bsdiff's lenf rule), bounded. */
function extendApprox(old: Uint8Array, os: number, next: Uint8Array, ns: number): number {
  const max = Math.min(old.length - os, next.length - ns);
  let score = 0;
  let best = 0;
  let bestLen = 0;
  for (let k = 0; k < max; k++) {
    score += old[os + k] === next[ns + k] ? 1 : -1;
    if (score > best) {
      best = score;
      bestLen = k + 1;
    } else if (score < best - 64) break;
  }
  return bestLen;
}
