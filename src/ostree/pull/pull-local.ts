import { decodeCommit, decodeDirTree, decodeVardict } from '../../formats/ostree/index.js';
import { vardictGet } from '../../formats/gvariant/index.js';
import type { LooseStore } from '../delta/store.js';
import { assertVerified, verifyDetached, type SignatureReport, type VerifyPolicy } from '../sign/index.js';
import { PullBadRemoteData, PullRefNotFound } from './errors.js';

/**
 * `ostree pull-local SRC REF…`: copies the commits' objects from another repository on this
 * machine, whatever the two modes, checking every object's checksum on the way in. Refs are
 * written last, to refs/heads (or refs/remotes/REMOTE with `remote`).
 */
export interface PullLocalOptions {
  readonly refs: readonly string[];
  readonly remote?: string;
  readonly depth?: number;
  readonly commitMetadataOnly?: boolean;
  readonly verify?: VerifyPolicy;
  readonly concurrency?: number;
  readonly onProgress?: (copied: number) => void;
}

export interface PullLocalResult {
  readonly refs: ReadonlyArray<{ readonly ref: string; readonly commit: string }>;
  readonly metadataCopied: number;
  readonly contentCopied: number;
  readonly seconds: number;
  readonly signatures: readonly SignatureReport[];
}

const HEX_REGEXP = /^[0-9a-f]{64}$/;

async function resolveIn(src: LooseStore, rev: string): Promise<{ ref: string | undefined; commit: string }> {
  if (HEX_REGEXP.test(rev)) return { ref: undefined, commit: rev };
  const colon = rev.indexOf(':');
  const commit = colon > 0 ? await src.readRef(rev.slice(colon + 1), rev.slice(0, colon)) : ((await src.readRef(rev)) ?? undefined);
  if (commit === undefined) throw new PullRefNotFound(`Refspec ${JSON.stringify(rev)} not found in ${JSON.stringify(src.path)}`, { remote: src.path, ref: rev });
  return { ref: colon > 0 ? rev.slice(colon + 1) : rev, commit };
}

export async function pullLocal(src: LooseStore, dst: LooseStore, options: PullLocalOptions): Promise<PullLocalResult> {
  const started = Date.now();
  let metadataCopied = 0;
  let contentCopied = 0;
  const signatures: SignatureReport[] = [];
  const limit = options.concurrency ?? 8;
  const targets = [];
  for (const r of options.refs) targets.push(await resolveIn(src, r));

  const copyMeta = async (type: 'dirtree' | 'dirmeta' | 'commit', checksum: string): Promise<Uint8Array> => {
    if (await dst.has(type, checksum)) return dst.readMeta(type, checksum);
    const bytes = await src.readMeta(type, checksum);
    await dst.writeMeta(type, checksum, bytes);
    metadataCopied++;
    return bytes;
  };
  const copyFile = async (checksum: string): Promise<void> => {
    if (await dst.has('file', checksum)) return;
    if (src.mode === 'archive' && dst.mode === 'archive') await dst.writeFilez(checksum, await src.readFilez(checksum));
    else await dst.writeContent(checksum, await src.readContent(checksum));
    contentCopied++;
    options.onProgress?.(metadataCopied + contentCopied);
  };

  const copyCommit = async (checksum: string, depth: number): Promise<void> => {
    const commitBytes = await src.readMeta('commit', checksum);
    const detachedBytes = await src.readMetaOptional('commitmeta', checksum);
    if (options.verify !== undefined) {
      const reports = await verifyDetached(commitBytes, detachedBytes === undefined ? [] : decodeVardict(detachedBytes), options.verify);
      assertVerified(reports, { object: `commit ${checksum}`, remote: options.remote ?? src.path });
      signatures.push(...reports);
    }
    const commit = decodeCommit(commitBytes);
    if (options.commitMetadataOnly !== true) {
      await dst.markPartial(checksum, true);
      const files: string[] = [];
      const trees: Array<[string, string]> = [[commit.rootTree, commit.rootMeta]];
      const seen = new Set<string>();
      while (trees.length > 0) {
        const batch = trees.splice(0, limit);
        const decoded = await Promise.all(
          batch.map(async ([t, m]) => {
            await copyMeta('dirmeta', m);
            return decodeDirTree(await copyMeta('dirtree', t));
          }),
        );
        for (const dt of decoded) {
          for (const f of dt.files) if (!seen.has(f.checksum)) {
            seen.add(f.checksum);
            files.push(f.checksum);
          }
          for (const d of dt.dirs) if (!seen.has(d.treeChecksum + d.metaChecksum)) {
            seen.add(d.treeChecksum + d.metaChecksum);
            trees.push([d.treeChecksum, d.metaChecksum]);
          }
        }
      }
      for (let i = 0; i < files.length; i += limit) await Promise.all(files.slice(i, i + limit).map(copyFile));
    }
    if (detachedBytes !== undefined) await dst.writeMeta('commitmeta', checksum, detachedBytes);
    if (!(await dst.has('commit', checksum))) {
      await dst.writeMeta('commit', checksum, commitBytes);
      metadataCopied++;
    }
    await dst.markPartial(checksum, options.commitMetadataOnly === true);
    if (depth !== 0 && commit.parent !== undefined && (await src.has('commit', commit.parent))) await copyCommit(commit.parent, depth < 0 ? depth : depth - 1);
  };

  try {
    for (const t of targets) {
      const bytes = await src.readMeta('commit', t.commit);
      const binding = vardictGet(decodeCommit(bytes).metadata, 'ostree.ref-binding');
      if (t.ref !== undefined && binding !== undefined && !(binding.value as string[]).includes(t.ref) && options.remote !== undefined) {
        throw new PullBadRemoteData(`Commit ${t.commit} is not bound to ref ${JSON.stringify(t.ref)}`, { remote: src.path, what: 'ref-binding' });
      }
      await copyCommit(t.commit, options.depth ?? 0);
    }
    await dst.finish();
  } finally {
    await dst.finish({ durable: false }).catch(() => undefined);
  }
  for (const t of targets) if (t.ref !== undefined) await dst.writeRef(t.ref, t.commit, options.remote);
  return {
    refs: targets.map((t) => ({ ref: t.ref ?? t.commit, commit: t.commit })),
    metadataCopied,
    contentCopied,
    seconds: (Date.now() - started) / 1000,
    signatures,
  };
}
