import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

import { applyStaticDelta, deleteStaticDelta, generateStaticDelta, listStaticDeltas, loadDeltaFromPath, LooseStore, readStaticDelta, Repo, signing, staticDeltaDigests, writeDeltaIndexes } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';
import { formatBytes } from './pull-progress.js';

const SUBCOMMANDS = 'list, show, delete, generate, apply-offline, reindex';

export const SPEC: VerbSpec = {
  name: 'static-delta',
  synopsis: 'COMMAND',
  summary: `Static delta related commands (${SUBCOMMANDS})`,
  options: [
    { long: 'from', arg: 'REV', help: 'generate: create delta from revision REV' },
    { long: 'empty', help: 'generate: create delta from scratch' },
    { long: 'to', arg: 'REV', help: 'generate: create delta to revision REV' },
    { long: 'inline', help: 'generate: inline delta parts into main delta' },
    { long: 'max-chunk-size', arg: 'MEGABYTES', help: 'generate: maximum size for delta chunks in megabytes (default 32)' },
    { long: 'min-fallback-size', arg: 'MEGABYTES', help: 'generate: minimum size in megabytes for a file to be a fallback (0 disables, default 4)' },
    { long: 'disable-bsdiff', help: 'generate: disable use of bsdiff' },
    { long: 'filename', arg: 'FILENAME', help: 'generate: write the delta content to FILENAME' },
    { long: 'xz-preset', arg: 'N', help: 'generate: xz compression preset 0-9 (default 9)' },
    { long: 'sign', arg: 'KEY_ID', help: 'generate: sign the delta superblock with this (secret) key' },
    { long: 'sign-type', arg: 'NAME', help: 'generate: signature type to use (defaults to "ed25519")' },
    { long: 'keys-file', arg: 'NAME', help: 'generate: read signing key(s) from file' },
  ],
};

/** `ostree static-delta list|show|delete|generate|apply-offline|reindex` */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const [sub, ...rest] = args.positionals;
    const repoPath = repoPathOf(args, ctx);
    const store = await LooseStore.open(repoPath);
    switch (sub) {
      case 'list': {
        const names = await listStaticDeltas(store);
        if (names.length === 0) ctx.stdout.write('(No static deltas)\n');
        for (const n of names) ctx.stdout.write(`${n}\n`);
        return;
      }
      case 'show': {
        const [name] = rest;
        if (name === undefined) throw new UsageError('DELTA must be specified');
        const { superblock: sb } = await readStaticDelta(store, name);
        const total = sb.parts.reduce((n, p) => n + p.compressedSize, 0);
        const utotal = sb.parts.reduce((n, p) => n + p.uncompressedSize, 0);
        const ftotal = sb.fallbacks.reduce((n, f) => n + f.compressedSize, 0);
        const futotal = sb.fallbacks.reduce((n, f) => n + f.uncompressedSize, 0);
        const lines = [
          `Delta: ${name}`,
          `From: ${sb.from ?? 'empty'}`,
          `To: ${sb.to}`,
          'Endianness: little',
          `Timestamp: ${sb.timestamp}`,
          `Number of parts: ${sb.parts.length}`,
          `Number of fallback entries: ${sb.fallbacks.length}`,
          `Total Part Size: ${formatBytes(total)}`,
          `Total Uncompressed Part Size: ${formatBytes(utotal)}`,
          `Total Fallback Size: ${formatBytes(ftotal)}`,
          `Total Uncompressed Fallback Size: ${formatBytes(futotal)}`,
          ...sb.parts.map((p, i) => `PartMeta${i}: nobjects=${p.objects.length} size=${p.compressedSize} usize=${p.uncompressedSize}`),
        ];
        ctx.stdout.write(`${lines.join('\n')}\n`);
        return;
      }
      case 'delete': {
        const [name] = rest;
        if (name === undefined) throw new UsageError('DELTA must be specified');
        await deleteStaticDelta(store, name);
        return;
      }
      case 'generate': {
        const toRev = args.get('to') ?? rest[0];
        if (toRev === undefined) throw new UsageError('--to must be specified');
        const fromRev = args.get('from');
        if (fromRev !== undefined && args.has('empty')) throw new UsageError('Cannot specify both --empty and --from=REV');
        const repo = await Repo.open(repoPath);
        const to = (await repo.resolveRev(toRev))!;
        let from: string | undefined;
        if (fromRev !== undefined) from = (await repo.resolveRev(fromRev))!;
        else if (!args.has('empty')) {
          // ostree's default: from the parent of --to
          from = (await repo.loadCommit(to)).parent;
          if (from === undefined) throw new UsageError(`Commit ${to} has no parent; use --empty or --from`);
        }
        const maxChunk = args.get('max-chunk-size');
        const minFallback = args.get('min-fallback-size');
        const filename = args.get('filename');
        const preset = args.get('xz-preset');
        const signType = args.get('sign-type') ?? 'ed25519';
        if (signType !== 'ed25519') throw new signing.SignUnknownType(`Requested signature type is not implemented: ${JSON.stringify(signType)}`, { type: signType });
        const keys = args.all('sign');
        const keysFile = args.get('keys-file');
        if (keysFile !== undefined) keys.push(...signing.parseKeyList(await readFile(isAbsolute(keysFile) ? keysFile : join(ctx.cwd, keysFile), 'utf8')));
        const r = await generateStaticDelta(store, {
          ...(from !== undefined ? { from } : {}),
          to,
          ...(args.has('inline') ? { inline: true } : {}),
          ...(maxChunk !== undefined ? { maxChunkSize: Number(maxChunk) * 1000 * 1000 } : {}),
          ...(minFallback !== undefined ? { minFallbackSize: Number(minFallback) * 1000 * 1000 } : {}),
          ...(filename !== undefined ? { filename: isAbsolute(filename) ? filename : join(ctx.cwd, filename) } : {}),
          ...(args.has('disable-bsdiff') ? { disableBsdiff: true } : {}),
          ...(preset !== undefined ? { xzPreset: Number(preset) } : {}),
          ...(keys.length > 0 ? { signSuperblock: async (sb: Uint8Array) => signing.signDetached(sb, [], { ed25519: keys }) } : {}),
        });
        ctx.stdout.write(`Generating static delta:\n  From: ${from ?? 'empty'}\n  To:   ${to}\n`);
        ctx.stdout.write(`${r.objects} objects in ${r.parts} part${r.parts === 1 ? '' : 's'} (${r.stats.meta} metadata, ${r.stats.bsdiff} bsdiff, ${r.stats.spliced} whole), ${r.fallbacks} fallbacks; ${formatBytes(r.totalSize)}\n`);
        return;
      }
      case 'apply-offline': {
        const [path] = rest;
        if (path === undefined) throw new UsageError('PATH must be specified');
        const { loaded, fetchPart } = await loadDeltaFromPath(isAbsolute(path) ? path : join(ctx.cwd, path));
        try {
          await applyStaticDelta(store, loaded, { fetchPart });
          await store.finish();
        } finally {
          await store.finish({ durable: false }).catch(() => undefined);
        }
        return;
      }
      case 'reindex': {
        await writeDeltaIndexes(store, await staticDeltaDigests(store));
        return;
      }
      default:
        throw new UsageError(sub === undefined ? 'No command specified' : `Unknown command '${sub}'; expected one of ${SUBCOMMANDS}`);
    }
  });
}

