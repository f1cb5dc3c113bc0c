import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/index.js';
import { bswap64, decodeCommit, encodeSummary, type SummaryRef } from '../formats/ostree/index.js';
import { variant, vardictGet, type Variant } from '../formats/gvariant/index.js';
import { LooseStore, staticDeltaDigests, writeDeltaIndexes } from './delta/index.js';
import { gHashTableOrder } from './ghash-order.js';
import type { RepoReader } from './reader.js';
import { signSummary, type SignOptions } from './sign/index.js';

/**
 * `ostree summary -u`, byte for byte: refs/heads sorted by name, each with its commit's size,
 * checksum and a metadata dict of timestamp (and version); then the additional metadata
 * (`--add-metadata` entries, static deltas, last-modified, mode, tombstone-commits,
 * indexed-deltas). ostree builds both dicts with GVariantDict, whose entries come out in
 * GHashTable bucket order, so we order them the same way (ghash-order.ts). delta-indexes/ is
 * rewritten and summary.sig removed, then re-signed when keys are given.
 */
export interface RegenerateSummaryOptions {
  readonly metadata?: ReadonlyArray<readonly [string, Variant]>;
  readonly sign?: SignOptions;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
}

function dictInHashOrder(entries: ReadonlyArray<readonly [string, Variant]>): Array<readonly [string, Variant]> {
  const last = new Map<string, Variant>();
  for (const [k, v] of entries) last.set(k, v);
  return gHashTableOrder(entries.map(([k]) => k)).map((k) => [k, last.get(k)!] as const);
}

export async function regenerateSummary(reader: RepoReader, options: RegenerateSummaryOptions = {}): Promise<{ refs: number; deltas: number }> {
  const refs: SummaryRef[] = [];
  for (const [name, checksum] of await reader.listRefs()) {
    const bytes = await reader.readMetadata(checksum, 'commit');
    const commit = decodeCommit(bytes);
    const meta: Array<readonly [string, Variant]> = [['ostree.commit.timestamp', variant('t', bswap64(BigInt(commit.timestamp)))]];
    const version = vardictGet(commit.metadata, 'version');
    if (version !== undefined && version.type === 's') meta.push(['ostree.commit.version', variant('s', version.value)]);
    refs.push({ name, commitSize: bytes.length, checksum, metadata: dictInHashOrder(meta) });
  }
  const store = await LooseStore.open(reader.path);
  const digests = await staticDeltaDigests(store);
  const additional: Array<readonly [string, Variant]> = [...(options.metadata ?? [])];
  if (digests.size > 0 && reader.config.getBoolean('core', 'no-deltas-in-summary') !== true) {
    const names = gHashTableOrder([...digests.keys()]);
    additional.push(['ostree.static-deltas', variant('a{sv}', names.map((n) => [n, variant('ay', Uint8Array.from(Buffer.from(digests.get(n)!, 'hex')))]))]);
  }
  additional.push(['ostree.summary.last-modified', variant('t', bswap64(BigInt(options.now ?? Math.floor(Date.now() / 1000))))]);
  additional.push(['ostree.summary.mode', variant('s', reader.config.getString('core', 'mode') ?? 'bare')]);
  additional.push(['ostree.summary.tombstone-commits', variant('b', reader.config.getBoolean('core', 'tombstone-commits') === true)]);
  additional.push(['ostree.summary.indexed-deltas', variant('b', true)]);
  await writeDeltaIndexes(store, digests);
  await writeFileAtomic(join(reader.path, 'summary'), encodeSummary({ refs, metadata: dictInHashOrder(additional) }));
  await rm(join(reader.path, 'summary.sig'), { force: true });
  const sign = options.sign;
  if (sign !== undefined && ((sign.ed25519?.length ?? 0) > 0 || (sign.gpg?.length ?? 0) > 0)) await signSummary(reader.path, sign);
  return { refs: refs.length, deltas: digests.size };
}
