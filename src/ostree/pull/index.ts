// The pull side of the repository (issue 4), also a narrower public entry for the CLI's `ostree pull`: it loads
// the fetcher, the pull, the static-delta applier, signature checks and remotes, not commit, checkout, fsck, prune,
// serve or delta generation (scripts/check-layers.mjs, NARROW_ENTRIES). Everything here is in ostree/index.ts too.
export * from './errors.js';
export * from './fetcher.js';
export * from './pull.js';
export * from './pull-local.js';
export * from './pull-ref.js';
export { LooseStore } from '../delta/store.js';
export { getRemote, remoteBranches, remoteFetcherOptions, remoteVerification } from '../remote.js';
