/** `berth compose seed`: a NoCloud seed disk (vfat labelled CIDATA, or iso9660 labelled cidata) from a seed directory. */
import { parseArgs } from 'node:util';
import { writeSeedImage } from '../../compose/index.js';
import type { CommandContext } from '../context.js';

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      format: { type: 'string', default: 'vfat' },
    },
  });
  if (positionals.length !== 1 || values.output === undefined) {
    ctx.stderr.write('error: compose seed needs --output=FILE and one seed DIR (with meta-data and user-data)\n');
    return 2;
  }
  if (values.format !== 'vfat' && values.format !== 'iso9660') {
    ctx.stderr.write('error: --format must be vfat or iso9660\n');
    return 2;
  }
  const loaded = await writeSeedImage(positionals[0]!, values.output, values.format);
  const s = loaded.seed;
  ctx.stdout.write(
    `Wrote ${values.output} (${values.format}, label ${values.format === 'vfat' ? 'CIDATA' : 'cidata'}): instance ${s.metaData.instanceId}` +
      `${s.hostname !== undefined ? `, hostname ${s.hostname}` : ''}, ${s.users.length} user(s), ${s.files.length} file(s), ${s.containers.length} container(s)\n`,
  );
  return 0;
}
