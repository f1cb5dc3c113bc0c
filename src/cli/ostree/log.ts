import { commitHistory, contentChecksumOf, RepoReader } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { renderCommitHuman, renderCommitRaw } from './render-commit.js';
import { parseVerbArgs, repoPath, runVerb, usageText, VerbError } from './verb-support.js';

/** `ostree log [--raw] REV`: the commit and its parents, newest first. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, [{ name: 'raw', kind: 'flag' }]);
    if (args.flags.has('help')) {
      ctx.stdout.write(usageText('log', 'REV', 'Show log starting at commit or ref'));
      return 0;
    }
    const rev = args.positionals[0];
    if (rev === undefined) {
      ctx.stderr.write(usageText('log', 'REV', 'Show log starting at commit or ref'));
      throw new VerbError('A rev argument is required');
    }
    const reader = await RepoReader.open(repoPath(args, ctx));
    const checksum = await reader.resolveRev(rev);
    for await (const entry of commitHistory(reader, checksum)) {
      if (entry.commit === undefined || entry.bytes === undefined) {
        ctx.stdout.write('<< History beyond this commit not fetched >>\n');
        break;
      }
      ctx.stdout.write(args.flags.has('raw')
        ? renderCommitRaw(entry.checksum, entry.bytes)
        : renderCommitHuman(entry.checksum, entry.commit, contentChecksumOf(entry.commit)));
    }
    return 0;
  });
}
