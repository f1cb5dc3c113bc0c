import { fsckRepo, RepoReader } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { renderFsckEvent, progressLimiter } from './render-fsck.js';
import { parseVerbArgs, repoPath, runVerb } from './verb-support.js';

/** `ostree fsck [--quiet] [--all] [--delete] [--add-tombstones] [--verify-bindings] [--verify-back-refs]` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, [
      { name: 'quiet', short: 'q', kind: 'flag' },
      { name: 'all', short: 'a', kind: 'flag' },
      { name: 'delete', kind: 'flag' },
      { name: 'add-tombstones', kind: 'flag' },
      { name: 'verify-bindings', kind: 'flag' },
      { name: 'verify-back-refs', kind: 'flag' },
    ]);
    const reader = await RepoReader.open(repoPath(args, ctx));
    const quiet = args.flags.has('quiet');
    const showProgress = progressLimiter(() => performance.now());
    await fsckRepo(reader, { all: args.flags.has('all'), delete: args.flags.has('delete') }, (e) => {
      if (e.type === 'progress' && !showProgress(e.done, e.total)) return;
      const out = renderFsckEvent(e, { quiet });
      if (out !== undefined) (out[0] === 'stdout' ? ctx.stdout : ctx.stderr).write(out[1]);
    });
    return 0;
  });
}
