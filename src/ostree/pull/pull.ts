import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCommit, decodeDirTree, decodeSummary, decodeVardict, encodeVardict, type Commit, type Summary } from '../../formats/ostree/index.js';
import * as delta from '../../formats/delta/index.js';
import { KeyFile } from '../../formats/keyfile.js';
import { vardictGet, type VardictEntries } from '../../formats/gvariant/index.js';
import { applyStaticDelta, parseSuperblockFile, startOpeningPart, superblockCommitMeta } from '../delta/apply.js';
import { parseDeltaDigests, parseDeltaIndex } from '../delta/manage.js';
import { sha256Hex, type LooseStore } from '../delta/store.js';
import { StaticDeltaChecksumMismatch } from '../delta/errors.js';
import { assertVerified, verifyDetached, type SignatureReport, type VerifyPolicy } from '../sign/index.js';
import { verifySuperblock } from './delta-trust.js';
import { PullBadRemoteData, PullNoDelta, PullRefNotFound } from './errors.js';
import { Fetcher, type FetcherOptions } from './fetcher.js';

/**
 * Pulling from an ostree archive repository over HTTP (or file://): summary (+ signature),
 * then per ref a static delta when the remote offers one from a commit we hold (or a scratch
 * delta), else the commit and its tree object by object. Every object is verified before it
 * is stored; a commit object is stored only after its whole tree, and refs only after every
 * commit, so a failure leaves refs untouched.
 */
export interface PullProgress {
  readonly phase: 'summary' | 'delta' | 'objects' | 'done';
  readonly metadataFetched: number;
  readonly contentFetched: number;
  readonly deltaPartsFetched: number;
  readonly deltaParts: number;
  /** Objects queued so far (grows while the tree is scanned). */
  readonly requested: number;
  readonly bytes: number;
}

export interface PullOptions {
  readonly remoteName: string;
  readonly url: string;
  /** Refs (or commit checksums) to pull. */
  readonly refs: readonly string[];
  readonly verify?: { readonly commit: VerifyPolicy; readonly summary: VerifyPolicy };
  /** Write refs/heads/REF instead of refs/remotes/REMOTE/REF. */
  readonly mirror?: boolean;
  /** Parent commits to pull as well; -1 for all (default 0). */
  readonly depth?: number;
  readonly commitMetadataOnly?: boolean;
  readonly disableStaticDeltas?: boolean;
  readonly requireStaticDeltas?: boolean;
  /** Pull only these subtrees (`/usr/bin`); the commit stays marked partial. */
  readonly subpaths?: readonly string[];
  /** Object tasks (fetch + verify + store) in flight (default 32; HTTP connections are bounded separately). */
  readonly concurrency?: number;
  readonly fetcher?: FetcherOptions;
  readonly onProgress?: (p: PullProgress) => void;
  /** Resolve and report, write nothing. */
  readonly dryRun?: boolean;
}

export interface PulledRef {
  readonly ref: string;
  readonly commit: string;
  readonly previous: string | undefined;
  readonly viaDelta: string | undefined;
  readonly signatures: readonly SignatureReport[];
}

export interface PullResult {
  readonly refs: readonly PulledRef[];
  readonly metadataFetched: number;
  readonly contentFetched: number;
  readonly deltaPartsFetched: number;
  readonly bytesTransferred: number;
  readonly requests: number;
  readonly contentBytesWritten: number;
  readonly seconds: number;
  readonly summary: Summary | undefined;
}

const MAX_METADATA = 10 * 1024 * 1024;
const HEX_REGEXP = /^[0-9a-f]{64}$/;

function looseRel(checksum: string, suffix: string): string {
  return `objects/${checksum.slice(0, 2)}/${checksum.slice(2)}.${suffix}`;
}

class Pool {
  readonly #limit: number;
  #running = 0;
  readonly #queue: Array<() => Promise<void>> = [];
  #error: unknown;
  #idle: Array<() => void> = [];
  constructor(limit: number) {
    this.#limit = limit;
  }
  add(task: () => Promise<void>): void {
    this.#queue.push(task);
    this.#pump();
  }
  #pump(): void {
    while (this.#running < this.#limit && this.#queue.length > 0 && this.#error === undefined) {
      const task = this.#queue.shift()!;
      this.#running++;
      task()
        .catch((err: unknown) => {
          if (this.#error === undefined) this.#error = err;
        })
        .finally(() => {
          this.#running--;
          this.#pump();
        });
    }
    if ((this.#running === 0 && this.#queue.length === 0) || (this.#error !== undefined && this.#running === 0)) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const w of waiters) w();
    }
  }
  async drain(): Promise<void> {
    if (!(this.#running === 0 && (this.#queue.length === 0 || this.#error !== undefined))) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    if (this.#error !== undefined) throw this.#error;
  }
}

function refBindingCheck(commit: Commit, ref: string | undefined, remote: string, checksum: string): void {
  if (ref === undefined) return;
  const binding = vardictGet(commit.metadata, 'ostree.ref-binding');
  if (binding === undefined) return;
  const refs = binding.value as readonly string[];
  if (!refs.includes(ref)) {
    throw new PullBadRemoteData(`Commit ${checksum} from remote ${JSON.stringify(remote)} is not bound to ref ${JSON.stringify(ref)} (bound to ${refs.map((r) => JSON.stringify(r)).join(', ')})`, {
      remote,
      what: 'ref-binding',
    });
  }
}

export async function pull(store: LooseStore, options: PullOptions): Promise<PullResult> {
  const started = Date.now();
  const remote = options.remoteName;
  const fetcher = new Fetcher(options.url, options.fetcher);
  const counters = { metadataFetched: 0, contentFetched: 0, deltaPartsFetched: 0, deltaParts: 0, requested: 0, contentBytesWritten: 0 };
  const progress = (phase: PullProgress['phase']): void => {
    options.onProgress?.({ phase, ...counters, bytes: fetcher.stats.bytes });
  };
  // The repository lock and the object index (a listing of objects/) are taken while the summary, the
  // commit and a delta's first part are fetched; both are awaited before the first write.
  const indexing = options.dryRun === true ? Promise.resolve() : store.lockEarly().then(async () => store.loadIndex());
  indexing.catch(() => undefined);
  try {
    progress('summary');
    const verify = options.verify ?? { commit: {}, summary: {} };
    const summaryBytes = await fetcher.get('summary', { optional: true, maxBytes: 64 * 1024 * 1024 });
    const summaryNeedsSig = verify.summary.gpg !== undefined || verify.summary.ed25519 !== undefined;
    let summary: Summary | undefined;
    let summaryVerified = false;
    if (summaryBytes !== undefined) {
      if (summaryNeedsSig) {
        const sig = await fetcher.get('summary.sig', { optional: true, maxBytes: MAX_METADATA });
        const reports = await verifyDetached(summaryBytes, sig === undefined ? [] : decodeVardict(sig), verify.summary);
        assertVerified(reports, { object: 'summary', remote });
        summaryVerified = true;
      }
      summary = decodeSummary(summaryBytes);
    } else if (summaryNeedsSig) {
      throw new PullBadRemoteData(`Remote ${JSON.stringify(remote)} has no summary, and its signature is required`, { remote, what: 'summary' });
    }
    const configBytes = await fetcher.get('config', { optional: true, maxBytes: MAX_METADATA });
    if (configBytes !== undefined) {
      const mode = KeyFile.parse(new TextDecoder().decode(configBytes)).getString('core', 'mode');
      if (mode !== 'archive-z2' && mode !== 'archive') {
        throw new PullBadRemoteData(`Remote ${JSON.stringify(remote)} is a ${JSON.stringify(mode ?? 'bare')} repository; only archive repositories can be pulled over HTTP`, { remote, what: 'mode' });
      }
    }

    // Resolve every ref before fetching anything.
    const targets: Array<{ ref: string | undefined; commit: string }> = [];
    for (const r of options.refs) {
      if (HEX_REGEXP.test(r)) {
        targets.push({ ref: undefined, commit: r });
        continue;
      }
      const fromSummary = summary?.refs.find((x) => x.name === r)?.checksum;
      let commit = fromSummary;
      if (commit === undefined && summary === undefined) {
        const text = await fetcher.get(`refs/heads/${r}`, { optional: true, maxBytes: 1024 });
        const t = text === undefined ? '' : new TextDecoder().decode(text).trim();
        if (HEX_REGEXP.test(t)) commit = t;
      }
      if (commit === undefined) throw new PullRefNotFound(`No such branch ${JSON.stringify(r)} in remote ${JSON.stringify(remote)}`, { remote, ref: r });
      targets.push({ ref: r, commit });
    }
    if (options.dryRun === true) {
      return {
        refs: await Promise.all(
          targets.map(async (t) => ({
            ref: t.ref ?? t.commit,
            commit: t.commit,
            previous: t.ref === undefined ? undefined : await store.readRef(t.ref, options.mirror === true ? undefined : remote),
            viaDelta: undefined,
            signatures: [],
          })),
        ),
        ...counters,
        bytesTransferred: fetcher.stats.bytes,
        requests: fetcher.stats.requests,
        seconds: (Date.now() - started) / 1000,
        summary,
      };
    }

    // Tasks include local writes; HTTP itself stays bounded by the fetcher (8 connections).
    const pool = new Pool(options.concurrency ?? 32);
    const cacheDir = join(store.path, 'tmp', 'cache', 'berth-pull');
    await mkdir(cacheDir, { recursive: true });
    const fetchMeta = async (type: 'dirtree' | 'dirmeta' | 'commit', checksum: string): Promise<Uint8Array> => {
      const bytes = (await fetcher.get(looseRel(checksum, type), { maxBytes: MAX_METADATA }))!;
      await store.writeMeta(type, checksum, bytes);
      counters.metadataFetched++;
      return bytes;
    };
    const fetchFile = async (checksum: string): Promise<void> => {
      const bytes = (await fetcher.get(looseRel(checksum, 'filez')))!;
      const obj = await store.writeFilez(checksum, bytes);
      counters.contentFetched++;
      counters.contentBytesWritten += obj.content.length;
      progress('objects');
    };

    // Without unfinished pulls, a dirtree already in the repo has its whole subtree here too
    // (objects are stored children first, and interrupted pulls leave a commitpartial marker),
    // so an update scans only the trees that changed. ostree 2022.7 rescans everything.
    const trustLocalTrees = (await store.partialCommits()).length === 0;
    // Lookups before the index is loaded lstat instead; the lock and the index are awaited before the first
    // write, so that a delta's superblock and first part are fetched and opened meanwhile.
    const results: PulledRef[] = [];
    for (const target of targets) {
      const refKey = target.ref;
      const previous = refKey === undefined ? undefined : await store.readRef(refKey, options.mirror === true ? undefined : remote);
      const complete = (await store.has('commit', target.commit)) && !(await store.isPartial(target.commit));
      let viaDelta: string | undefined;
      let signatures: SignatureReport[] = [];
      if (!complete || options.depth !== undefined) {
        const attempt = complete || options.disableStaticDeltas === true || options.commitMetadataOnly === true || (options.subpaths?.length ?? 0) > 0
          ? undefined
          : await findDelta(store, fetcher, summary, summaryVerified, target.commit, previous);
        if (attempt === undefined && options.requireStaticDeltas === true && !complete) {
          throw new PullNoDelta(`Remote ${JSON.stringify(remote)} has no static delta to commit ${target.commit}`, { remote, commit: target.commit });
        }
        if (attempt !== undefined) {
          progress('delta');
          const superblockBytes = (await fetcher.get(delta.deltaRelativePath(attempt.from, target.commit, 'superblock'), { maxBytes: 64 * 1024 * 1024 }))!;
          const loaded = parseSuperblockFile(superblockBytes);
          if (attempt.digest !== undefined && loaded.checksum !== attempt.digest) {
            throw new StaticDeltaChecksumMismatch(`Static delta ${attempt.name} superblock from remote ${JSON.stringify(remote)} is corrupt: checksum expected=${attempt.digest} actual=${loaded.checksum}`, {
              name: attempt.name,
              what: 'superblock',
              expected: attempt.digest,
              actual: loaded.checksum,
            });
          }
          if (loaded.superblock.to !== target.commit) throw new PullBadRemoteData(`Static delta ${attempt.name} targets ${loaded.superblock.to}`, { remote, what: 'delta' });
          await verifySuperblock(loaded, verify.commit, { remote, vouchedBySignedSummary: attempt.vouched && loaded.checksum === attempt.digest });
          const commitBytes = loaded.superblock.commit;
          const commit = decodeCommit(commitBytes);
          signatures = await verifyDetached(commitBytes, superblockCommitMeta(loaded.superblock) ?? [], verify.commit);
          assertVerified(signatures, { object: `commit ${target.commit}`, remote });
          refBindingCheck(commit, target.ref, remote, target.commit);
          counters.deltaParts += loaded.superblock.parts.length;
          // Prefetch every part (bounded by the fetcher's connections), apply in order; part 0 is verified
          // and decompressed while the lock and the index are still being taken.
          const cachePrefix = sha256Hex(new TextEncoder().encode(attempt.name)).slice(0, 16);
          const partCache = (i: number): string => join(cacheDir, `${cachePrefix}-${i}`);
          const downloads = loaded.superblock.parts.map((_, i) => {
            const p = fetcher.download(delta.deltaRelativePath(attempt.from, target.commit, String(i)), partCache(i)).then(() => partCache(i));
            p.catch(() => undefined);
            return p;
          });
          const fetchPart = async (i: number): Promise<Uint8Array> => {
            const bytes = new Uint8Array(await readFile(await downloads[i]!));
            counters.deltaPartsFetched++;
            progress('delta');
            return bytes;
          };
          const firstPartOpened = loaded.superblock.parts.length > 0 ? startOpeningPart(loaded, 0, fetchPart) : undefined;
          await indexing;
          await store.markPartial(target.commit, true);
          await applyStaticDelta(store, loaded, {
            fetchPart,
            ...(firstPartOpened !== undefined ? { firstPartOpened } : {}),
            fetchFallback: async (f) => fetchFile(f.checksum),
            onPart: (i) => {
              void rm(partCache(i), { force: true });
            },
          });
          // Parts that were skipped (objects present) leave their prefetch behind; drop it.
          await Promise.allSettled(downloads.map(async (d) => rm(await d, { force: true })));
          await store.markPartial(target.commit, false);
          viaDelta = attempt.name;
        } else {
          await indexing;
          signatures = await pullCommitObjects(target.commit, target.ref, options.depth ?? 0);
        }
      }
      results.push({ ref: refKey ?? target.commit, commit: target.commit, previous, viaDelta, signatures });
    }

    async function pullCommitObjects(checksum: string, ref: string | undefined, depth: number): Promise<SignatureReport[]> {
      let commitBytes: Uint8Array;
      let detached: VardictEntries = [];
      const haveCommit = await store.has('commit', checksum);
      if (haveCommit) {
        commitBytes = await store.readMeta('commit', checksum);
        const m = await store.readMetaOptional('commitmeta', checksum);
        if (m !== undefined) detached = decodeVardict(m);
      } else {
        const metaBytes = await fetcher.get(looseRel(checksum, 'commitmeta'), { optional: true, maxBytes: MAX_METADATA });
        commitBytes = (await fetcher.get(looseRel(checksum, 'commit'), { maxBytes: MAX_METADATA }))!;
        const actual = sha256Hex(commitBytes);
        if (actual !== checksum) {
          throw new PullBadRemoteData(`Commit ${checksum} from remote ${JSON.stringify(remote)} is corrupt: checksum actual=${actual}`, { remote, what: 'commit' });
        }
        counters.metadataFetched++;
        if (metaBytes !== undefined) detached = decodeVardict(metaBytes);
      }
      const reports = await verifyDetached(commitBytes, detached, verify.commit);
      assertVerified(reports, { object: `commit ${checksum}`, remote });
      const commit = decodeCommit(commitBytes);
      refBindingCheck(commit, ref, remote, checksum);
      const partial = options.commitMetadataOnly === true || (options.subpaths?.length ?? 0) > 0;
      if (options.commitMetadataOnly !== true) {
        await store.markPartial(checksum, true);
        await walk(commit);
      }
      if (detached.length > 0 && !haveCommit) {
        await store.writeMeta('commitmeta', checksum, encodeVardict(detached));
      }
      if (!haveCommit) await store.writeMeta('commit', checksum, commitBytes);
      if (partial) await store.markPartial(checksum, true);
      else await store.markPartial(checksum, false);
      if (depth !== 0 && commit.parent !== undefined) {
        try {
          await pullCommitObjects(commit.parent, undefined, depth < 0 ? depth : depth - 1);
        } catch (err) {
          // ostree tolerates a parent the remote no longer has (pruned history)
          if ((err as { code?: string }).code !== 'PULL_FETCH_FAILED') throw err;
        }
      }
      return reports;
    }

    async function walk(commit: Commit): Promise<void> {
      const subpaths = (options.subpaths ?? []).map((s) => s.split('/').filter((x) => x !== ''));
      const wanted = (path: string[]): 'all' | 'descend' | 'skip' => {
        if (subpaths.length === 0) return 'all';
        for (const sp of subpaths) {
          const n = Math.min(sp.length, path.length);
          let same = true;
          for (let i = 0; i < n; i++) if (sp[i] !== path[i]) same = false;
          if (!same) continue;
          if (path.length >= sp.length) return 'all';
          return 'descend';
        }
        return 'skip';
      };
      const seenTrees = new Set<string>();
      const seenFiles = new Set<string>();
      const visitTree = (tree: string, meta: string, path: string[], scope: 'all' | 'descend'): void => {
        counters.requested += 2;
        pool.add(async () => {
          if (!(await store.has('dirmeta', meta))) await fetchMeta('dirmeta', meta);
          const present = await store.has('dirtree', tree);
          if (present && trustLocalTrees && scope === 'all') return;
          const bytes = present ? await store.readMeta('dirtree', tree) : await fetchMeta('dirtree', tree);
          const dt = decodeDirTree(bytes);
          if (scope === 'all') {
            for (const f of dt.files) {
              if (seenFiles.has(f.checksum)) continue;
              seenFiles.add(f.checksum);
              counters.requested++;
              // a task (and its promises) only for what is missing: most files of a changed directory are here
              if (!store.hasSync('file', f.checksum)) pool.add(async () => fetchFile(f.checksum));
            }
          }
          for (const d of dt.dirs) {
            const childPath = [...path, d.name];
            const w = scope === 'all' ? 'all' : wanted(childPath);
            if (w === 'skip') continue;
            const key = `${d.treeChecksum}${d.metaChecksum}${w}`;
            if (seenTrees.has(key)) continue;
            seenTrees.add(key);
            visitTree(d.treeChecksum, d.metaChecksum, childPath, w);
          }
          progress('objects');
        });
      };
      const rootScope = wanted([]);
      visitTree(commit.rootTree, commit.rootMeta, [], rootScope === 'skip' ? 'descend' : rootScope);
      await pool.drain();
    }

    await indexing;
    await store.finish();
    for (const r of results) {
      if (HEX_REGEXP.test(r.ref) && r.ref === r.commit) continue;
      await store.writeRef(r.ref, r.commit, options.mirror === true ? undefined : remote);
    }
    progress('done');
    return {
      refs: results,
      metadataFetched: counters.metadataFetched,
      contentFetched: counters.contentFetched,
      deltaPartsFetched: counters.deltaPartsFetched,
      bytesTransferred: fetcher.stats.bytes,
      requests: fetcher.stats.requests,
      contentBytesWritten: counters.contentBytesWritten,
      seconds: (Date.now() - started) / 1000,
      summary,
    };
  } finally {
    await store.finish({ durable: false }).catch(() => undefined);
    fetcher.close();
  }
}

interface DeltaChoice {
  readonly name: string;
  readonly from: string | undefined;
  readonly digest: string | undefined;
  /** `digest` comes from the `ostree.static-deltas` of a summary whose signature was verified. */
  readonly vouched: boolean;
}

/** ostree's choice: a delta from a complete local commit (the current ref first), else a scratch delta. */
async function findDelta(store: LooseStore, fetcher: Fetcher, summary: Summary | undefined, summaryVerified: boolean, to: string, previous: string | undefined): Promise<DeltaChoice | undefined> {
  let digests: Map<string, string> | undefined;
  let signed = new Map<string, string>();
  if (summary !== undefined) {
    const indexed = vardictGet(summary.metadata, 'ostree.summary.indexed-deltas')?.value === true;
    digests = parseDeltaDigests(summary.metadata);
    if (summaryVerified) signed = new Map(digests);
    if (indexed) {
      const idx = await fetcher.get(delta.deltaIndexRelativePath(to), { optional: true, maxBytes: MAX_METADATA });
      if (idx !== undefined) for (const [k, v] of parseDeltaIndex(idx)) digests.set(k, v);
    }
  }
  const choice = (name: string, from: string | undefined): DeltaChoice => {
    const digest = digests?.get(name);
    return { name, from, digest, vouched: digest !== undefined && signed.get(name) === digest };
  };
  const usable = async (from: string): Promise<boolean> => (await store.has('commit', from)) && !(await store.isPartial(from));
  if (digests !== undefined) {
    const candidates = [...digests.keys()].map((n) => delta.parseDeltaName(n)).filter((n) => n.to === to);
    if (previous !== undefined && candidates.some((c) => c.from === previous) && (await usable(previous))) {
      return choice(delta.formatDeltaName(previous, to), previous);
    }
    for (const c of candidates) {
      if (c.from !== undefined && (await usable(c.from))) return choice(delta.formatDeltaName(c.from, to), c.from);
    }
    if (candidates.some((c) => c.from === undefined)) return choice(to, undefined);
    return undefined;
  }
  // No summary: probe the superblock paths directly, as ostree does.
  if (previous !== undefined && (await usable(previous))) {
    const probe = await fetcher.get(delta.deltaRelativePath(previous, to, 'superblock'), { optional: true, maxBytes: 64 * 1024 * 1024 });
    if (probe !== undefined) return { name: delta.formatDeltaName(previous, to), from: previous, digest: undefined, vouched: false };
  }
  return undefined;
}
