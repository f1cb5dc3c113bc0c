/**
 * `berth db diff [FROM] [TO]` and `berth db list [REV…]`: package-level views of commits from
 * their `rpmostree.rpmdb.pkglist`, as rpm-ostree's `db` verbs. On a booted host (no --repo) the
 * defaults are the booted deployment and the pending one.
 */
import { parseArgs } from 'node:util';
import { ComposeRepo, diffPackages, diffToJson, nevra, renderDiffBlock, renderDiffLines, ComposeRevNotFound } from '../../compose/index.js';
import { Sysroot } from '../../sysroot/index.js';
import type { CommandContext } from '../context.js';

const USAGE = `Usage: berth db SUBVERB [OPTIONS…]

Subverbs:
  diff [--repo=REPO] [--format=block|diff|json] [FROM [TO]]   Package changes between two commits
  list [--repo=REPO] REV… [PATTERN…]                         Packages in commits
`;

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'diff') return diff(rest, ctx);
  if (sub === 'list') return list(rest, ctx);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    (sub === undefined ? ctx.stderr : ctx.stdout).write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  ctx.stderr.write(`error: Unknown db subverb ${JSON.stringify(sub)}\n${USAGE}`);
  return 2;
}

interface Source {
  readonly repo: ComposeRepo;
  readonly booted?: string;
  readonly pending?: string;
}

async function openSource(repoOption: string | undefined, sysrootOption: string | undefined): Promise<Source> {
  if (repoOption !== undefined) return { repo: new ComposeRepo(repoOption) };
  const sysroot = await Sysroot.load({ path: sysrootOption ?? '/' });
  const booted = sysroot.booted?.checksum;
  const pending = sysroot.staged?.checksum ?? sysroot.deployments[0]?.checksum;
  return {
    repo: new ComposeRepo(`${sysroot.path}/ostree/repo`),
    ...(booted !== undefined ? { booted } : {}),
    ...(pending !== undefined && pending !== booted ? { pending } : {}),
  };
}

async function packagesOf(repo: ComposeRepo, rev: string): Promise<{ checksum: string; packages: NonNullable<Awaited<ReturnType<ComposeRepo['readCommit']>>['packages']> }> {
  const checksum = await repo.mustResolve(rev);
  const commit = await repo.readCommit(checksum);
  if (commit.packages === undefined) {
    throw new ComposeRevNotFound(`Commit ${checksum} has no package list (rpmostree.rpmdb.pkglist)`, { rev });
  }
  return { checksum, packages: commit.packages };
}

async function diff(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      repo: { type: 'string', short: 'r' },
      sysroot: { type: 'string' },
      format: { type: 'string', short: 'F', default: 'block' },
    },
  });
  if (!['block', 'diff', 'json'].includes(values.format ?? '')) {
    ctx.stderr.write(`error: --format must be block, diff or json\n`);
    return 2;
  }
  const src = await openSource(values.repo, values.sysroot);
  let from = positionals[0] ?? src.booted;
  let to = positionals[1] ?? (positionals[0] !== undefined ? src.booted : src.pending);
  if (positionals.length === 1 && values.repo !== undefined) to = `${positionals[0]}`, from = `${positionals[0]}^`;
  if (from === undefined || to === undefined) {
    ctx.stderr.write('error: Nothing to compare: give FROM and TO (there is no booted and pending deployment)\n');
    return 2;
  }
  const a = await packagesOf(src.repo, from);
  const b = await packagesOf(src.repo, to);
  const d = diffPackages(a.packages, b.packages);
  if (values.format === 'json') {
    ctx.stdout.write(`${JSON.stringify({ 'format-version': 1, from: a.checksum, to: b.checksum, ...diffToJson(d) }, null, 2)}\n`);
  } else if (values.format === 'diff') {
    ctx.stdout.write(renderDiffLines(d));
  } else {
    ctx.stdout.write(`ostree diff commit from: ${from} (${a.checksum})\nostree diff commit to:   ${to} (${b.checksum})\n${renderDiffBlock(d)}`);
  }
  return 0;
}

async function list(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { repo: { type: 'string', short: 'r' }, sysroot: { type: 'string' } },
  });
  const src = await openSource(values.repo, values.sysroot);
  const revs: string[] = [];
  const patterns: string[] = [];
  for (const p of positionals) {
    if ((await src.repo.resolveRev(p).catch(() => undefined)) !== undefined) revs.push(p);
    else patterns.push(p);
  }
  if (revs.length === 0 && src.booted !== undefined) revs.push(src.booted);
  if (revs.length === 0) {
    ctx.stderr.write(`error: No revision given\n${USAGE}`);
    return 2;
  }
  for (const rev of revs) {
    const { checksum, packages } = await packagesOf(src.repo, rev);
    ctx.stdout.write(`ostree commit: ${rev} (${checksum})\n`);
    for (const p of packages) {
      if (patterns.length > 0 && !patterns.some((pat) => globMatch(pat, p.name))) continue;
      ctx.stdout.write(` ${nevra(p)}\n`);
    }
  }
  return 0;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}
