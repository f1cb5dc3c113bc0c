/**
 * Debian control data (deb822): package control files, dpkg's `status` database and apt's
 * `.sources` files share one syntax — paragraphs of `Field: value` lines separated by blank
 * lines, continuation lines starting with a space or tab (a lone " ." is an empty line), and,
 * in apt's files, `#` comment lines. Field names compare case-insensitively (deb-control(5)).
 */
import { defineError } from '../core/index.js';

export const DebControlInvalid = defineError<{ file: string; line: number }>('FORMAT_DEB_CONTROL_INVALID', 'invalid-argument');

/** One paragraph: fields in file order; `get` ignores case. */
export class Deb822Paragraph {
  readonly #fields: [string, string][];

  constructor(fields: readonly (readonly [string, string])[] = []) {
    this.#fields = fields.map(([k, v]) => [k, v]);
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.#fields.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  set(name: string, value: string): void {
    const lower = name.toLowerCase();
    const hit = this.#fields.find(([k]) => k.toLowerCase() === lower);
    if (hit) hit[1] = value;
    else this.#fields.push([name, value]);
  }

  delete(name: string): void {
    const lower = name.toLowerCase();
    const i = this.#fields.findIndex(([k]) => k.toLowerCase() === lower);
    if (i >= 0) this.#fields.splice(i, 1);
  }

  entries(): readonly (readonly [string, string])[] {
    return this.#fields;
  }
}

const FIELD_REGEXP = /^([!-9;-~][!-9;-~]*):(.*)$/;

export interface ParseDeb822Options {
  /** apt's files allow `#` comment lines; dpkg's status does not need them (default true). */
  readonly comments?: boolean;
  /** Named in errors. */
  readonly file?: string;
}

/** Parses deb822 text into paragraphs. Multi-line values keep their lines joined with "\n". */
export function parseDeb822(text: string, options: ParseDeb822Options = {}): Deb822Paragraph[] {
  const file = options.file ?? '<deb822>';
  const comments = options.comments ?? true;
  const out: Deb822Paragraph[] = [];
  let fields: [string, string][] = [];
  const flush = (): void => {
    if (fields.length > 0) out.push(new Deb822Paragraph(fields));
    fields = [];
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (comments && line.startsWith('#')) continue;
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = fields[fields.length - 1];
      if (last === undefined) throw new DebControlInvalid(`${file}:${i + 1}: Continuation line without a field`, { file, line: i + 1 });
      const rest = line.slice(1);
      last[1] += `\n${rest.trim() === '.' ? '' : rest}`;
      continue;
    }
    const m = FIELD_REGEXP.exec(line);
    if (!m) throw new DebControlInvalid(`${file}:${i + 1}: Expected "Field: value", got ${JSON.stringify(line)}`, { file, line: i + 1 });
    fields.push([m[1]!, m[2]!.trim()]);
  }
  flush();
  return out;
}

/** Writes paragraphs back (values with "\n" become continuation lines, empty lines " ."). */
export function formatDeb822(paragraphs: readonly Deb822Paragraph[]): string {
  return paragraphs
    .map((p) =>
      p
        .entries()
        .map(([k, v]) => {
          const [first, ...rest] = v.split('\n');
          return [`${k}: ${first}`.trimEnd(), ...rest.map((l) => (l.trim() === '' ? ' .' : ` ${l}`))].join('\n');
        })
        .join('\n'),
    )
    .join('\n\n')
    .concat(paragraphs.length > 0 ? '\n' : '');
}

// ---------------------------------------------------------------------------------------------
// dpkg's status database

export interface DebPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly source?: string;
  readonly installedSize?: number;
}

/** Installed packages from dpkg's `status` (state "install ok installed"), sorted by name then arch. */
export function parseDpkgStatus(text: string): DebPackage[] {
  const out: DebPackage[] = [];
  for (const p of parseDeb822(text, { comments: false, file: 'status' })) {
    const status = p.get('Status')?.split(/\s+/);
    if (status?.[2] !== 'installed') continue;
    const name = p.get('Package');
    const version = p.get('Version');
    if (name === undefined || version === undefined) continue;
    const source = p.get('Source')?.split(' ')[0];
    const size = p.get('Installed-Size');
    out.push({
      name,
      version,
      architecture: p.get('Architecture') ?? 'all',
      ...(source !== undefined ? { source } : {}),
      ...(size !== undefined && /^\d+$/.test(size) ? { installedSize: Number(size) } : {}),
    });
  }
  return out.sort((a, b) => (a.name === b.name ? cmp(a.architecture, b.architecture) : cmp(a.name, b.name)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// apt sources: one-line `sources.list` entries to deb822 paragraphs

/** `deb [arch=amd64 signed-by=/k.gpg] URI SUITE COMP…` lines as deb822 paragraphs (deb-src skipped). */
export function sourcesListToDeb822(text: string, file = 'sources.list'): Deb822Paragraph[] {
  const out: Deb822Paragraph[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) throw new DebControlInvalid(`${file}:${i + 1}: Cannot read apt source ${JSON.stringify(line)}`, { file, line: i + 1 });
    if (m[1] !== 'deb') return;
    const p = new Deb822Paragraph([['Types', 'deb'], ['URIs', m[3]!], ['Suites', m[4]!]]);
    if (m[5]) p.set('Components', m[5].trim().split(/\s+/).join(' '));
    for (const opt of (m[2] ?? '').trim().split(/\s+/).filter(Boolean)) {
      const [k, v] = opt.split('=', 2);
      if (k === undefined || v === undefined) continue;
      const name = ({ arch: 'Architectures', 'signed-by': 'Signed-By', trusted: 'Trusted', lang: 'Languages' } as Record<string, string>)[k] ?? k;
      p.set(name, v.split(',').join(' '));
    }
    out.push(p);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Debian version ordering (deb-version(5)): epoch, then upstream, then revision, each compared
// by alternating non-digit runs (letters before non-letters, `~` before everything, even the
// end) and numeric runs.

export interface DebVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

export function parseDebVersion(version: string): DebVersion {
  const colon = version.indexOf(':');
  const epoch = colon > 0 ? Number(version.slice(0, colon)) : 0;
  const rest = colon > 0 ? version.slice(colon + 1) : version;
  const dash = rest.lastIndexOf('-');
  return {
    epoch: Number.isFinite(epoch) ? epoch : 0,
    upstream: dash >= 0 ? rest.slice(0, dash) : rest,
    revision: dash >= 0 ? rest.slice(dash + 1) : '',
  };
}

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let diff = 0;
    while ((i < a.length && !/\d/.test(a[i]!)) || (j < b.length && !/\d/.test(b[j]!))) {
      const ac = i < a.length && !/\d/.test(a[i]!) ? a[i] : undefined;
      const bc = j < b.length && !/\d/.test(b[j]!) ? b[j] : undefined;
      diff = order(ac) - order(bc);
      if (diff !== 0) return diff;
      if (ac !== undefined) i++;
      if (bc !== undefined) j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (i < a.length && /\d/.test(a[i]!) && j < b.length && /\d/.test(b[j]!)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /\d/.test(a[i]!)) return 1;
    if (j < b.length && /\d/.test(b[j]!)) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, equal to, or after `b` (dpkg --compare-versions). */
export function compareDebVersions(a: string, b: string): number {
  const va = parseDebVersion(a);
  const vb = parseDebVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return comparePart(va.upstream, vb.upstream) || comparePart(va.revision, vb.revision);
}
