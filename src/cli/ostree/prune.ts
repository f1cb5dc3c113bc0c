import { BadMaintOption, deleteCommit, parseKeepYoungerThan, pruneRepo, RepoReader } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { formatSize } from './render-size.js';
import { parseVerbArgs, repoPath, runVerb, usageText, VerbError } from './verb-support.js';

/** `ostree prune [--no-prune] [--refs-only] [--depth=N] [--keep-younger-than=DATE] [--only-branch=B] [--retain-branch-depth=B=N] [--commit-only] [--delete-commit=C]` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, [
      { name: 'no-prune', kind: 'flag' },
      { name: 'refs-only', kind: 'flag' },
      { name: 'depth', kind: 'value' },
      { name: 'delete-commit', kind: 'value' },
      { name: 'keep-younger-than', kind: 'value' },
      { name: 'static-deltas-only', kind: 'flag' },
      { name: 'retain-branch-depth', kind: 'multi' },
      { name: 'only-branch', kind: 'multi' },
      { name: 'commit-only', kind: 'flag' },
    ]);
    const usage = usageText('prune', '', 'Search for unreachable objects');
    if (args.flags.has('help')) {
      ctx.stdout.write(usage);
      return 0;
    }
    const reader = await RepoReader.open(repoPath(args, ctx));
    const noPrune = args.flags.has('no-prune');
    const commitToDelete = args.values.get('delete-commit');
    if (commitToDelete !== undefined) {
      if (noPrune) {
        ctx.stderr.write(usage);
        throw new VerbError('Cannot specify both --delete-commit and --no-prune');
      }
      await deleteCommit(reader, commitToDelete);
    } else if (args.flags.has('static-deltas-only')) {
      throw new VerbError('--static-deltas-only requires --delete-commit; see https://github.com/ostreedev/ostree/issues/1479');
    }
    const depthText = args.values.get('depth');
    const depth = depthText === undefined ? -1 : Number.parseInt(depthText, 10);
    if (Number.isNaN(depth)) throw new BadMaintOption(`Cannot parse integer value “${depthText}” for --depth`, { option: 'depth', value: depthText ?? '' });
    const kyt = args.values.get('keep-younger-than');
    let keepYoungerThan: number | undefined;
    if (kyt !== undefined) {
      keepYoungerThan = parseKeepYoungerThan(kyt, Math.floor(Date.now() / 1000));
      if (keepYoungerThan === undefined) throw new BadMaintOption(`Could not parse '${kyt}'`, { option: 'keep-younger-than', value: kyt });
    }
    let retain: Map<string, number> | undefined;
    for (const bd of args.multi.get('retain-branch-depth') ?? []) {
      const eq = bd.indexOf('=');
      if (eq < 0) throw new BadMaintOption(`Invalid value ${bd}, must specify BRANCH=DEPTH`, { option: 'retain-branch-depth', value: bd });
      const n = Number.parseInt(bd.slice(eq + 1), 10);
      if (Number.isNaN(n)) throw new BadMaintOption(`Invalid depth ${bd.slice(eq + 1)}`, { option: 'retain-branch-depth', value: bd });
      (retain ??= new Map()).set(bd.slice(0, eq), n);
    }
    const only = args.multi.get('only-branch');
    const r = await pruneRepo(reader, {
      refsOnly: args.flags.has('refs-only'), depth, noPrune, commitOnly: args.flags.has('commit-only'),
      ...(keepYoungerThan !== undefined ? { keepYoungerThan } : {}),
      ...(only !== undefined ? { onlyBranches: only } : {}),
      ...(retain !== undefined ? { retainBranchDepth: retain } : {}),
    });
    let out = args.flags.has('commit-only') ? `Total (commit only) objects: ${r.total}\n` : `Total objects: ${r.total}\n`;
    if (r.pruned === 0) out += 'No unreachable objects\n';
    else if (noPrune) out += `Would delete: ${r.pruned} objects, freeing ${formatSize(r.freedBytes)}\n`;
    else out += `Deleted ${r.pruned} objects, ${formatSize(r.freedBytes)} freed\n`;
    ctx.stdout.write(out);
    return 0;
  });
}
