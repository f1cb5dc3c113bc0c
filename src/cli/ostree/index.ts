import type { CommandContext, CommandHandler } from '../context.js';
import { berthVersion } from '../version.js';

/**
 * `berth ostree [--repo=R] VERB …`: a drop-in for the `ostree` command.
 *
 * HOW TO ADD A VERB: create `src/cli/ostree/<verb>.ts` exporting
 * `run(argv: readonly string[], ctx: CommandContext): Promise<number>` (use goption.ts's
 * runVerb for ostree-style options and errors), then add ONE line to VERBS below:
 *   ['<verb>', { summary: '…', load: () => import('./<verb>.js') }],
 * Modules load lazily, so a verb costs nothing until it is used. Lines whose module is not
 * built yet use `later('<verb>')`: the verb is listed and says so instead of crashing.
 */
interface VerbEntry {
  readonly summary: string;
  readonly load: () => Promise<{ run: CommandHandler }>;
}

/** For verbs planned in another module that may not exist yet: resolved at run time. */
function later(file: string, exportName = 'run'): () => Promise<{ run: CommandHandler }> {
  return async () => {
    const spec: string = file;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(spec)) as Record<string, unknown>;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(file.replace(/^(\.\.?\/)+/, ''))) return { run: notBuilt(file) };
      throw err;
    }
    return { run: mod[exportName] as CommandHandler };
  };
}

function notBuilt(file: string): CommandHandler {
  return async (_argv, ctx) => {
    ctx.stderr.write(`error: This berth build does not include ${file} yet\n`);
    return 1;
  };
}

export const VERBS: ReadonlyMap<string, VerbEntry> = new Map<string, VerbEntry>([
  ['admin', { summary: 'Commands for managing a host system booted with ostree', load: later('../admin/index.js', 'runAdmin') }],
  ['cat', { summary: 'Concatenate contents of files', load: () => import('./cat.js') }],
  ['checkout', { summary: 'Check out a commit into a filesystem tree', load: () => import('./checkout.js') }],
  ['commit', { summary: 'Commit a new revision', load: () => import('./commit.js') }],
  ['config', { summary: 'Change repo configuration settings', load: () => import('./config.js') }],
  ['diff', { summary: 'Compare directory TARGETDIR against revision REV', load: () => import('./diff.js') }],
  ['fsck', { summary: 'Check the repository for consistency', load: () => import('./fsck.js') }],
  ['gpg-sign', { summary: 'Sign a commit', load: later('./gpg-sign.js') }],
  ['init', { summary: 'Initialize a new empty repository', load: () => import('./init.js') }],
  ['log', { summary: 'Show log starting at commit or ref', load: () => import('./log.js') }],
  ['ls', { summary: 'List file paths', load: () => import('./ls.js') }],
  ['prune', { summary: 'Search for unreachable objects', load: () => import('./prune.js') }],
  ['pull-local', { summary: 'Copy data from SRC_REPO', load: later('./pull-local.js') }],
  ['pull', { summary: 'Download data from remote repository', load: later('./pull.js') }],
  ['refs', { summary: 'List refs', load: () => import('./refs.js') }],
  ['remote', { summary: 'Remote commands that may involve internet access', load: later('./remote.js') }],
  ['rev-parse', { summary: 'Output the target of a rev', load: () => import('./rev-parse.js') }],
  ['sign', { summary: 'Sign a commit', load: later('./sign.js') }],
  ['show', { summary: 'Output a metadata object', load: () => import('./show.js') }],
  ['static-delta', { summary: 'Static delta related commands', load: later('./static-delta.js') }],
  ['summary', { summary: 'Manage summary metadata', load: () => import('./summary.js') }],
]);

function usage(): string {
  const width = Math.max(...[...VERBS.keys()].map((k) => k.length)) + 4;
  return [
    'Usage:',
    '  ostree [OPTION…] COMMAND',
    '',
    'Builtin Commands:',
    ...[...VERBS].map(([name, v]) => `  ${name.padEnd(width)}${v.summary}`),
    '',
    'Help Options:',
    `  ${'-h, --help'.padEnd(width)}Show help options`,
    '',
    'Application Options:',
    `  ${'-v, --verbose'.padEnd(width)}Print debug information during command processing`,
    `  ${'--version'.padEnd(width)}Print version information and exit`,
    '',
  ].join('\n');
}

/** What `ostree --version` prints, so scripts that parse it keep working. */
export function versionText(): string {
  return `libostree:\n Version: '2022.7'\n Git: berth ${berthVersion()}\n Features:\n  - berth\n`;
}

/** Options given before the verb (`ostree --repo=R refs`) are passed on after it, as ostree does. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const before: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') break;
    before.push(a);
    if (a === '--repo' && i + 1 < argv.length) before.push(argv[++i]!);
  }
  const verb = argv[i];
  if (verb === undefined) {
    if (before.includes('--version')) {
      ctx.stdout.write(versionText());
      return 0;
    }
    if (before.includes('--help') || before.includes('-h')) {
      ctx.stdout.write(usage());
      return 0;
    }
    ctx.stderr.write(`${usage()}\nerror: No command specified\n`);
    return 1;
  }
  const entry = VERBS.get(verb);
  if (entry === undefined) {
    ctx.stderr.write(`${usage()}\nerror: Unknown command '${verb}'\n`);
    return 1;
  }
  const rest = [...argv.slice(i + 1), ...before];
  if (rest.includes('--version') && verb !== 'admin') {
    ctx.stdout.write(versionText());
    return 0;
  }
  return (await entry.load()).run(rest, ctx);
}
