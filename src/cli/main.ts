import { EXIT_CODE, isHostError } from '../core/index.js';
import { COMMANDS } from './commands.js';
import type { CommandContext } from './context.js';

function usage(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((k) => k.length)) + 2;
  const rows = [...COMMANDS].map(([name, e]) => `  ${name.padEnd(width)}${e.summary}`);
  return `Usage: berth COMMAND [ARGS…]\n\nCommands:\n${rows.join('\n')}\n`;
}

/** The only place that turns errors into messages and exit codes. */
export async function main(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? ctx.stderr : ctx.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') return (await (await COMMANDS.get('version')!.load()).run([], ctx));
  const entry = COMMANDS.get(name);
  if (entry === undefined) {
    ctx.stderr.write(`error: Unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  try {
    return await (await entry.load()).run(rest, ctx);
  } catch (err) {
    if (isHostError(err)) {
      ctx.stderr.write(`error: ${err.message}\n`);
      if (ctx.env.BERTH_DEBUG) ctx.stderr.write(`${JSON.stringify(err.toJSON())}\n`);
      return EXIT_CODE[err.kind];
    }
    if (err instanceof TypeError && typeof (err as { code?: unknown }).code === 'string' &&
        String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      ctx.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err; // a bug: crash with a stack trace
  }
}
