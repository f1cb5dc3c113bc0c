import { Repo, REPO_MODES, RepoBadMode, type RepoMode } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = {
  name: 'init',
  synopsis: '',
  summary: 'Initialize a new empty repository',
  options: [
    { long: 'mode', arg: 'bare|bare-user|bare-user-only|archive', help: 'Initialize repository in given mode (bare, bare-user, bare-user-only, archive)' },
    { long: 'collection-id', arg: 'COLLECTION-ID', help: 'Globally unique ID for this repository as an collection of refs for redistribution to other repositories' },
  ],
};

/** `ostree init [--mode=MODE] [--collection-id=ID]` */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const modeText = args.get('mode') ?? 'bare';
    const mode = (modeText === 'archive-z2' ? 'archive' : modeText) as RepoMode;
    if (!REPO_MODES.includes(mode)) throw new RepoBadMode(`Invalid mode '${modeText}' in repository configuration`, { mode: modeText });
    const collectionId = args.get('collection-id');
    await Repo.init(repoPathOf(args, ctx), collectionId === undefined ? { mode } : { mode, collectionId });
  });
}
