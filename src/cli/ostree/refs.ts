import { InvalidRef, isValidRefName, parseRefspec, Repo } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = {
  name: 'refs',
  synopsis: '[PREFIX]',
  summary: 'List refs',
  options: [
    { long: 'delete', help: 'Delete refs which match PREFIX, rather than listing them' },
    { long: 'list', help: 'Do not remove the prefix from the refs' },
    { long: 'create', arg: 'NEWREF', help: 'Create a new ref for an existing commit' },
    { long: 'force', help: 'Overwrite existing refs when creating' },
  ],
};

function matches(name: string, prefix: string): boolean {
  if (prefix.endsWith(':')) return name.startsWith(prefix);
  return name === prefix || name.startsWith(`${prefix}/`);
}

/** `ostree refs [PREFIX]`, `--create=NEWREF REV`, `--delete PREFIX…` */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const repo = await Repo.open(repoPathOf(args, ctx));
    const create = args.get('create');
    if (create !== undefined) {
      const [rev, ...extra] = args.positionals;
      if (rev === undefined) throw new UsageError('You must specify a revision when creating a new ref');
      if (extra.length > 0) throw new UsageError('Too many arguments');
      if (!isValidRefName(create.includes(':') ? create.slice(create.indexOf(':') + 1) : create)) {
        throw new InvalidRef(`Invalid refspec ${create}`, { ref: create });
      }
      parseRefspec(create);
      if (!args.has('force') && (await repo.readRef(create)) !== undefined) {
        throw new InvalidRef(`--create specified but ref ${create} already exists`, { ref: create });
      }
      const checksum = (await repo.resolveRev(rev))!;
      await repo.setRef(create, checksum);
      return;
    }
    const refs = await repo.listRefs();
    if (args.has('delete')) {
      if (args.positionals.length === 0) throw new UsageError('At least one PREFIX is required when deleting refs');
      for (const prefix of args.positionals) {
        for (const name of refs.keys()) if (matches(name, prefix)) await repo.setRef(name, undefined);
      }
      return;
    }
    const prefix = args.positionals[0];
    for (const name of refs.keys()) {
      if (prefix === undefined) ctx.stdout.write(`${name}\n`);
      else if (matches(name, prefix) && name !== prefix) {
        ctx.stdout.write(`${args.has('list') || prefix.endsWith(':') ? name : name.slice(prefix.length + 1)}\n`);
      }
    }
  });
}
