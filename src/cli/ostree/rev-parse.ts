import { Repo } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = { name: 'rev-parse', synopsis: 'REV', summary: 'Output the target of a rev', options: [] };

/** `ostree rev-parse REV…`: a ref, remote:ref, REV^, a checksum or a unique prefix. */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    if (args.positionals.length === 0) throw new UsageError('REV must be specified');
    const repo = await Repo.open(repoPathOf(args, ctx));
    for (const rev of args.positionals) ctx.stdout.write(`${await repo.resolveRev(rev)}\n`);
  });
}
