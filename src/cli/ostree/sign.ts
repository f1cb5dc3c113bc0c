import { readFile } from 'node:fs/promises';
import { Repo, signing } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = {
  name: 'sign',
  synopsis: 'COMMIT KEY-ID…',
  summary: 'Sign a commit',
  options: [
    { long: 'delete', short: 'd', help: 'Delete signatures having any of the KEY-IDs' },
    { long: 'verify', help: 'Verify signatures' },
    { long: 'sign-type', short: 's', arg: 'NAME', help: 'Signature type to use (defaults to "ed25519")' },
    { long: 'keys-file', arg: 'NAME', help: 'Read key(s) from file' },
  ],
};

/** `ostree sign [--verify] [--delete] COMMIT KEY…` with ed25519 keys (secret to sign, public to verify). */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const type = args.get('sign-type') ?? 'ed25519';
    if (type !== 'ed25519') throw new signing.SignUnknownType(`Requested signature type is not implemented: ${JSON.stringify(type)}`, { type });
    const [rev, ...keyArgs] = args.positionals;
    if (rev === undefined) throw new UsageError('Need a COMMIT to sign or verify');
    const repoPath = repoPathOf(args, ctx);
    const repo = await Repo.open(repoPath);
    const commit = (await repo.resolveRev(rev))!;
    const keys = [...keyArgs];
    const keysFile = args.get('keys-file');
    if (keysFile !== undefined) keys.push(...signing.parseKeyList(await readFile(keysFile, 'utf8')));
    if (args.has('verify')) {
      const ed = keys.length > 0 ? { trusted: keys, revoked: [] } : await signing.loadEd25519Keys({ systemDirs: ['/etc/ostree', '/usr/share/ostree'] });
      const [report] = await signing.verifyCommit(repoPath, commit, { ed25519: ed });
      if (report?.state === 'valid') {
        ctx.stdout.write(`Signature verified successfully with key '${report.keys[0]}'\n`);
        return 0;
      }
      signing.assertVerified(report === undefined ? [] : [report], { object: `commit ${commit}` });
      return 1;
    }
    if (keys.length === 0) throw new UsageError('No keys given');
    if (args.has('delete')) {
      // a public or secret key: drop the signatures that verify with it
      const data = await repo.readMetadata(commit, 'commit');
      const dict = await signing.readCommitDetached(repoPath, commit);
      const publics = keys.map((k) => (Buffer.from(k, 'base64').length === 64 ? signing.ed25519PublicOf(k) : k));
      const kept = signing.signaturesIn(dict, signing.ED25519_KEY).filter((s) => signing.ed25519Match(data, s, publics) < 0);
      let out = signing.withoutKey(dict, signing.ED25519_KEY);
      for (const s of kept) out = signing.withSignature(out, signing.ED25519_KEY, s);
      await signing.writeCommitDetached(repoPath, commit, out);
      return;
    }
    await signing.signCommit(repoPath, commit, { ed25519: keys });
  });
}
