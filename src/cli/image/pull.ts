import * as path from 'node:path';
import { createReadStream } from 'node:fs';
import { InvalidArgument } from '../../core/index.js';
import { formatReference, parseReference, parsePlatform, withDefaultTag } from '../../formats/oci/index.js';
import { clientFor, pullImage } from '../../image/index.js';
import type { CommandContext } from '../context.js';
import { bool, parseFlags, str } from '../container/flags.js';
import { openStore, parseTransport, registryAccess } from './common.js';
import { ProgressPrinter } from './render.js';

/** `berth pull [-q] [--platform os/arch] [--authfile F] IMAGE|oci:DIR[:TAG]|docker-archive:FILE` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    quiet: { type: 'bool', short: 'q' },
    platform: { type: 'string' },
    authfile: { type: 'string' },
    'all-tags': { type: 'bool', short: 'a' },
    'disable-content-trust': { type: 'bool' },
  });
  if (positionals.length !== 1) throw new InvalidArgument('"pull" requires exactly 1 argument', { argv });
  const quiet = bool(values.quiet);
  const store = await openStore(ctx);
  const source = parseTransport(positionals[0]!, ctx.cwd);
  if (source.kind === 'oci') {
    const name = `localhost/${path.basename(source.dir).toLowerCase().replace(/[^a-z0-9._-]/g, '-')}:${source.tag}`;
    const img = await store.importOciLayout(source.dir, { refName: source.tag, names: [name] });
    ctx.stdout.write(quiet ? `${img.id}\n` : `Loaded image: ${name}\n`);
    return 0;
  }
  if (source.kind === 'docker-archive') {
    const loaded = await store.load(createReadStream(source.file));
    for (const l of loaded) {
      if (source.ref !== undefined) await store.tag(l.id, source.ref);
      ctx.stdout.write(quiet ? `${l.id}\n` : l.tags.length ? l.tags.map((t) => `Loaded image: ${t}\n`).join('') : `Loaded image ID: ${l.id}\n`);
    }
    return 0;
  }
  const platform = str(values.platform);
  const access = registryAccess(ctx, str(values.authfile));
  const printer = new ProgressPrinter(ctx.stdout, ctx.stdout.isTTY === true);
  const pullOne = async (reference: string): Promise<void> => {
    await pullImage(store, reference, {
      ...access,
      ...(platform ? { platform: parsePlatform(platform) } : {}),
      onProgress: (m) => {
        if (!quiet) printer.print(m);
      },
    });
  };
  const ref = parseReference(source.ref);
  if (bool(values['all-tags'])) {
    if (ref.tag !== undefined || ref.digest !== undefined) throw new InvalidArgument('Tag can not be used with --all-tags/-a', { argv });
    const client = await clientFor(ref.domain, access);
    for (const tag of (await client.listTags(ref.path)).sort()) await pullOne(formatReference({ ...ref, tag }));
    ctx.stdout.write(`${formatReference(ref)}\n`);
    return 0;
  }
  await pullOne(source.ref);
  ctx.stdout.write(`${formatReference(withDefaultTag(ref))}\n`);
  return 0;
}
