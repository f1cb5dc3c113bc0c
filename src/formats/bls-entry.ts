/**
 * Boot Loader Specification entries (`/boot/loader/entries/*.conf`) as libostree 2022.7 writes
 * and reads them: one `key value` per line, a single space between key and value, `#` comments
 * and blank lines ignored. Keys may repeat (`initrd`), so an entry is an ordered list of pairs.
 * Pure: text in, text out.
 */
export interface BlsEntry {
  readonly fields: ReadonlyArray<readonly [key: string, value: string]>;
}

const KEY_REGEXP = /^[A-Za-z0-9_-]+$/;

export function parseBlsEntry(text: string): BlsEntry {
  const fields: Array<readonly [string, string]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
    if (m === null) continue;
    fields.push([m[1]!, (m[2] ?? '').trim()]);
  }
  return { fields };
}

/** ostree writes `key value\n` for each field in order, nothing else. */
export function formatBlsEntry(entry: BlsEntry): string {
  let out = '';
  for (const [key, value] of entry.fields) {
    if (!KEY_REGEXP.test(key)) throw new RangeError(`Bad BLS key ${JSON.stringify(key)}`);
    if (/[\n\r]/.test(value)) throw new RangeError(`BLS value for ${key} contains a newline`);
    out += `${key} ${value}\n`;
  }
  return out;
}

export function blsGet(entry: BlsEntry, key: string): string | undefined {
  return entry.fields.find(([k]) => k === key)?.[1];
}

export function blsGetAll(entry: BlsEntry, key: string): string[] {
  return entry.fields.filter(([k]) => k === key).map(([, v]) => v);
}

/** A copy with `key` set to `value` (first occurrence replaced, others dropped), or appended. */
export function blsSet(entry: BlsEntry, key: string, value: string): BlsEntry {
  let done = false;
  const fields: Array<readonly [string, string]> = [];
  for (const f of entry.fields) {
    if (f[0] !== key) fields.push(f);
    else if (!done) {
      fields.push([key, value]);
      done = true;
    }
  }
  if (!done) fields.push([key, value]);
  return { fields };
}

/**
 * glibc strverscmp(): what ostree and sd-boot use to order entries by `version`.
 * Digit runs compare numerically; runs with leading zeros compare as fractions.
 */
export function strverscmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i]!;
    const cb = b[j]!;
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a[ei]!)) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b[ej]!)) ej++;
      const ra = a.slice(i, ei);
      const rb = b.slice(j, ej);
      const fa = ra.length > 1 && ra.startsWith('0');
      const fb = rb.length > 1 && rb.startsWith('0');
      let c: number;
      if (fa || fb) {
        // glibc: a run with leading zeros is a fraction and sorts before an integer; more
        // leading zeros sort first; then the remaining digits compare as strings.
        if (fa && !fb) return -1;
        if (!fa && fb) return 1;
        const za = ra.length - ra.replace(/^0+/, '').length;
        const zb = rb.length - rb.replace(/^0+/, '').length;
        const sa = ra.slice(za);
        const sb = rb.slice(zb);
        c = za !== zb ? zb - za : sa < sb ? -1 : sa > sb ? 1 : 0;
      } else {
        c = ra.length !== rb.length ? ra.length - rb.length : ra < rb ? -1 : ra > rb ? 1 : 0;
      }
      if (c !== 0) return c < 0 ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca.charCodeAt(0) < cb.charCodeAt(0) ? -1 : 1;
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return 0;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** The `ostree=` kernel argument: `/ostree/boot.B/STATEROOT/BOOTCSUM/BOOTSERIAL`. */
export interface OstreeBootPath {
  readonly bootversion: 0 | 1;
  readonly stateroot: string;
  readonly bootcsum: string;
  readonly bootserial: number;
}

const OSTREE_KARG_REGEXP = /^\/ostree\/boot\.([01])\/([^/]+)\/([^/]+)\/([0-9]+)$/;

/** Parses the value of `ostree=` as libostree does (same regexp); undefined when it does not match. */
export function parseOstreeBootPath(value: string): OstreeBootPath | undefined {
  const m = OSTREE_KARG_REGEXP.exec(value);
  if (m === null) return undefined;
  return { bootversion: m[1] === '1' ? 1 : 0, stateroot: m[2]!, bootcsum: m[3]!, bootserial: Number(m[4]) };
}

export function formatOstreeBootPath(p: OstreeBootPath): string {
  return `/ostree/boot.${p.bootversion}/${p.stateroot}/${p.bootcsum}/${p.bootserial}`;
}
