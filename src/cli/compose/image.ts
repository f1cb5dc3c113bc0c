import type { CommandContext } from '../context.js';

export async function run(_argv: readonly string[], ctx: CommandContext): Promise<number> {
  ctx.stderr.write('error: compose image is being built (issue 6)\n');
  return 1;
}
