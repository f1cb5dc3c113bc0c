import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { isHostError } from '../../core/index.js';
import type { CommandContext } from '../context.js';

/**
 * What the read-side and maintenance verbs (log, show, ls, cat, diff, fsck, prune, summary)
 * share: GOption-style argument parsing (`--x=v`, `--x v`, `-x v`, grouped short flags),
 * `--repo` with ostree's default, and ostree's error convention: `error: MESSAGE` on stderr
 * and exit status 1, whatever the cause.
 */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  /** 'flag' takes no value; 'value' takes one; 'multi' may repeat and collects values. */
  readonly kind: 'flag' | 'value' | 'multi';
}

export interface ParsedArgs {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly multi: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

/** An error whose message ostree prints verbatim after `error: `. */
export class VerbError extends Error {}

const COMMON: readonly OptionSpec[] = [
  { name: 'repo', kind: 'value' },
  { name: 'verbose', short: 'v', kind: 'flag' },
  { name: 'help', short: 'h', kind: 'flag' },
];

export function parseVerbArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const all = [...specs, ...COMMON.filter((c) => !specs.some((s) => s.name === c.name || (c.short !== undefined && s.short === c.short)))];
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const multi = new Map<string, string[]>();
  const positionals: string[] = [];
  const set = (spec: OptionSpec, value: string | undefined, shown: string): void => {
    if (spec.kind === 'flag') {
      if (value !== undefined) throw new VerbError(`Option ${shown} does not take an argument`);
      flags.add(spec.name);
    } else if (value === undefined) throw new VerbError(`Missing argument for ${shown}`);
    else if (spec.kind === 'value') values.set(spec.name, value);
    else multi.set(spec.name, [...(multi.get(spec.name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = all.find((s) => s.name === name);
      if (spec === undefined) throw new VerbError(`Unknown option ${a.slice(0, eq < 0 ? undefined : eq)}`);
      let value = eq < 0 ? undefined : a.slice(eq + 1);
      if (value === undefined && spec.kind !== 'flag') value = argv[++i];
      set(spec, value, `--${name}`);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const spec = all.find((s) => s.short === a[j]);
        if (spec === undefined) throw new VerbError(`Unknown option -${a[j]}`);
        if (spec.kind === 'flag') set(spec, undefined, `-${a[j]}`);
        else {
          const rest = a.slice(j + 1);
          set(spec, rest !== '' ? rest : argv[++i], `-${a[j]}`);
          break;
        }
      }
    } else positionals.push(a);
  }
  return { flags, values, multi, positionals };
}

/** `--repo`, else the current directory when it is a repository, else /sysroot/ostree/repo. */
export function repoPath(args: ParsedArgs, ctx: CommandContext): string {
  const given = args.values.get('repo') ?? ctx.env.OSTREE_REPO;
  if (given !== undefined && given !== '') return isAbsolute(given) ? given : join(ctx.cwd, given);
  if (existsSync(join(ctx.cwd, 'objects')) && existsSync(join(ctx.cwd, 'config'))) return ctx.cwd;
  return '/sysroot/ostree/repo';
}

/** Runs a verb body with ostree's error convention. */
export async function runVerb(ctx: CommandContext, body: () => Promise<number | void>): Promise<number> {
  try {
    return (await body()) ?? 0;
  } catch (err) {
    if (err instanceof VerbError || isHostError(err)) {
      ctx.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

export function usageText(verb: string, synopsis: string, summary: string): string {
  return `Usage:\n  ostree ${verb} [OPTION…]${synopsis === '' ? '' : ` ${synopsis}`}\n\n${summary}\n\n`;
}
