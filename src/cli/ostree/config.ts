import { InvalidArgument } from '../../core/index.js';
import { KeyFile } from '../../formats/keyfile.js';
import { Repo } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = {
  name: 'config',
  synopsis: '(get KEY|set KEY VALUE|unset KEY)',
  summary: 'Change repo configuration settings',
  options: [{ long: 'group', arg: 'GROUP', help: 'Group name' }],
};

function split(key: string, group: string | undefined): [string, string] {
  if (group !== undefined) return [group, key];
  const dot = key.lastIndexOf('.');
  if (dot <= 0) throw new InvalidArgument('Key must be of the form "sectionname.keyname"', { key });
  return [key.slice(0, dot), key.slice(dot + 1)];
}

/** `ostree config get|set|unset` on the repo's `config` keyfile (comments are kept). */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const [op, key, value, ...extra] = args.positionals;
    if (op === undefined) throw new UsageError('OPERATION must be specified');
    const repo = await Repo.open(repoPathOf(args, ctx));
    const group = args.get('group');
    const kf = KeyFile.parse(repo.config.toString());
    switch (op) {
      case 'get': {
        if (key === undefined) throw new UsageError('KEY must be specified');
        if (value !== undefined) throw new UsageError('Too many arguments given');
        const [g, k] = split(key, group);
        ctx.stdout.write(`${kf.requireString(g, k)}\n`);
        return;
      }
      case 'set': {
        if (key === undefined || value === undefined) throw new UsageError('KEY and VALUE must be specified');
        if (extra.length > 0) throw new UsageError('Too many arguments given');
        const [g, k] = split(key, group);
        kf.setString(g, k, value);
        await repo.writeConfig(kf);
        return;
      }
      case 'unset': {
        if (key === undefined) throw new UsageError('KEY must be specified');
        const [g, k] = split(key, group);
        kf.removeKey(g, k); // ostree: unsetting a missing key is not an error
        await repo.writeConfig(kf);
        return;
      }
      default:
        throw new UsageError(`Unknown operation ${op}`);
    }
  });
}
