import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../../core/index.js';
import { decodeGVariant, parseGVariantText, type Variant } from '../../formats/gvariant/index.js';
import { decodeSummary, SUMMARY_TYPE } from '../../formats/ostree/index.js';
import { regenerateSummary, RepoReader } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { renderSummaryHuman } from './render-summary.js';
import { printVariant } from './render-variant.js';
import { parseVerbArgs, repoPath, runVerb, usageText, VerbError } from './verb-support.js';

/** `ostree summary -u [-m KEY=VALUE…] [--sign=KEY --sign-type=ed25519] [--gpg-sign=ID --gpg-homedir=D] | -v | --raw` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, [
      { name: 'update', short: 'u', kind: 'flag' },
      { name: 'view', short: 'v', kind: 'flag' },
      { name: 'raw', kind: 'flag' },
      { name: 'gpg-sign', kind: 'multi' },
      { name: 'gpg-homedir', kind: 'value' },
      { name: 'sign', kind: 'multi' },
      { name: 'sign-type', kind: 'value' },
      { name: 'add-metadata', short: 'm', kind: 'multi' },
      { name: 'verbose', kind: 'flag' },
    ]);
    if (args.flags.has('help')) {
      ctx.stdout.write(usageText('summary', '', 'Manage summary metadata'));
      return 0;
    }
    const reader = await RepoReader.open(repoPath(args, ctx));
    if (args.flags.has('update')) {
      const metadata: Array<readonly [string, Variant]> = [];
      for (const kv of args.multi.get('add-metadata') ?? []) {
        const eq = kv.indexOf('=');
        if (eq < 0) throw new VerbError(`Missing '=' in KEY=VALUE metadata '${kv}'`);
        const value = kv.slice(eq + 1);
        try {
          metadata.push([kv.slice(0, eq), parseGVariantText(value)]);
        } catch (err) {
          throw new VerbError(`Error parsing variant ‘${value}’: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const signType = args.values.get('sign-type') ?? 'ed25519';
      const keys = args.multi.get('sign') ?? [];
      if (keys.length > 0 && signType !== 'ed25519') throw new VerbError(`Requested signature type is not implemented`);
      const gpgHome = args.values.get('gpg-homedir');
      await regenerateSummary(reader, {
        metadata,
        sign: {
          ed25519: keys,
          gpg: (args.multi.get('gpg-sign') ?? []).map((keyId) => (gpgHome === undefined ? { keyId } : { keyId, homedir: gpgHome })),
        },
      });
      return 0;
    }
    if (args.flags.has('view') || args.flags.has('raw')) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(join(reader.path, 'summary'));
      } catch (err) {
        if (isErrno(err, 'ENOENT')) throw new VerbError('openat(summary): No such file or directory');
        throw err;
      }
      if (args.flags.has('raw')) {
        ctx.stdout.write(`${printVariant(SUMMARY_TYPE, decodeGVariant(SUMMARY_TYPE, bytes), { annotate: true, byteswap: true })}\n`);
      } else {
        ctx.stdout.write(renderSummaryHuman(decodeSummary(bytes), -new Date().getTimezoneOffset()));
      }
      return 0;
    }
    throw new VerbError('No option specified; use -u to update summary');
  });
}
