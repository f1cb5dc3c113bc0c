import { isAbsolute, join } from 'node:path';
import { checkout, Repo } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = {
  name: 'checkout',
  synopsis: 'COMMIT [DESTINATION]',
  summary: 'Check out a commit into a filesystem tree',
  options: [
    { long: 'user-mode', short: 'U', help: 'Do not change file ownership or initialize extended attributes' },
    { long: 'disable-cache', help: 'Do not update or use the internal repository uncompressed object cache' },
    { long: 'subpath', arg: 'PATH', help: 'Checkout sub-directory PATH' },
    { long: 'union', help: 'Keep existing directories, overwrite existing files' },
    { long: 'union-add', help: 'Keep existing files/directories, only add new' },
    { long: 'fsync', arg: 'POLICY', help: 'Specify how to invoke fsync()' },
    { long: 'require-hardlinks', short: 'H', help: 'Do not fall back to full copies if hardlinking fails' },
    { long: 'force-copy', short: 'C', help: 'Never hardlink (but may reflink if available)' },
  ],
};

/** `ostree checkout [-U] [--union|--union-add] [--subpath=P] [-H|-C] COMMIT [DESTINATION]` */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const [rev, destArg, ...extra] = args.positionals;
    if (rev === undefined) throw new UsageError('COMMIT must be specified');
    if (extra.length > 0) throw new UsageError('Too many arguments');
    if (args.has('union') && args.has('union-add')) throw new UsageError('Cannot specify both --union and --union-add');
    const dest = destArg ?? rev.split('/').at(-1)!;
    const repo = await Repo.open(repoPathOf(args, ctx));
    const subpath = args.get('subpath');
    await checkout(repo, rev, isAbsolute(dest) ? dest : join(ctx.cwd, dest), {
      userMode: args.has('user-mode'),
      union: args.has('union'),
      unionAdd: args.has('union-add'),
      requireHardlinks: args.has('require-hardlinks'),
      forceCopy: args.has('force-copy'),
      ...(subpath === undefined ? {} : { subpath }),
    });
  });
}
