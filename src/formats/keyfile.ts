import { defineError } from '../core/index.js';

/**
 * GKeyFile, the INI dialect of ostree's `config`, remotes, origin files and BLS-adjacent state.
 * Parsing keeps every comment, blank line and the order of groups and keys, so a read-modify-write
 * changes only what was set. (ostree itself loads without G_KEY_FILE_KEEP_COMMENTS and so drops
 * comments on `ostree config set`; we keep them, which GLib readers accept the same.)
 */
export const KeyFileSyntax = defineError<{ line: number; text: string }>('FORMAT_KEYFILE_SYNTAX', 'corrupt');
export const KeyFileNotFound = defineError<{ group: string; key?: string }>('FORMAT_KEYFILE_NOT_FOUND', 'not-found');
export const KeyFileBadValue = defineError<{ group: string; key: string; value: string }>('FORMAT_KEYFILE_BAD_VALUE', 'invalid-argument');

type Line =
  | { readonly kind: 'comment'; readonly text: string } // comments and blank lines, verbatim
  | { kind: 'entry'; readonly key: string; value: string; raw: string | undefined };

interface Group {
  readonly name: string;
  readonly header: string; // leading comments are kept in `preamble`
  readonly preamble: Line[];
  readonly lines: Line[];
}

const GROUP_REGEXP = /^\[([^\][\x00-\x1f]*)\]\s*$/;
const KEY_REGEXP = /^[^=[\]\s][^=]*?(\[[^\]=]+\])?$/;

export class KeyFile {
  readonly #groups: Group[] = [];
  #top: Line[] = []; // comments before the first group
  #pending: Line[] = [];

  static parse(text: string): KeyFile {
    const kf = new KeyFile();
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    let current: Group | undefined;
    lines.forEach((rawLine, i) => {
      const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      const trimmed = line.trimStart();
      if (trimmed === '' || trimmed.startsWith('#')) {
        kf.#pending.push({ kind: 'comment', text: line });
        return;
      }
      const g = GROUP_REGEXP.exec(trimmed);
      if (g !== null) {
        const name = g[1]!;
        const existing = kf.#groups.find((x) => x.name === name);
        if (existing !== undefined) {
          existing.lines.push(...kf.#pending);
          kf.#pending = [];
          current = existing; // GKeyFile merges a repeated group into the first
          return;
        }
        current = { name, header: line, preamble: kf.#pending, lines: [] };
        kf.#pending = [];
        kf.#groups.push(current);
        return;
      }
      const eq = line.indexOf('=');
      if (eq <= 0 || current === undefined) {
        throw new KeyFileSyntax(
          current === undefined
            ? `Key file contains key/value line ${JSON.stringify(line)} before any group (line ${i + 1})`
            : `Key file contains line ${JSON.stringify(line)} which is not a key-value pair, group, or comment (line ${i + 1})`,
          { line: i + 1, text: line },
        );
      }
      const key = line.slice(0, eq).trim();
      if (!KEY_REGEXP.test(key)) {
        throw new KeyFileSyntax(`Invalid key name ${JSON.stringify(key)} (line ${i + 1})`, { line: i + 1, text: line });
      }
      const value = line.slice(eq + 1).trimStart();
      current.lines.push(...kf.#pending);
      kf.#pending = [];
      const prior = current.lines.find((l): l is Extract<Line, { kind: 'entry' }> => l.kind === 'entry' && l.key === key);
      if (prior !== undefined) {
        // GKeyFile: a later duplicate key replaces the earlier one's value.
        prior.value = value;
        prior.raw = undefined;
        return;
      }
      current.lines.push({ kind: 'entry', key, value, raw: line });
    });
    if (current === undefined) kf.#top = kf.#pending;
    else current.lines.push(...kf.#pending);
    kf.#pending = [];
    return kf;
  }

  groups(): string[] {
    return this.#groups.map((g) => g.name);
  }

  hasGroup(group: string): boolean {
    return this.#groups.some((g) => g.name === group);
  }

  keys(group: string): string[] {
    const g = this.#group(group);
    if (g === undefined) throw new KeyFileNotFound(`Key file does not have group ${JSON.stringify(group)}`, { group });
    return g.lines.flatMap((l) => (l.kind === 'entry' ? [l.key] : []));
  }

  #group(group: string): Group | undefined {
    return this.#groups.find((g) => g.name === group);
  }

  #entry(group: string, key: string): Extract<Line, { kind: 'entry' }> | undefined {
    return this.#group(group)?.lines.find((l): l is Extract<Line, { kind: 'entry' }> => l.kind === 'entry' && l.key === key);
  }

  /** The raw value (escapes not processed), or undefined. */
  getValue(group: string, key: string): string | undefined {
    return this.#entry(group, key)?.value;
  }

  has(group: string, key: string): boolean {
    return this.#entry(group, key) !== undefined;
  }

  /** g_key_file_get_string: escapes processed. Undefined when absent. */
  getString(group: string, key: string): string | undefined {
    const raw = this.getValue(group, key);
    return raw === undefined ? undefined : unescapeValue(raw, group, key);
  }

  /** Like getString but throws FORMAT_KEYFILE_NOT_FOUND with GLib's wording when absent. */
  requireString(group: string, key: string): string {
    const v = this.getString(group, key);
    if (v !== undefined) return v;
    if (!this.hasGroup(group)) throw new KeyFileNotFound(`Key file does not have group “${group}”`, { group });
    throw new KeyFileNotFound(`Key file does not have key “${key}” in group “${group}”`, { group, key });
  }

  getBoolean(group: string, key: string): boolean | undefined {
    const v = this.getValue(group, key);
    if (v === undefined) return undefined;
    const t = v.trimEnd();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    throw new KeyFileBadValue(`Key file contains key “${key}” which has a value that cannot be interpreted`, { group, key, value: v });
  }

  getInteger(group: string, key: string): number | undefined {
    const v = this.getValue(group, key);
    if (v === undefined) return undefined;
    if (!/^\s*[-+]?\d+\s*$/.test(v)) {
      throw new KeyFileBadValue(`Key file contains key “${key}” in group “${group}” which has a value that cannot be interpreted`, { group, key, value: v });
    }
    return Number.parseInt(v, 10);
  }

  /** `a;b;c;` lists (GLib splits on ';' not preceded by a backslash). */
  getStringList(group: string, key: string): string[] | undefined {
    const raw = this.getValue(group, key);
    if (raw === undefined) return undefined;
    const out: string[] = [];
    let cur = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c === '\\' && raw[i + 1] === ';') {
        cur += '\\;';
        i++;
      } else if (c === ';') {
        out.push(unescapeValue(cur, group, key).replaceAll('\\;', ';'));
        cur = '';
      } else cur += c;
    }
    if (cur !== '') out.push(unescapeValue(cur, group, key).replaceAll('\\;', ';'));
    return out;
  }

  /** Sets the raw value; new keys go after the group's last entry, new groups at the end. */
  setValue(group: string, key: string, value: string): void {
    if (!KEY_REGEXP.test(key) || key.includes('\n')) {
      throw new KeyFileBadValue(`Invalid key name ${JSON.stringify(key)}`, { group, key, value });
    }
    if (value.includes('\n')) throw new KeyFileBadValue(`Raw value for ${JSON.stringify(key)} contains a newline`, { group, key, value });
    const existing = this.#entry(group, key);
    if (existing !== undefined) {
      existing.value = value;
      existing.raw = undefined;
      return;
    }
    let g = this.#group(group);
    if (g === undefined) {
      const last = this.#groups.at(-1);
      const preamble: Line[] = [];
      // GKeyFile separates a new group from the previous one with a blank line.
      if (last !== undefined && !(last.lines.at(-1)?.kind === 'comment' && last.lines.at(-1)?.kind === 'comment' && (last.lines.at(-1) as { text: string }).text.trim() === '')) {
        preamble.push({ kind: 'comment', text: '' });
      }
      g = { name: group, header: `[${group}]`, preamble, lines: [] };
      this.#groups.push(g);
    }
    let at = g.lines.length;
    while (at > 0 && g.lines[at - 1]!.kind === 'comment' && (g.lines[at - 1] as { text: string }).text.trim() === '') at--;
    g.lines.splice(at, 0, { kind: 'entry', key, value, raw: undefined });
  }

  setString(group: string, key: string, value: string): void {
    this.setValue(group, key, escapeValue(value));
  }

  setBoolean(group: string, key: string, value: boolean): void {
    this.setValue(group, key, value ? 'true' : 'false');
  }

  setInteger(group: string, key: string, value: number): void {
    this.setValue(group, key, String(Math.trunc(value)));
  }

  setStringList(group: string, key: string, values: readonly string[]): void {
    this.setValue(group, key, values.map((v) => `${escapeValue(v).replaceAll(';', '\\;')};`).join(''));
  }

  /** Removes a key; returns false when it was not there. */
  removeKey(group: string, key: string): boolean {
    const g = this.#group(group);
    if (g === undefined) return false;
    const i = g.lines.findIndex((l) => l.kind === 'entry' && l.key === key);
    if (i < 0) return false;
    g.lines.splice(i, 1);
    return true;
  }

  removeGroup(group: string): boolean {
    const i = this.#groups.findIndex((g) => g.name === group);
    if (i < 0) return false;
    this.#groups.splice(i, 1);
    return true;
  }

  /** g_key_file_to_data with comments kept: unchanged lines come back byte for byte. */
  toString(): string {
    const out: string[] = [];
    const emit = (l: Line): void => {
      if (l.kind === 'comment') out.push(l.text);
      else out.push(l.raw ?? `${l.key}=${l.value}`);
    };
    this.#top.forEach(emit);
    for (const g of this.#groups) {
      g.preamble.forEach(emit);
      out.push(g.header);
      g.lines.forEach(emit);
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}

/** g_key_file_set_string's escaping: a leading space, newline, tab, CR and backslash. */
export function escapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === ' ' && i === 0) out += '\\s';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (c === '\\') out += '\\\\';
    else out += c;
  }
  return out;
}

export function unescapeValue(raw: string, group = '', key = ''): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = raw[++i];
    switch (n) {
      case 's': out += ' '; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case ';': out += '\\;'; break; // kept for list splitting
      default:
        throw new KeyFileBadValue(
          n === undefined
            ? `Key file contains escape character at end of line`
            : `Key file contains invalid escape sequence “\\${n}”`,
          { group, key, value: raw },
        );
    }
  }
  return out;
}
