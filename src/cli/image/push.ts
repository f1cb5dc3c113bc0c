import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { InvalidArgument } from '../../core/index.js';
import { pushImage } from '../../image/index.js';
import type { CommandContext } from '../context.js';
import { bool, parseFlags, str } from '../container/flags.js';
import { openStore, parseTransport, registryAccess } from './common.js';
import { ProgressPrinter } from './render.js';

/**
 * `berth push [-q] [--format oci|v2s2] [--chunk-size N] IMAGE [DESTINATION]`: to the registry the
 * name points at (docker), or to `docker://REF`, `oci:DIR:TAG`, `docker-archive:FILE[:REF]` (podman).
 */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    quiet: { type: 'bool', short: 'q' },
    authfile: { type: 'string' },
    format: { type: 'string', short: 'f' },
    'chunk-size': { type: 'string' },
    'disable-content-trust': { type: 'bool' },
  });
  if (positionals.length < 1 || positionals.length > 2) throw new InvalidArgument('"push" requires 1 or 2 arguments: IMAGE [DESTINATION]', { argv });
  const [image, destination] = positionals as [string, string | undefined];
  const quiet = bool(values.quiet);
  const store = await openStore(ctx);
  const dest = parseTransport(destination ?? image, ctx.cwd);
  if (dest.kind === 'oci') {
    const d = await store.exportOciLayout(image, dest.dir, dest.tag);
    if (!quiet) ctx.stdout.write(`${d.digest}\n`);
    return 0;
  }
  if (dest.kind === 'docker-archive') {
    if (dest.ref !== undefined) await store.tag(image, dest.ref);
    const pass = new PassThrough();
    const writing = pipeline(pass, createWriteStream(dest.file));
    await store.save([dest.ref ?? image], pass);
    await writing;
    return 0;
  }
  const format = str(values.format);
  if (format !== undefined && format !== 'oci' && format !== 'v2s2') throw new InvalidArgument(`Unknown manifest format ${JSON.stringify(format)} (oci or v2s2)`, { format });
  const chunk = str(values['chunk-size']);
  const printer = new ProgressPrinter(ctx.stdout, ctx.stdout.isTTY === true);
  const result = await pushImage(store, image, {
    ...registryAccess(ctx, str(values.authfile)),
    ...(destination !== undefined ? { target: dest.ref } : {}),
    ...(format !== undefined ? { flavour: format === 'oci' ? 'oci' : 'docker' } : {}),
    ...(chunk !== undefined ? { chunkSize: Number(chunk) } : {}),
    onProgress: (m) => {
      if (!quiet) printer.print(m);
    },
  });
  if (quiet) ctx.stdout.write(`${result.repository}:${result.tag}\n`);
  return 0;
}
