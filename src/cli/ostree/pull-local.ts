import { LooseStore, pullLocal } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

export const SPEC: VerbSpec = {
  name: 'pull-local',
  synopsis: 'SRC_REPO [REFS…]',
  summary: 'Copy data from SRC_REPO',
  options: [
    { long: 'remote', arg: 'REMOTE', help: 'Add REMOTE to refspec' },
    { long: 'disable-fsync', help: 'Do not invoke fsync()' },
    { long: 'untrusted', help: 'Verify checksums of local sources (always enabled for HTTP pulls)' },
    { long: 'depth', arg: 'DEPTH', help: 'Traverse DEPTH parents (-1=infinite) (default: 0)' },
    { long: 'commit-metadata-only', help: 'Fetch only the commit metadata' },
  ],
};

async function allHeads(dir: string, prefix: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const name = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) await allHeads(join(dir, e.name), name, out);
    else if (/^[0-9a-f]{64}$/.test((await readFile(join(dir, e.name), 'utf8')).trim())) out.push(name);
  }
}

/** `ostree pull-local SRC [REF…]`: every object is checksummed on the way in (berth always verifies). */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const [srcArg, ...refs] = args.positionals;
    if (srcArg === undefined) throw new UsageError('DESTINATION must be specified');
    const srcPath = srcArg.startsWith('file://') ? new URL(srcArg).pathname : isAbsolute(srcArg) ? srcArg : join(ctx.cwd, srcArg);
    const src = await LooseStore.open(srcPath);
    const dst = await LooseStore.open(repoPathOf(args, ctx));
    if (refs.length === 0) await allHeads(join(srcPath, 'refs', 'heads'), '', refs);
    const depth = args.get('depth');
    const remote = args.get('remote');
    const r = await pullLocal(src, dst, {
      refs,
      ...(remote !== undefined ? { remote } : {}),
      ...(depth !== undefined ? { depth: Number(depth) } : {}),
      ...(args.has('commit-metadata-only') ? { commitMetadataOnly: true } : {}),
    });
    ctx.stdout.write(`${r.metadataCopied} metadata, ${r.contentCopied} content objects imported; ${Math.round(r.seconds)} seconds\n`);
  });
}
