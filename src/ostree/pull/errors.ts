import { defineError } from '../../core/index.js';

/** An HTTP request failed for good (after retries), or returned an unexpected status. */
export const PullFetchFailed = defineError<{ url: string; status: number | undefined; attempts: number }>('PULL_FETCH_FAILED', 'unavailable');
/** Nothing arrived for longer than the low-speed timeout. */
export const PullLowSpeed = defineError<{ url: string; seconds: number }>('PULL_LOW_SPEED', 'unavailable');
/** The remote has no such ref (not in its summary, no refs/heads file). */
export const PullRefNotFound = defineError<{ remote: string; ref: string }>('PULL_REF_NOT_FOUND', 'not-found');
/** The remote's data breaks a rule: not an archive repo, a commit not bound to the ref pulled, a bad object. */
export const PullBadRemoteData = defineError<{ remote: string; what: string }>('PULL_BAD_REMOTE_DATA', 'corrupt');
/** `--require-static-deltas` and the remote offers no delta to the target. */
export const PullNoDelta = defineError<{ remote: string; commit: string }>('PULL_NO_DELTA', 'not-found');
/** The pull was aborted (signal). */
export const PullAborted = defineError<{ remote: string }>('PULL_ABORTED', 'aborted');
