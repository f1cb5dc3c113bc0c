import { InvalidArgument, isHostError } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { bool, parseFlags } from '../container/flags.js';
import { openStore } from './common.js';

/** `berth rmi [-f] [--no-prune] IMAGE...`: "Untagged: …" / "Deleted: …" lines; errors per image, exit 1 if any. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { force: { type: 'bool', short: 'f' }, 'no-prune': { type: 'bool' } });
  if (positionals.length === 0) throw new InvalidArgument('"rmi" requires at least 1 argument', { argv });
  const store = await openStore(ctx);
  let status = 0;
  for (const ref of positionals) {
    try {
      for (const item of await store.remove(ref, { force: bool(values.force) })) {
        if (item.Untagged !== undefined) ctx.stdout.write(`Untagged: ${item.Untagged}\n`);
        if (item.Deleted !== undefined) ctx.stdout.write(`Deleted: ${item.Deleted}\n`);
      }
    } catch (err) {
      if (!isHostError(err) || positionals.length === 1) throw err;
      ctx.stderr.write(`Error response from daemon: ${err.message}\n`);
      status = 1;
    }
  }
  return status;
}
