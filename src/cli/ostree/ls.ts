import { describe, listChildren, RepoPath, RepoReader, type PathEntry } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { renderLsLine, type LsOptions } from './render-ls.js';
import { parseVerbArgs, repoPath, runVerb, usageText, VerbError } from './verb-support.js';

/** `ostree ls [-R] [-d] [-C] [-X] [--nul-filenames-only] COMMIT [PATH…]` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, [
      { name: 'dironly', short: 'd', kind: 'flag' },
      { name: 'recursive', short: 'R', kind: 'flag' },
      { name: 'checksum', short: 'C', kind: 'flag' },
      { name: 'xattrs', short: 'X', kind: 'flag' },
      { name: 'nul-filenames-only', kind: 'flag' },
    ]);
    const usage = usageText('ls', 'COMMIT [PATH...]', 'List file paths');
    if (args.flags.has('help')) {
      ctx.stdout.write(usage);
      return 0;
    }
    const [rev, ...paths] = args.positionals;
    if (rev === undefined) {
      ctx.stderr.write(usage);
      throw new VerbError('An COMMIT argument is required');
    }
    const reader = await RepoReader.open(repoPath(args, ctx));
    const root = await RepoPath.forCommit(reader, await reader.resolveRev(rev));
    const options: LsOptions = { checksum: args.flags.has('checksum'), xattrs: args.flags.has('xattrs') };
    const nul = args.flags.has('nul-filenames-only');
    const print = (e: PathEntry): void => {
      ctx.stdout.write(nul ? `${e.path.path}\0` : renderLsLine(e, options));
    };
    const recurse = async (dir: RepoPath, depth: number): Promise<void> => {
      for (const child of await listChildren(reader, dir)) {
        print(child);
        if (child.info.kind === 'dir' && depth !== 1) await recurse(child.path, depth > 0 ? depth - 1 : depth);
      }
    };
    for (const arg of paths.length === 0 ? ['/'] : paths) {
      let entry: PathEntry;
      try {
        entry = await describe(reader, root.resolveRelative(arg));
      } catch (err) {
        if (err instanceof Error) throw new VerbError(`Inspecting path '${arg}': ${err.message}`);
        throw err;
      }
      print(entry);
      if (entry.info.kind === 'dir') {
        if (args.flags.has('recursive')) await recurse(entry.path, -1);
        else if (!args.flags.has('dironly')) await recurse(entry.path, 1);
      }
    }
    return 0;
  });
}
