import { isAbsolute, join } from 'node:path';
import { commitDiffNode, diffStats, diffTrees, localDiffNode, RepoPath, RepoReader, type DiffNode } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { formatSize } from './render-size.js';
import { parseVerbArgs, repoPath, runVerb, usageText, VerbError } from './verb-support.js';

/** `ostree diff [--stats] [--fs-diff] [--no-xattrs] [--owner-uid=U] [--owner-gid=G] REV_OR_DIR [REV_OR_DIR]` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, [
      { name: 'stats', kind: 'flag' },
      { name: 'fs-diff', kind: 'flag' },
      { name: 'no-xattrs', kind: 'flag' },
      { name: 'owner-uid', kind: 'value' },
      { name: 'owner-gid', kind: 'value' },
    ]);
    const usage = usageText('diff', 'REV_OR_DIR REV_OR_DIR', 'Compare directory TARGETDIR against revision REV');
    if (args.flags.has('help')) {
      ctx.stdout.write(usage);
      return 0;
    }
    if (args.positionals.length === 0) {
      ctx.stderr.write(`${usage}\n`);
      throw new VerbError('REV must be specified');
    }
    const [first, second] = args.positionals as [string, string | undefined];
    const src = second === undefined ? `${first}^` : first;
    const target = second ?? first;
    const stats = args.flags.has('stats');
    const fsDiff = args.flags.has('fs-diff') || !stats;
    const reader = await RepoReader.open(repoPath(args, ctx));
    const ignoreXattrs = args.flags.has('no-xattrs') || reader.mode === 'bare-user-only' ||
      reader.config.getBoolean('core', 'disable-xattrs') === true;
    const uid = args.values.get('owner-uid');
    const gid = args.values.get('owner-gid');
    const side = async (arg: string): Promise<DiffNode> => {
      if (arg.startsWith('/') || arg.startsWith('./')) {
        return localDiffNode(isAbsolute(arg) ? arg : join(ctx.cwd, arg), {
          ignoreXattrs,
          ...(uid !== undefined ? { ownerUid: Number(uid) } : {}),
          ...(gid !== undefined ? { ownerGid: Number(gid) } : {}),
        });
      }
      const commit = await reader.loadCommit(await reader.resolveRev(arg));
      return commitDiffNode(reader, RepoPath.root(commit.rootTree, commit.rootMeta), commit.rootTree, commit.rootMeta);
    };
    if (fsDiff) {
      const a = await side(src);
      const b = await side(target);
      const d = await diffTrees(a, b);
      let out = '';
      for (const m of d.modified) out += `M    ${m.display}\n`;
      for (const r of d.removed) out += `D    ${r.display}\n`;
      for (const x of d.added) out += `A    ${x.display}\n`;
      ctx.stdout.write(out);
    }
    if (stats) {
      const s = await diffStats(reader, await reader.resolveRev(src), await reader.resolveRev(target));
      ctx.stdout.write(`[A] Object Count: ${s.a}\n[B] Object Count: ${s.b}\nCommon Object Count: ${s.common}\nCommon Object Size: ${formatSize(s.commonBytes)}\n`);
    }
    return 0;
  });
}
