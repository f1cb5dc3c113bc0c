import { Repo, signing } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = {
  name: 'gpg-sign',
  synopsis: 'COMMIT KEY-ID…',
  summary: 'Sign a commit',
  options: [
    { long: 'delete', short: 'd', help: 'Delete signatures having any of the GPG KEY-IDs' },
    { long: 'gpg-homedir', arg: 'HOMEDIR', help: 'GPG Homedir to use when looking for keyrings' },
  ],
};

/** `ostree gpg-sign COMMIT KEY-ID…`: appends binary detached signatures to `ostree.gpgsigs`. */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const [rev, ...keyIds] = args.positionals;
    if (rev === undefined) throw new UsageError('Need a commit to sign');
    if (keyIds.length === 0) throw new UsageError('Need at least one GPG KEY-ID to sign with');
    const repoPath = repoPathOf(args, ctx);
    const repo = await Repo.open(repoPath);
    const commit = (await repo.resolveRev(rev))!;
    const homedir = args.get('gpg-homedir');
    if (args.has('delete')) {
      const data = await repo.readMetadata(commit, 'commit');
      const dict = await signing.readCommitDetached(repoPath, commit);
      const sigs = signing.signaturesIn(dict, signing.GPG_KEY);
      // keep signatures whose issuer is not one of the key IDs (matched by suffix, as gpg does)
      const results = await signing.gpgVerify(data, sigs, []);
      const drop = (i: number): boolean => keyIds.some((k) => results[i]!.keyId !== '' && k.toUpperCase().endsWith(results[i]!.keyId.toUpperCase()));
      let out = signing.withoutKey(dict, signing.GPG_KEY);
      let removed = 0;
      sigs.forEach((s, i) => {
        if (drop(i)) removed++;
        else out = signing.withSignature(out, signing.GPG_KEY, s);
      });
      await signing.writeCommitDetached(repoPath, commit, out);
      ctx.stdout.write(`Signatures deleted: ${removed}\n`);
      return;
    }
    await signing.signCommit(repoPath, commit, { gpg: keyIds.map((keyId) => ({ keyId, ...(homedir !== undefined ? { homedir } : {}) })) });
  });
}
