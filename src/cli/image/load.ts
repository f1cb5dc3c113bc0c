import { createReadStream } from 'node:fs';
import { InvalidArgument } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { parseFlags, str } from '../container/flags.js';
import { openStore } from './common.js';

/** `berth load [-i FILE] [-q]`: a docker-archive (any of the three layouts) or OCI archive, plain or compressed. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { input: { type: 'string', short: 'i' }, quiet: { type: 'bool', short: 'q' } });
  if (positionals.length > 0) throw new InvalidArgument('"load" accepts no arguments', { argv });
  const input = str(values.input);
  if (input === undefined && ctx.stdin.isTTY) {
    throw new InvalidArgument('Requested load from stdin, but stdin is empty', { argv });
  }
  const store = await openStore(ctx);
  const source = input !== undefined ? createReadStream(input) : (ctx.stdin as AsyncIterable<Uint8Array>);
  const loaded = await store.load(source);
  for (const l of loaded) {
    if (l.tags.length === 0) ctx.stdout.write(`Loaded image ID: ${l.id}\n`);
    for (const t of l.tags) ctx.stdout.write(`Loaded image: ${t}\n`);
  }
  // -q only silences progress, which load does not print; the "Loaded image" lines stay, as with docker
  return 0;
}
