import type { CommandContext } from './context.js';

// Replaced by the OSTree tour once the store lands (issue 2).
export async function run(_argv: readonly string[], ctx: CommandContext): Promise<number> {
  ctx.stdout.write('berth: the tour needs the OSTree store, which is not built yet\n');
  return 1;
}
