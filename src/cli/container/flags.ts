/**
 * docker-style flag parsing: long (--name x, --name=x), short (-d, -it, -p 80:80, -p80:80), repeatable
 * flags, and for run/exec/create option parsing stops at the first positional (the rest is the command).
 */
import { InvalidArgument } from '../../core/index.js';

export type FlagType = 'bool' | 'string' | 'list';

export interface FlagDef {
  readonly type: FlagType;
  readonly short?: string;
  readonly alias?: readonly string[];
}

export type FlagTable = Readonly<Record<string, FlagDef>>;

export interface ParsedFlags {
  readonly values: Record<string, boolean | string | string[] | undefined>;
  readonly positionals: string[];
}

export function parseFlags(argv: readonly string[], table: FlagTable, stopAtPositional = false): ParsedFlags {
  const values: ParsedFlags['values'] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  const byLong = new Map<string, string>();
  for (const [name, def] of Object.entries(table)) {
    byLong.set(name, name);
    for (const a of def.alias ?? []) byLong.set(a, name);
    if (def.short) byShort.set(def.short, name);
  }
  const set = (name: string, value: string | boolean) => {
    const def = table[name]!;
    if (def.type === 'list') ((values[name] as string[] | undefined) ?? (values[name] = [])) && (values[name] as string[]).push(String(value));
    else values[name] = value;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const name = byLong.get(key);
      if (name === undefined) throw new InvalidArgument(`unknown flag: --${key}`, { flag: key });
      const def = table[name]!;
      if (def.type === 'bool') set(name, eq < 0 ? true : a.slice(eq + 1) !== 'false');
      else if (eq >= 0) set(name, a.slice(eq + 1));
      else {
        const v = argv[++i];
        if (v === undefined) throw new InvalidArgument(`flag needs an argument: --${key}`, { flag: key });
        set(name, v);
      }
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const name = byShort.get(ch);
        if (name === undefined) throw new InvalidArgument(`unknown shorthand flag: '${ch}' in ${a}`, { flag: ch });
        const def = table[name]!;
        if (def.type === 'bool') {
          set(name, true);
          continue;
        }
        let v = a.slice(j + 1);
        if (v.startsWith('=')) v = v.slice(1);
        if (v === '') {
          const next = argv[++i];
          if (next === undefined) throw new InvalidArgument(`flag needs an argument: '${ch}' in -${ch}`, { flag: ch });
          v = next;
        }
        set(name, v);
        break;
      }
    } else {
      positionals.push(a);
      if (stopAtPositional) {
        i++;
        break;
      }
    }
  }
  positionals.push(...argv.slice(i));
  return { values, positionals };
}

export function str(v: ParsedFlags['values'][string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function list(v: ParsedFlags['values'][string]): string[] {
  return Array.isArray(v) ? v : [];
}
export function bool(v: ParsedFlags['values'][string]): boolean {
  return v === true;
}
