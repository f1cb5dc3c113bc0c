import { InvalidArgument } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { parseFlags } from '../container/flags.js';
import { openStore } from './common.js';

/** `berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length !== 2) throw new InvalidArgument('"tag" requires exactly 2 arguments', { argv });
  await (await openStore(ctx)).tag(positionals[0]!, positionals[1]!);
  return 0;
}
