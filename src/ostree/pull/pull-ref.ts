import { applyStaticDelta, loadDeltaFromPath, superblockCommitMeta } from '../delta/apply.js';
import { LooseStore } from '../delta/store.js';
import { getRemote, remoteFetcherOptions, remoteVerification, type RemoteLocation } from '../remote.js';
import { assertVerified, verifyDetached, type SignatureReport } from '../sign/index.js';
import { verifySuperblock } from './delta-trust.js';
import { pull, type PullProgress, type PullResult } from './pull.js';

/**
 * What `berth host upgrade` calls: pull one ref of a configured remote into a repository
 * (the sysroot's), with the remote's verification settings, and report whether it moved.
 */
export interface PullRefOptions {
  /** remotes.d directory (default: /etc/ostree/remotes.d when the repo config enables it). */
  readonly remotesDir?: string;
  /** Only resolve the remote's commit (`upgrade --check` / `--preview`); write nothing. */
  readonly dryRun?: boolean;
  readonly disableStaticDeltas?: boolean;
  readonly onProgress?: (p: PullProgress) => void;
  readonly signal?: AbortSignal;
}

export interface PullRefResult {
  readonly commit: string;
  readonly previous: string | undefined;
  readonly changed: boolean;
  readonly pull: PullResult;
}

export async function pullRef(repoPath: string, remoteName: string, ref: string, options: PullRefOptions = {}): Promise<PullRefResult> {
  const loc: RemoteLocation = { repo: repoPath, ...(options.remotesDir !== undefined ? { remotesDir: options.remotesDir } : {}) };
  const remote = await getRemote(loc, remoteName);
  const verify = await remoteVerification(loc, remote);
  const store = await LooseStore.open(repoPath);
  const result = await pull(store, {
    remoteName,
    url: remote.url,
    refs: [ref],
    verify,
    ...(options.dryRun === true ? { dryRun: true } : {}),
    ...(options.disableStaticDeltas === true ? { disableStaticDeltas: true } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    fetcher: { ...(await remoteFetcherOptions(remote)), ...(options.signal !== undefined ? { signal: options.signal } : {}) },
  });
  const r = result.refs[0]!;
  return { commit: r.commit, previous: r.previous, changed: r.previous !== r.commit, pull: result };
}

/**
 * `--from=PATH`: applies an offline update bundle (a static delta file made with
 * `static-delta generate --filename`, or a delta directory). With `remote`, the embedded commit
 * and the bundle itself (a signed superblock) must pass that remote's signature policy before
 * anything is written. Returns the commit; the caller points its ref at it.
 */
export async function applyOfflineDelta(repoPath: string, path: string, options: { readonly remote?: string; readonly remotesDir?: string } = {}): Promise<{ commit: string; from: string | undefined; signatures: readonly SignatureReport[] }> {
  const store = await LooseStore.open(repoPath);
  const { loaded, fetchPart } = await loadDeltaFromPath(path);
  let signatures: SignatureReport[] = [];
  if (options.remote !== undefined) {
    const loc: RemoteLocation = { repo: repoPath, ...(options.remotesDir !== undefined ? { remotesDir: options.remotesDir } : {}) };
    const verify = await remoteVerification(loc, await getRemote(loc, options.remote));
    // no summary vouches for a bundle: with verification on, it must be a signed superblock
    await verifySuperblock(loaded, verify.commit, { remote: options.remote, vouchedBySignedSummary: false });
    signatures = await verifyDetached(loaded.superblock.commit, superblockCommitMeta(loaded.superblock) ?? [], verify.commit);
    assertVerified(signatures, { object: `commit ${loaded.superblock.to}`, remote: options.remote });
  }
  try {
    await applyStaticDelta(store, loaded, { fetchPart });
    await store.finish();
  } finally {
    await store.finish({ durable: false }).catch(() => undefined);
  }
  return { commit: loaded.superblock.to, from: loaded.superblock.from, signatures };
}

/**
 * For `berth host upgrade`: before the origin refspec is resolved locally, bring it up to date.
 * `remote:ref` origins are pulled from the remote (commit metadata only with `check`, as
 * rpm-ostree's `upgrade --check` does); with `from`, an offline bundle is applied instead and
 * the ref moved to its commit. A local-only refspec without `from` is left alone.
 */
export async function refreshOriginRef(
  repoPath: string,
  refspec: string,
  options: { readonly from?: string; readonly check?: boolean; readonly remotesDir?: string; readonly onProgress?: (p: PullProgress) => void } = {},
): Promise<{ commit: string | undefined; pulled: boolean }> {
  const colon = refspec.indexOf(':');
  const remote = colon > 0 ? refspec.slice(0, colon) : undefined;
  const ref = colon > 0 ? refspec.slice(colon + 1) : refspec;
  const extra = options.remotesDir !== undefined ? { remotesDir: options.remotesDir } : {};
  if (options.from !== undefined) {
    const r = await applyOfflineDelta(repoPath, options.from, { ...(remote !== undefined ? { remote } : {}), ...extra });
    const store = await LooseStore.open(repoPath);
    await store.writeRef(ref, r.commit, remote);
    return { commit: r.commit, pulled: true };
  }
  if (remote === undefined) return { commit: undefined, pulled: false };
  const loc: RemoteLocation = { repo: repoPath, ...extra };
  const config = await getRemote(loc, remote);
  const verify = await remoteVerification(loc, config);
  const store = await LooseStore.open(repoPath);
  const result = await pull(store, {
    remoteName: remote,
    url: config.url,
    refs: [ref],
    verify,
    fetcher: await remoteFetcherOptions(config),
    ...(options.check === true ? { commitMetadataOnly: true } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  return { commit: result.refs[0]?.commit, pulled: true };
}
