/**
 * The subset of Go templates docker's --format uses: `{{.Field}}`, `{{.A.B}}`, `{{json .}}`, `{{json .A}}`,
 * `{{.Label "k"}}`, `{{index .M "k"}}`, `{{join .L ","}}`, `{{upper .X}}`, `{{lower .X}}`, a leading `table`,
 * and `\t` / `\n` escapes. Pure.
 */
import { InvalidArgument } from '../../core/index.js';

type Value = unknown;

function lookup(root: Value, path: string): Value {
  if (path === '.' || path === '') return root;
  let cur: Value = root;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur === 'object') cur = (cur as Record<string, Value>)[part];
    else return undefined;
  }
  return cur;
}

function tokens(expr: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of expr.matchAll(re)) out.push(m[1] !== undefined ? `"${m[1]}` : m[2]!);
  return out;
}

export function display(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(display).join(' ')}]`;
  return `map[${Object.entries(v as Record<string, Value>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => `${k}:${display(x)}`).join(' ')}]`;
}

function evaluate(expr: string, root: Value): Value {
  const t = tokens(expr.trim());
  const arg = (x: string | undefined): Value => (x === undefined ? undefined : x.startsWith('"') ? x.slice(1) : lookup(root, x));
  const head = t[0];
  if (head === undefined) return '';
  switch (head) {
    case 'json': return JSON.stringify(arg(t[1]) ?? null);
    case 'index': {
      const m = arg(t[1]);
      return m && typeof m === 'object' ? (m as Record<string, Value>)[String(arg(t[2]))] : undefined;
    }
    case 'join': {
      const l = arg(t[1]);
      return Array.isArray(l) ? l.map(String).join(String(arg(t[2]) ?? '')) : '';
    }
    case 'upper': return String(arg(t[1]) ?? '').toUpperCase();
    case 'lower': return String(arg(t[1]) ?? '').toLowerCase();
    case 'println': return `${t.slice(1).map((x) => display(arg(x))).join(' ')}\n`;
    default:
      if (!head.startsWith('.')) throw new InvalidArgument(`Template parsing error: function ${JSON.stringify(head)} not defined`, { expr });
      if (t.length === 2 && head.endsWith('.Label')) {
        const obj = lookup(root, head.slice(0, -'.Label'.length)) as Record<string, Value> | undefined;
        const labels = (obj?.LabelsMap ?? obj?.Labels) as Record<string, Value> | string | undefined;
        return labels && typeof labels === 'object' ? labels[String(arg(t[1]))] ?? '' : '';
      }
      return lookup(root, head);
  }
}

export interface Template {
  readonly table: boolean;
  readonly source: string;
  render(root: Value): string;
  /** Column headers for `table` mode. */
  header(names: Readonly<Record<string, string>>): string;
}

export function parseTemplate(format: string): Template {
  let source = format;
  let table = false;
  if (source.startsWith('table')) {
    table = true;
    source = source.slice(5).trimStart();
  }
  source = source.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const parts = source.split(/(\{\{-?\s*[\s\S]*?\s*-?\}\})/);
  return {
    table,
    source,
    render(root) {
      return parts.map((p) => {
        const m = /^\{\{-?\s*([\s\S]*?)\s*-?\}\}$/.exec(p);
        if (!m) return p;
        const v = evaluate(m[1]!, root);
        return typeof v === 'string' ? v : display(v);
      }).join('');
    },
    header(names) {
      return parts.map((p) => {
        const m = /^\{\{-?\s*\.(\w+)\s*-?\}\}$/.exec(p);
        if (!m) return /^\{\{/.test(p) ? '' : p;
        return names[m[1]!] ?? m[1]!.toUpperCase();
      }).join('');
    },
  };
}

/** Go's text/tabwriter as docker uses it: minwidth 10, padding 3, space padding; cells end at '\t'. */
export function tabwrite(lines: readonly string[], minWidth = 10, padding = 3): string {
  const rows = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(Math.max(minWidth, (widths[i] ?? 0) + padding)) : c)).join('')).join('\n') + (rows.length ? '\n' : '');
}
