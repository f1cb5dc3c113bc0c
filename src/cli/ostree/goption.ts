import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { defineError, isHostError } from '../../core/index.js';
import type { CommandContext } from '../context.js';

/**
 * GOption-style argument parsing for `berth ostree VERB`, as ostree's verbs accept them:
 * `--opt=v`, `--opt v`, `-o v`, `-ov`, grouped short flags (`-UH`), repeated options, `--` to
 * end options, options anywhere among the positionals. Errors print as ostree does:
 * `error: MESSAGE` on stderr, exit status 1.
 */
export const BadOption = defineError<{ option: string }>('CLI_OSTREE_BAD_OPTION', 'invalid-argument');

export interface OptionDef {
  readonly long: string;
  readonly short?: string;
  /** Metavariable for options that take a value ('PATH'); absent for flags. */
  readonly arg?: string;
  readonly help: string;
}

export interface VerbSpec {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  readonly options: readonly OptionDef[];
}

export const COMMON_OPTIONS: readonly OptionDef[] = [
  { long: 'repo', arg: 'PATH', help: 'Path to OSTree repository (defaults to current directory or /sysroot/ostree/repo)' },
  { long: 'verbose', short: 'v', help: 'Print debug information during command processing' },
  { long: 'version', help: 'Print version information and exit' },
];

export class Parsed {
  readonly positionals: string[] = [];
  readonly #values = new Map<string, string[]>();

  add(name: string, value: string): void {
    this.#values.set(name, [...(this.#values.get(name) ?? []), value]);
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** Last value given (GOption: the last one wins), or undefined. */
  get(name: string): string | undefined {
    return this.#values.get(name)?.at(-1);
  }

  all(name: string): string[] {
    return this.#values.get(name) ?? [];
  }
}

export function parseOptions(spec: VerbSpec, argv: readonly string[]): Parsed {
  const defs = [...spec.options, ...COMMON_OPTIONS, { long: 'help', short: 'h', help: 'Show help options' }];
  const out = new Parsed();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const def = defs.find((d) => d.long === name);
      if (def === undefined) throw new BadOption(`Unknown option ${a.slice(0, eq < 0 ? undefined : eq)}`, { option: a });
      if (def.arg === undefined) {
        if (eq >= 0) throw new BadOption(`Option --${name} does not take a value`, { option: a });
        out.add(def.long, '');
      } else {
        const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (value === undefined) throw new BadOption(`Missing argument for --${name}`, { option: a });
        out.add(def.long, value);
      }
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const def = defs.find((d) => d.short === a[j]);
        if (def === undefined) throw new BadOption(`Unknown option -${a[j]}`, { option: a });
        if (def.arg === undefined) {
          out.add(def.long, '');
          continue;
        }
        const rest = a.slice(j + 1);
        const value = rest !== '' ? rest : argv[++i];
        if (value === undefined) throw new BadOption(`Missing argument for -${a[j]}`, { option: a });
        out.add(def.long, value);
        break;
      }
    } else out.positionals.push(a);
  }
  return out;
}

export function helpText(spec: VerbSpec): string {
  const rows: Array<[string, string]> = [...spec.options, ...COMMON_OPTIONS].map((d) => [
    `${d.short === undefined ? '' : `-${d.short}, `}--${d.long}${d.arg === undefined ? '' : `=${d.arg}`}`,
    d.help,
  ]);
  const width = Math.max(...rows.map(([l]) => l.length)) + 4;
  return [
    'Usage:',
    `  ostree ${spec.name} [OPTION…]${spec.synopsis === '' ? '' : ` ${spec.synopsis}`}`,
    '',
    spec.summary,
    '',
    'Help Options:',
    `  ${'-h, --help'.padEnd(width)}Show help options`,
    '',
    'Application Options:',
    ...rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`),
    '',
    '',
  ].join('\n');
}

/** `--repo`, else $OSTREE_REPO, else the current directory when it is a repository, else /sysroot/ostree/repo. */
export function repoPathOf(args: Parsed, ctx: CommandContext): string {
  const given = args.get('repo') ?? ctx.env.OSTREE_REPO;
  if (given !== undefined && given !== '') return isAbsolute(given) ? given : join(ctx.cwd, given);
  if (existsSync(join(ctx.cwd, 'objects')) && existsSync(join(ctx.cwd, 'config'))) return ctx.cwd;
  return '/sysroot/ostree/repo';
}

/** A usage error: ostree prints the verb's help to stderr, then `error: …`. */
export class UsageError extends Error {}

/**
 * Parses, handles --help, runs `body`, and turns errors into ostree's `error: MESSAGE`, exit 1.
 * Anything that is not a HostError or UsageError is a bug and propagates.
 */
export async function runVerb(
  spec: VerbSpec,
  argv: readonly string[],
  ctx: CommandContext,
  body: (args: Parsed) => Promise<number | void>,
): Promise<number> {
  try {
    const args = parseOptions(spec, argv);
    if (args.has('help')) {
      ctx.stdout.write(helpText(spec));
      return 0;
    }
    return (await body(args)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr.write(helpText(spec));
      ctx.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    if (isHostError(err)) {
      ctx.stderr.write(`error: ${err.message}\n`);
      if (ctx.env.BERTH_DEBUG) ctx.stderr.write(`${JSON.stringify(err.toJSON())}\n`);
      return 1;
    }
    throw err;
  }
}
