import { readPathContent, RepoPath, RepoReader } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { parseVerbArgs, repoPath, runVerb, usageText, VerbError } from './verb-support.js';

/** `ostree cat COMMIT PATH…`: file contents, symlinks followed inside the commit. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, []);
    const usage = usageText('cat', 'COMMIT PATH...', 'Concatenate contents of files');
    if (args.flags.has('help')) {
      ctx.stdout.write(usage);
      return 0;
    }
    const [rev, ...paths] = args.positionals;
    if (rev === undefined || paths.length === 0) {
      ctx.stderr.write(usage);
      throw new VerbError('A COMMIT and at least one PATH argument are required');
    }
    const reader = await RepoReader.open(repoPath(args, ctx));
    const root = await RepoPath.forCommit(reader, await reader.resolveRev(rev));
    for (const p of paths) {
      const content = await readPathContent(reader, root.resolveRelative(p));
      await new Promise<void>((resolve, reject) => ctx.stdout.write(content, (err) => (err ? reject(err) : resolve())));
    }
    return 0;
  });
}
