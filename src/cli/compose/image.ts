/** `berth compose image`: a bootable GPT disk (raw or qcow2) from a commit. */
import { parseArgs } from 'node:util';
import { buildDiskImage } from '../../compose/index.js';
import type { CommandContext } from '../context.js';

const SIZE_REGEXP = /^(\d+)([KMGT]?)$/i;

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      repo: { type: 'string', short: 'r' },
      rev: { type: 'string' },
      output: { type: 'string', short: 'o' },
      format: { type: 'string', default: 'raw' },
      size: { type: 'string' },
      karg: { type: 'string', multiple: true },
      stateroot: { type: 'string' },
      'remote-name': { type: 'string' },
      'remote-url': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.repo === undefined || values.output === undefined || values.rev === undefined) {
    ctx.stderr.write('error: compose image needs --repo=REPO --rev=REF --output=FILE\n');
    return 2;
  }
  if (values.format !== 'raw' && values.format !== 'qcow2') {
    ctx.stderr.write('error: --format must be raw or qcow2\n');
    return 2;
  }
  let sizeBytes: number | undefined;
  if (values.size !== undefined) {
    const m = SIZE_REGEXP.exec(values.size);
    if (!m) {
      ctx.stderr.write(`error: Bad --size ${JSON.stringify(values.size)} (e.g. 4G)\n`);
      return 2;
    }
    sizeBytes = Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  }
  if ((values['remote-name'] === undefined) !== (values['remote-url'] === undefined)) {
    ctx.stderr.write('error: --remote-name and --remote-url go together\n');
    return 2;
  }
  const start = performance.now();
  const r = await buildDiskImage({
    repo: values.repo,
    rev: values.rev,
    output: values.output,
    format: values.format,
    ...(sizeBytes !== undefined ? { sizeBytes } : {}),
    ...(values.karg !== undefined ? { kargs: values.karg } : {}),
    ...(values.stateroot !== undefined ? { stateroot: values.stateroot } : {}),
    ...(values['remote-name'] !== undefined && values['remote-url'] !== undefined ? { remote: { name: values['remote-name'], url: values['remote-url'] } } : {}),
    ...(values.seed !== undefined ? { seedDir: values.seed } : {}),
    onStep: (s) => ctx.stderr.write(`[${((performance.now() - start) / 1000).toFixed(1).padStart(6)}s] ${s}\n`),
  });
  ctx.stdout.write(`Wrote ${r.output} (${values.format}, ${r.sizeBytes} bytes) from ${r.checksum}\nRoot partition offset: ${r.rootOffset}\nKernel arguments: ${r.kargs}\n`);
  return 0;
}
