import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, writeFileAtomic } from '../../core/index.js';
import { bswap64, decodeCommit, encodeSummary, type SummaryRef } from '../../formats/ostree/index.js';
import { variant, vardictGet, type Variant } from '../../formats/gvariant/index.js';
import { signSummary, type SignOptions } from '../sign/index.js';
import { deltaDigestsVariant, staticDeltaDigests, writeDeltaIndexes } from './manage.js';
import type { LooseStore } from './store.js';

/**
 * `ostree summary -u`: the summary of the repo's own refs (refs/heads, sorted by name) with
 * each commit's size, checksum, timestamp and version; additional metadata with the static
 * delta list, last-modified time, mode and `indexed-deltas=true` (delta-indexes/ rewritten
 * too); the old `summary.sig` removed and, when keys are given, a new one written.
 */
export interface UpdateSummaryOptions {
  /** Extra `--add-metadata=KEY=VALUE` entries. */
  readonly metadata?: ReadonlyArray<readonly [string, Variant]>;
  readonly sign?: SignOptions;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
}

async function listHeads(dir: string, prefix: string, out: Map<string, string>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const e of entries) {
    const name = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) await listHeads(join(dir, e.name), name, out);
    else if (e.isFile()) {
      const text = (await readFile(join(dir, e.name), 'utf8')).trim();
      if (/^[0-9a-f]{64}$/.test(text)) out.set(name, text);
    }
  }
}

export async function updateSummary(store: LooseStore, options: UpdateSummaryOptions = {}): Promise<{ refs: number; deltas: number }> {
  const heads = new Map<string, string>();
  await listHeads(join(store.path, 'refs', 'heads'), '', heads);
  const refs: SummaryRef[] = [];
  for (const [name, checksum] of heads) {
    const bytes = await store.readMeta('commit', checksum);
    const commit = decodeCommit(bytes);
    const meta: Array<readonly [string, Variant]> = [['ostree.commit.timestamp', variant('t', bswap64(BigInt(commit.timestamp)))]];
    const version = vardictGet(commit.metadata, 'version');
    if (version !== undefined && version.type === 's') meta.push(['ostree.commit.version', variant('s', version.value)]);
    refs.push({ name, commitSize: bytes.length, checksum, metadata: meta });
  }
  const digests = await staticDeltaDigests(store);
  const additional: Array<readonly [string, Variant]> = [...(options.metadata ?? [])];
  if (digests.size > 0 && store.config.getBoolean('core', 'no-deltas-in-summary') !== true) additional.push(['ostree.static-deltas', deltaDigestsVariant(digests)]);
  additional.push(['ostree.summary.last-modified', variant('t', bswap64(BigInt(options.now ?? Math.floor(Date.now() / 1000))))]);
  additional.push(['ostree.summary.mode', variant('s', store.mode === 'archive' ? 'archive-z2' : store.mode)]);
  additional.push(['ostree.summary.tombstone-commits', variant('b', store.config.getBoolean('core', 'tombstone-commits') === true)]);
  additional.push(['ostree.summary.indexed-deltas', variant('b', true)]);
  await writeDeltaIndexes(store, digests);
  await rm(join(store.path, 'summary.sig'), { force: true });
  await writeFileAtomic(join(store.path, 'summary'), encodeSummary({ refs, metadata: additional }));
  if (options.sign !== undefined && ((options.sign.ed25519?.length ?? 0) > 0 || (options.sign.gpg?.length ?? 0) > 0)) {
    await signSummary(store.path, options.sign);
  }
  return { refs: refs.length, deltas: digests.size };
}
