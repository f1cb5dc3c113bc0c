/**
 * The OSTree repository: objects, refs, commit, checkout. On-disk compatible with libostree
 * 2022.7 in all four modes (bare, bare-user, bare-user-only, archive).
 *
 *   const repo = await Repo.init(dir, { mode: 'bare-user' });
 *   const { checksum } = await commitTree(repo, { branch: 'os/x86_64', subject: 'v1', trees: [{ kind: 'dir', path: root }] });
 *   await checkout(repo, 'os/x86_64', dest, { userMode: true });
 */
export { Repo, REPO_MODES, isValidRefName, validateRefName, parseRefspec, modeFromConfig, modeToConfig } from './repo.js';
export type { RepoMode, ContentObject } from './repo.js';
export { Transaction, contentChecksum, type ContentSource } from './transaction.js';
export { commitTree, type CommitOptions, type CommitResult, type TreeSource } from './commit.js';
export { checkout, type CheckoutOptions, type CheckoutResult } from './checkout.js';
export { MutableTree, Limiter } from './mtree.js';
export { readXattrs, setXattrs, getXattr, setXattr } from './xattrs.js';
export * from './errors.js';
// Read side and maintenance (log, show, ls, cat, diff, fsck, prune, summary).
export { RepoReader, type LoadedFile } from './reader.js';
export { traverseCommit, commitsOf, newReachable, objectKey, splitObjectKey, type Reachable, type ObjectKey, type TraverseOptions } from './traverse.js';
export { fsckRepo, type FsckEvent, type FsckOptions, type FsckResult } from './fsck.js';
export * from './maint-errors.js';
export { commitHistory, contentChecksumOf, type LogEntry } from './log.js';
export { RepoPath, describe, listChildren, readPathContent, type PathEntry, type Resolved } from './repo-path.js';
export { diffTrees, commitDiffNode, localDiffNode, diffStats, type DiffNode, type DiffResult, type DiffStats, type LocalDiffOptions } from './diff.js';
// Network updates (issue 4): pull, static deltas, signatures, remotes, serving.
export { pull, pullLocal, pullRef, applyOfflineDelta, refreshOriginRef, Fetcher, type PullOptions, type PullResult, type PullProgress, type PulledRef, type PullLocalOptions, type PullRefOptions, type PullRefResult, type FetcherOptions } from './pull/index.js';
export { PullFetchFailed, PullLowSpeed, PullRefNotFound, PullBadRemoteData, PullNoDelta, PullAborted } from './pull/index.js';
export { LooseStore, generateStaticDelta, applyStaticDelta, loadDeltaFromPath, listStaticDeltas, readStaticDelta, deleteStaticDelta, staticDeltaDigests, writeDeltaIndexes, updateSummary, parseDeltaIndex, parseDeltaDigests, superblockCommitMeta } from './delta/index.js';
export { StaticDeltaNotFound, StaticDeltaMissingObject, StaticDeltaChecksumMismatch, StaticDeltaBadOps, type GenerateOptions, type GenerateResult, type UpdateSummaryOptions, type ApplyResult, type LoadedSuperblock } from './delta/index.js';
export * as signing from './sign/index.js';
export { generateEd25519KeyPair, signCommit, verifyCommit, signSummary, verifySummary, type SignatureReport, type SignatureState, type VerifyPolicy, type SignOptions } from './sign/index.js';
export { listRemotes, getRemote, addRemote, deleteRemote, remoteVerification, remoteFetcherOptions, remoteBranches, validateRemoteName, type RemoteConfig, type RemoteLocation, type AddRemoteOptions } from './remote.js';
export * from './remote-errors.js';
export { serveRepo, handleRepoRequest, type ServeOptions, type RunningServer } from './serve.js';
export { pruneRepo, deleteCommit, parseKeepYoungerThan, type PruneOptions, type PruneResult } from './prune.js';
export { regenerateSummary, type RegenerateSummaryOptions } from './summary.js';
export { gHashTableOrder, gStrHash } from './ghash-order.js';
