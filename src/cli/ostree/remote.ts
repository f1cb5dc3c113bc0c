import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSummary, decodeVardict, bswap64 } from '../../formats/ostree/index.js';
import { vardictGet, type Variant } from '../../formats/gvariant/index.js';
import { addRemote, deleteRemote, Fetcher, getRemote, listRemotes, remoteVerification, signing, type RemoteLocation } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type Parsed, type VerbSpec } from './goption.js';

const SUBCOMMANDS = 'add, delete, list, show-url, refs, summary, gpg-import';

export const SPEC: VerbSpec = {
  name: 'remote',
  synopsis: 'COMMAND',
  summary: `Remote commands that may involve internet access (${SUBCOMMANDS})`,
  options: [
    { long: 'set', arg: 'KEY=VALUE', help: 'add: set config option KEY=VALUE for remote' },
    { long: 'no-gpg-verify', help: 'add: disable GPG verification' },
    { long: 'no-sign-verify', help: 'add: disable signature verification' },
    { long: 'sign-verify', arg: 'TYPE=[inline|file]:PUBKEY', help: 'add: verify signatures using public key' },
    { long: 'if-not-exists', help: 'add: do nothing if the provided remote exists' },
    { long: 'force', help: 'add: replace the provided remote if it exists' },
    { long: 'gpg-import', arg: 'FILE', help: 'add: import GPG key from FILE' },
    { long: 'collection-id', arg: 'COLLECTION-ID', help: 'add: globally unique ID for this repository' },
    { long: 'if-exists', help: 'delete: do nothing if the provided remote does not exist' },
    { long: 'show-urls', short: 'u', help: 'list: show remote URLs in list' },
    { long: 'keyring', short: 'k', arg: 'FILE', help: 'gpg-import: import keys from a keyring file' },
    { long: 'stdin', help: 'gpg-import: import keys from standard input' },
    { long: 'raw', help: 'summary: show raw variant data' },
    { long: 'remotes-dir', arg: 'DIR', help: 'remotes.d directory to read (default /etc/ostree/remotes.d for system repos)' },
  ],
};

function location(args: Parsed, ctx: CommandContext): RemoteLocation {
  const dir = args.get('remotes-dir');
  return { repo: repoPathOf(args, ctx), ...(dir !== undefined ? { remotesDir: dir } : {}) };
}

function isoTime(beSeconds: bigint): string {
  return new Date(Number(bswap64(beSeconds)) * 1000).toISOString().replace('.000Z', '+00:00').replace('T', ' ');
}

/** `ostree remote add|delete|list|show-url|refs|summary|gpg-import` */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const [sub, ...rest] = args.positionals;
    const loc = location(args, ctx);
    switch (sub) {
      case 'add': {
        const [name, url, ...branches] = rest;
        if (name === undefined || url === undefined) throw new UsageError('NAME and URL must be specified');
        const set = args.all('set').map((kv) => {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new UsageError(`Invalid --set ${JSON.stringify(kv)}: expected KEY=VALUE`);
          return [kv.slice(0, eq), kv.slice(eq + 1)] as const;
        });
        const collectionId = args.get('collection-id');
        const added = await addRemote(loc, name, url, {
          set,
          branches,
          noGpgVerify: args.has('no-gpg-verify'),
          noSignVerify: args.has('no-sign-verify'),
          ifNotExists: args.has('if-not-exists'),
          force: args.has('force'),
          signVerify: args.all('sign-verify'),
          ...(collectionId !== undefined ? { collectionId } : {}),
        });
        const key = args.get('gpg-import');
        if (added && key !== undefined) {
          const n = await signing.gpgImportToKeyring(join(loc.repo, `${name}.trustedkeys.gpg`), [key]);
          ctx.stdout.write(`Imported ${n} GPG key${n === 1 ? '' : 's'} to remote "${name}"\n`);
        }
        return;
      }
      case 'delete': {
        const [name] = rest;
        if (name === undefined) throw new UsageError('NAME must be specified');
        await deleteRemote(loc, name, { ifExists: args.has('if-exists') });
        return;
      }
      case 'list': {
        const remotes = await listRemotes(loc);
        const width = Math.max(0, ...remotes.map((r) => r.name.length));
        for (const r of remotes) ctx.stdout.write(args.has('show-urls') ? `${r.name.padEnd(width)}  ${r.url}\n` : `${r.name}\n`);
        return;
      }
      case 'show-url': {
        const [name] = rest;
        if (name === undefined) throw new UsageError('NAME must be specified');
        ctx.stdout.write(`${(await getRemote(loc, name)).url}\n`);
        return;
      }
      case 'refs':
      case 'summary': {
        const [name] = rest;
        if (name === undefined) throw new UsageError('NAME must be specified');
        const remote = await getRemote(loc, name);
        const fetcher = new Fetcher(remote.url);
        try {
          const bytes = (await fetcher.get('summary'))!;
          const summary = decodeSummary(bytes);
          if (sub === 'refs') {
            for (const r of summary.refs) ctx.stdout.write(`${name}:${r.name}\n`);
            return;
          }
          const sig = await fetcher.get('summary.sig', { optional: true });
          const out: string[] = [];
          for (const r of summary.refs) {
            out.push(`* ${r.name}`, `    Latest Commit (${r.commitSize} bytes):`, `      ${r.checksum}`);
            const version = vardictGet(r.metadata, 'ostree.commit.version');
            if (version !== undefined) out.push(`    Version (ostree.commit.version): ${String(version.value)}`);
            const ts = vardictGet(r.metadata, 'ostree.commit.timestamp');
            if (ts !== undefined) out.push(`    Timestamp (ostree.commit.timestamp): ${isoTime(ts.value as bigint)}`);
            out.push('');
          }
          for (const [k, v] of summary.metadata) out.push(renderMeta(k, v));
          if (sig !== undefined) {
            const verify = await remoteVerification(loc, remote, { overrideGpgVerify: true });
            const policy = { ...(verify.commit.gpg !== undefined ? { gpg: verify.commit.gpg } : {}), ...(verify.summary.ed25519 !== undefined ? { ed25519: verify.summary.ed25519 } : {}) };
            const reports = await signing.verifyDetached(bytes, decodeVardict(sig), policy);
            out.push('');
            for (const r of reports) {
              if (r.signatures === 0) continue;
              out.push(`Found ${r.signatures} ${r.type === 'gpg' ? 'GPG' : 'ed25519'} signature${r.signatures === 1 ? '' : 's'} on the summary: ${r.state}${r.keys.length > 0 ? ` (key ${r.keys.join(', ')})` : ''}`);
            }
          }
          ctx.stdout.write(`${out.join('\n')}\n`);
        } finally {
          fetcher.close();
        }
        return;
      }
      case 'gpg-import': {
        const [name] = rest;
        if (name === undefined) throw new UsageError('NAME must be specified');
        await getRemote(loc, name);
        const files = args.all('keyring');
        if (args.has('stdin')) {
          const dir = await mkdtemp(join(tmpdir(), 'berth-keys-'));
          const chunks: Buffer[] = [];
          for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Uint8Array));
          await writeFile(join(dir, 'stdin.asc'), Buffer.concat(chunks));
          try {
            const n = await signing.gpgImportToKeyring(join(loc.repo, `${name}.trustedkeys.gpg`), [...files, join(dir, 'stdin.asc')]);
            ctx.stdout.write(`Imported ${n} GPG key${n === 1 ? '' : 's'} to remote "${name}"\n`);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
          return;
        }
        if (files.length === 0) throw new UsageError('Give keys with --keyring=FILE or --stdin');
        const n = await signing.gpgImportToKeyring(join(loc.repo, `${name}.trustedkeys.gpg`), files);
        ctx.stdout.write(`Imported ${n} GPG key${n === 1 ? '' : 's'} to remote "${name}"\n`);
        return;
      }
      default:
        throw new UsageError(sub === undefined ? 'No command specified' : `Unknown command '${sub}'; expected one of ${SUBCOMMANDS}`);
    }
  });
}

function renderMeta(key: string, v: Variant): string {
  if (key === 'ostree.summary.last-modified' || key === 'ostree.summary.expires') return `Last-Modified (${key}): ${isoTime(v.value as bigint)}`;
  if (key === 'ostree.static-deltas') {
    const entries = v.value as unknown as ReadonlyArray<readonly [string, Variant]>;
    return `Static Deltas (${key}): {${entries.map(([n, d]) => `'${n}': ${Buffer.from(d.value as Uint8Array).toString('hex')}`).join(', ')}}`;
  }
  return `${key}: ${typeof v.value === 'object' ? JSON.stringify(v.value, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) : String(v.value)}`;
}
