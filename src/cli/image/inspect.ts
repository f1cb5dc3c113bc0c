import { InvalidArgument, isHostError } from '../../core/index.js';
import type { ImageStore } from '../../image/index.js';
import type { CommandContext } from '../context.js';
import { parseFlags, str } from '../container/flags.js';
import { parseTemplate } from '../container/template.js';
import { openStore } from './common.js';

/**
 * Docker's image inspect objects for `refs`, for `berth image inspect` and the top-level `inspect`
 * (which tries containers first). Missing images are reported in `missing`.
 */
export async function inspectImages(store: ImageStore, refs: readonly string[]): Promise<{ found: Array<Record<string, unknown>>; missing: string[] }> {
  const found: Array<Record<string, unknown>> = [];
  const missing: string[] = [];
  for (const r of refs) {
    try {
      found.push(await store.inspect(r));
    } catch (err) {
      if (isHostError(err) && err.code === 'IMAGE_NOT_FOUND') missing.push(r);
      else throw err;
    }
  }
  return { found, missing };
}

/** Writes docker's output: a 4-space indented JSON array, or one templated line per object. */
export function writeInspect(ctx: CommandContext, objects: ReadonlyArray<Record<string, unknown>>, format?: string): void {
  if (format === undefined || format === '' || format === 'json') {
    ctx.stdout.write(`${JSON.stringify(objects, null, 4)}\n`);
    return;
  }
  const tpl = parseTemplate(format);
  for (const o of objects) ctx.stdout.write(`${tpl.render(o)}\n`);
}

/** `berth image inspect [-f FORMAT] IMAGE...` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string', short: 'f' } });
  if (positionals.length === 0) throw new InvalidArgument('"inspect" requires at least 1 argument', { argv });
  const { found, missing } = await inspectImages(await openStore(ctx), positionals);
  writeInspect(ctx, found, str(values.format));
  for (const m of missing) ctx.stderr.write(`Error: No such image: ${m}\n`);
  return missing.length > 0 ? 1 : 0;
}
