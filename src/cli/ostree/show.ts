import { COMMIT_TYPE, isChecksum } from '../../formats/delta/index.js';
import { DIRMETA_TYPE, DIRTREE_TYPE, decodeVardict, S_IFLNK, S_IFMT } from '../../formats/ostree/index.js';
import { decodeGVariant, vardictGet, type VardictEntries } from '../../formats/gvariant/index.js';
import { contentChecksumOf, NoMetadataKey, ObjectMissing, RepoReader } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { renderCommitHuman } from './render-commit.js';
import { printVariant } from './render-variant.js';
import { renderXattrs } from './render-xattrs.js';
import { parseVerbArgs, repoPath, runVerb, usageText, VerbError } from './verb-support.js';

/** `ostree show [--raw] [--print-metadata-key=K] [--print-detached-metadata-key=K] [--print-related] OBJECT` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(ctx, async () => {
    const args = parseVerbArgs(argv, [
      { name: 'raw', kind: 'flag' },
      { name: 'print-related', kind: 'flag' },
      { name: 'print-metadata-key', kind: 'value' },
      { name: 'print-detached-metadata-key', kind: 'value' },
      { name: 'no-byteswap', short: 'B', kind: 'flag' },
      { name: 'print-sizes', kind: 'flag' },
      { name: 'gpg-homedir', kind: 'value' },
      { name: 'gpg-verify-remote', kind: 'value' },
    ]);
    const usage = usageText('show', 'OBJECT', 'Output a metadata object');
    if (args.flags.has('help')) {
      ctx.stdout.write(usage);
      return 0;
    }
    const rev = args.positionals[0];
    if (rev === undefined) {
      ctx.stderr.write(usage);
      throw new VerbError('An object argument is required');
    }
    const reader = await RepoReader.open(repoPath(args, ctx));
    const byteswap = !args.flags.has('no-byteswap');
    const metaKey = args.values.get('print-metadata-key');
    const detachedKey = args.values.get('print-detached-metadata-key');
    if (metaKey !== undefined || detachedKey !== undefined) {
      const checksum = await reader.resolveRev(rev);
      let dict: VardictEntries;
      if (detachedKey === undefined) dict = (await reader.loadCommit(checksum)).metadata;
      else {
        try {
          dict = decodeVardict(await reader.readMetadata(checksum, 'commitmeta'));
        } catch (err) {
          if (ObjectMissing.is(err)) throw new VerbError(`No detached metadata for commit ${checksum}`);
          throw err;
        }
      }
      const key = (detachedKey ?? metaKey)!;
      const value = vardictGet(dict, key);
      if (value === undefined) throw new NoMetadataKey(`No such metadata key '${key}'`, { key });
      ctx.stdout.write(`${printVariant(value.type, value.value, { annotate: true, byteswap })}\n`);
      return 0;
    }
    if (args.flags.has('print-related')) {
      const commit = await reader.loadCommit(await reader.resolveRev(rev));
      for (const r of commit.related) ctx.stdout.write(`${r.name} ${r.checksum}\n`);
      return 0;
    }
    const raw = args.flags.has('raw');
    const printMeta = async (checksum: string, type: 'commit' | 'dirtree' | 'dirmeta'): Promise<void> => {
      const bytes = await reader.readMetadata(checksum, type);
      let out = `${type} ${checksum}\n`;
      if (raw || !byteswap) {
        const t = type === 'commit' ? COMMIT_TYPE : type === 'dirtree' ? DIRTREE_TYPE : DIRMETA_TYPE;
        out += `${printVariant(t, decodeGVariant(t, bytes), { annotate: true, byteswap })}\n`;
        if (raw) {
          ctx.stdout.write(out);
          return;
        }
      }
      if (type === 'commit') {
        const commit = await reader.loadCommit(checksum);
        out += renderCommitHuman(checksum, commit, contentChecksumOf(commit)).slice(`commit ${checksum}\n`.length);
      }
      ctx.stdout.write(out);
    };
    if (!isChecksum(rev)) {
      await printMeta(await reader.resolveRev(rev), 'commit');
      return 0;
    }
    for (const type of ['commit', 'dirmeta', 'dirtree'] as const) {
      if (await reader.hasObject(rev, type)) {
        await printMeta(rev, type);
        return 0;
      }
    }
    let file;
    try {
      file = await reader.loadFile(rev);
    } catch (err) {
      if (ObjectMissing.is(err)) throw new VerbError(`Opening content object ${rev}: Couldn't find file object '${rev}'`);
      throw err;
    }
    const h = file.header;
    const isLink = (h.mode & S_IFMT) === S_IFLNK;
    ctx.stdout.write(`Object: ${rev}\nType: file\nFile Type: ${isLink ? 'symlink' : 'regular'}\n` +
      (isLink ? `Target: ${h.symlinkTarget}\n` : `Size: ${file.size}\n`) +
      `Mode: 0${h.mode.toString(8).padStart(4, '0')}\nUid: ${h.uid}\nGid: ${h.gid}\nExtended Attributes: ${renderXattrs(h.xattrs)}\n`);
    return 0;
  });
}
