import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, writeFileAtomic } from '../../core/index.js';
import { decodeVardict, encodeVardict } from '../../formats/ostree/index.js';
import * as delta from '../../formats/delta/index.js';
import { variant, vardictGet, type VardictEntries } from '../../formats/gvariant/index.js';
import { parseSuperblockFile, type LoadedSuperblock } from './apply.js';
import { StaticDeltaNotFound } from './errors.js';
import { sha256Hex, type LooseStore } from './store.js';

/** `static-delta list`: hex names of every delta under `deltas/`, sorted. */
export async function listStaticDeltas(store: LooseStore): Promise<string[]> {
  const out: string[] = [];
  let prefixes: string[];
  try {
    prefixes = await readdir(join(store.path, 'deltas'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  for (const prefix of prefixes) {
    let rests: string[];
    try {
      rests = await readdir(join(store.path, 'deltas', prefix));
    } catch {
      continue;
    }
    for (const rest of rests) {
      try {
        await stat(join(store.path, 'deltas', prefix, rest, 'superblock'));
        const n = delta.deltaNameFromPath(prefix, rest);
        out.push(delta.formatDeltaName(n.from, n.to));
      } catch {
        /* not a delta directory */
      }
    }
  }
  return out.sort();
}

export async function readStaticDelta(store: LooseStore, name: string): Promise<LoadedSuperblock> {
  const n = delta.parseDeltaName(name);
  try {
    return parseSuperblockFile(new Uint8Array(await readFile(join(store.path, delta.deltaRelativePath(n.from, n.to, 'superblock')))));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new StaticDeltaNotFound(`No static delta ${JSON.stringify(name)} in repository`, { name }, { cause: err });
    throw err;
  }
}

export async function deleteStaticDelta(store: LooseStore, name: string): Promise<void> {
  const n = delta.parseDeltaName(name);
  const dir = join(store.path, delta.deltaRelativePath(n.from, n.to));
  try {
    await stat(join(dir, 'superblock'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new StaticDeltaNotFound(`No static delta ${JSON.stringify(name)} in repository`, { name }, { cause: err });
    throw err;
  }
  await rm(dir, { recursive: true, force: true });
}

/** name -> SHA-256 of its superblock file, the value summaries and delta indexes carry. */
export async function staticDeltaDigests(store: LooseStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await listStaticDeltas(store)) {
    const n = delta.parseDeltaName(name);
    out.set(name, sha256Hex(new Uint8Array(await readFile(join(store.path, delta.deltaRelativePath(n.from, n.to, 'superblock'))))));
  }
  return out;
}

/** The `ostree.static-deltas` a{sv} value: name -> ay digest. */
export function deltaDigestsVariant(digests: ReadonlyMap<string, string>): ReturnType<typeof variant> {
  return variant('a{sv}', [...digests].map(([name, d]) => [name, variant('ay', Uint8Array.from(Buffer.from(d, 'hex')))]));
}

/** Rewrites `delta-indexes/`: one `a{sv}` per target commit, as `ostree summary -u` does. */
export async function writeDeltaIndexes(store: LooseStore, digests: ReadonlyMap<string, string>): Promise<void> {
  const byTarget = new Map<string, Map<string, string>>();
  for (const [name, d] of digests) {
    const to = delta.parseDeltaName(name).to;
    const m = byTarget.get(to) ?? new Map<string, string>();
    m.set(name, d);
    byTarget.set(to, m);
  }
  await rm(join(store.path, 'delta-indexes'), { recursive: true, force: true });
  for (const [to, m] of byTarget) {
    const rel = delta.deltaIndexRelativePath(to);
    const path = join(store.path, rel);
    await mkdir(join(path, '..'), { recursive: true });
    const dict: VardictEntries = [['ostree.static-deltas', deltaDigestsVariant(m)]];
    await writeFileAtomic(path, encodeVardict(dict), { durable: false });
  }
}

/** Parses a delta index file (or a summary's metadata) into name -> digest. */
export function parseDeltaDigests(dict: VardictEntries): Map<string, string> {
  const out = new Map<string, string>();
  const v = vardictGet(dict, 'ostree.static-deltas');
  if (v === undefined || v.type !== 'a{sv}') return out;
  for (const [name, d] of v.value as unknown as VardictEntries) {
    if (d.type === 'ay' && (d.value as Uint8Array).length === 32) out.set(name, Buffer.from(d.value as Uint8Array).toString('hex'));
  }
  return out;
}

export function parseDeltaIndex(bytes: Uint8Array): Map<string, string> {
  return parseDeltaDigests(decodeVardict(bytes));
}
