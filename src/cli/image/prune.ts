import { InvalidArgument } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { bool, list, parseFlags } from '../container/flags.js';
import { openStore } from './common.js';
import { humanSize } from './render.js';

/** `berth image prune [-a] [-f]` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { all: { type: 'bool', short: 'a' }, force: { type: 'bool', short: 'f' }, filter: { type: 'list' } });
  if (positionals.length > 0) throw new InvalidArgument('"prune" accepts no arguments', { argv });
  if (list(values.filter).length > 0) throw new InvalidArgument('Prune filters are not supported yet', { argv });
  const all = bool(values.all);
  if (!bool(values.force)) {
    ctx.stdout.write(
      all
        ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] '
        : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ',
    );
    let answer = '';
    for await (const chunk of ctx.stdin as AsyncIterable<Uint8Array>) {
      answer += Buffer.from(chunk).toString();
      if (answer.includes('\n')) break;
    }
    if (!/^y(es)?$/i.test(answer.trim())) return 0;
  }
  const { deleted, spaceReclaimed } = await (await openStore(ctx)).prune({ all });
  if (deleted.length > 0) {
    ctx.stdout.write('Deleted Images:\n');
    for (const d of deleted) ctx.stdout.write(d.Untagged !== undefined ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
    ctx.stdout.write('\n');
  }
  ctx.stdout.write(`Total reclaimed space: ${humanSize(spaceReclaimed)}\n`);
  return 0;
}
