import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { parseFlags, str } from '../container/flags.js';
import { openStore } from './common.js';

/** `berth save [-o FILE] IMAGE...`: a docker-archive in Docker >= 25's layout (OCI layout + manifest.json). */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { output: { type: 'string', short: 'o' } });
  if (positionals.length === 0) throw new InvalidArgument('"save" requires at least 1 argument', { argv });
  const output = str(values.output);
  const store = await openStore(ctx);
  if (output === undefined) {
    if (ctx.stdout.isTTY) throw new InvalidArgument('Cowardly refusing to save to a terminal. Use the -o flag or redirect', { argv });
    await store.save(positionals, ctx.stdout);
    return 0;
  }
  const tmp = `${output}.tmp-${process.pid}`;
  const pass = new PassThrough();
  const writing = pipeline(pass, createWriteStream(tmp));
  try {
    await store.save(positionals, pass);
    await writing;
    await rename(tmp, output);
  } catch (err) {
    pass.destroy();
    await writing.catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return 0;
}
