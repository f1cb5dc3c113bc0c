import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parseGVariantText, type Variant } from '../../formats/gvariant/index.js';
import { BadCommitOption, commitTree, Repo, type TreeSource } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';

export const SPEC: VerbSpec = {
  name: 'commit',
  synopsis: '[PATH]',
  summary: 'Commit a new revision',
  options: [
    { long: 'parent', arg: 'REF', help: 'Parent commit checksum, or "none"' },
    { long: 'subject', short: 's', arg: 'SUBJECT', help: 'One line subject' },
    { long: 'body', short: 'm', arg: 'BODY', help: 'Full description' },
    { long: 'body-file', short: 'F', arg: 'FILE', help: 'Commit message from FILE path' },
    { long: 'branch', short: 'b', arg: 'BRANCH', help: 'Branch' },
    { long: 'orphan', help: 'Create a commit without writing a ref' },
    { long: 'no-bindings', help: 'Do not write any ref bindings' },
    { long: 'bind-ref', arg: 'REF', help: 'Add a ref to ref binding commit metadata' },
    { long: 'tree', arg: 'dir=PATH or tar=TARFILE or ref=COMMIT', help: 'Overlay the given argument as a tree' },
    { long: 'add-metadata-string', arg: 'KEY=VALUE', help: 'Add a key/value pair to metadata' },
    { long: 'add-metadata', arg: 'KEY=VALUE', help: 'Add a key/value pair to metadata, where the KEY is a string, and VALUE is g_variant_parse() formatted' },
    { long: 'owner-uid', arg: 'UID', help: 'Set file ownership user id' },
    { long: 'owner-gid', arg: 'GID', help: 'Set file ownership group id' },
    { long: 'canonical-permissions', help: 'Canonicalize permissions in the same way bare-user does for hardlinked files' },
    { long: 'no-xattrs', help: 'Do not import extended attributes' },
    { long: 'link-checkout-speedup', help: 'Optimize for commits of trees composed of hardlinks into the repository' },
    { long: 'skip-if-unchanged', help: 'If the contents are unchanged from previous commit, do nothing' },
    { long: 'timestamp', arg: 'TIMESTAMP', help: 'Override the timestamp of the commit' },
    { long: 'fsync', arg: 'POLICY', help: 'Specify how to invoke fsync()' },
    { long: 'tar-autocreate-parents', help: 'When loading tar archives, automatically create parent directories as needed' },
  ],
};

/** ostree's --timestamp: `@SECONDS` or a date; a date without a zone is UTC here. */
export function parseTimestamp(text: string): number {
  if (/^@-?\d+$/.test(text)) return Number(text.slice(1));
  const normal = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(text) ? `${text.replace(' ', 'T')}${text.length > 10 ? '' : 'T00:00:00'}Z` : text;
  const ms = Date.parse(normal);
  if (Number.isNaN(ms)) throw new BadCommitOption(`Could not parse '${text}'`, { option: 'timestamp' });
  return Math.floor(ms / 1000);
}

function keyValue(text: string, option: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new BadCommitOption(`Missing '=' in KEY=VALUE for --${option}`, { option });
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** `ostree commit -b BRANCH [--tree=…]… [PATH]` — prints the new commit's checksum. */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const branch = args.get('branch');
    const orphan = args.has('orphan');
    if (branch === undefined && !orphan) throw new BadCommitOption('A branch must be specified with --branch, or use --orphan', { option: 'branch' });
    const abs = (p: string): string => (isAbsolute(p) ? p : join(ctx.cwd, p));
    const trees: TreeSource[] = args.all('tree').map((t) => {
      const eq = t.indexOf('=');
      const kind = t.slice(0, eq);
      const value = t.slice(eq + 1);
      if (eq < 0 || value === '') throw new BadCommitOption(`Missing type in tree specification '${t}'`, { option: 'tree' });
      if (kind === 'dir') return { kind: 'dir', path: abs(value) };
      if (kind === 'tar') return { kind: 'tar', path: abs(value) };
      if (kind === 'ref') return { kind: 'ref', rev: value };
      throw new BadCommitOption(`Invalid tree type specification '${kind}'`, { option: 'tree' });
    });
    if (args.positionals.length > 1) throw new UsageError('Too many arguments');
    if (args.positionals.length === 1) trees.push({ kind: 'dir', path: abs(args.positionals[0]!) });
    if (trees.length === 0) trees.push({ kind: 'dir', path: ctx.cwd });

    const metadata: Array<readonly [string, Variant]> = [];
    for (const kv of args.all('add-metadata-string')) {
      const [k, v] = keyValue(kv, 'add-metadata-string');
      metadata.push([k, { type: 's', value: v }]);
    }
    for (const kv of args.all('add-metadata')) {
      const [k, v] = keyValue(kv, 'add-metadata');
      metadata.push([k, parseGVariantText(v)]);
    }
    const intOpt = (name: string): number | undefined => {
      const v = args.get(name);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new BadCommitOption(`Invalid --${name} ${JSON.stringify(v)}`, { option: name });
      return Number(v);
    };
    let body = args.get('body');
    const bodyFile = args.get('body-file');
    if (bodyFile !== undefined) body = await readFile(abs(bodyFile), 'utf8');

    const repo = await Repo.open(repoPathOf(args, ctx));
    const fsync = args.get('fsync');
    if (fsync !== undefined) repo.setFsync(!['false', 'no', '0', 'none'].includes(fsync));
    const timestamp = args.get('timestamp');
    const ownerUid = intOpt('owner-uid');
    const ownerGid = intOpt('owner-gid');
    const subject = args.get('subject');
    const parent = args.get('parent');
    const result = await commitTree(repo, {
      trees,
      metadata,
      ...(branch === undefined ? {} : { branch }),
      ...(subject === undefined ? {} : { subject }),
      ...(body === undefined ? {} : { body }),
      ...(parent === undefined ? {} : { parent }),
      ...(timestamp === undefined ? {} : { timestamp: parseTimestamp(timestamp) }),
      ...(ownerUid === undefined ? {} : { ownerUid }),
      ...(ownerGid === undefined ? {} : { ownerGid }),
      noXattrs: args.has('no-xattrs'),
      canonicalPermissions: args.has('canonical-permissions'),
      linkCheckoutSpeedup: args.has('link-checkout-speedup'),
      orphan,
      noBindings: args.has('no-bindings'),
      bindRefs: args.all('bind-ref'),
      skipIfUnchanged: args.has('skip-if-unchanged'),
    });
    ctx.stdout.write(`${result.checksum}\n`);
  });
}
