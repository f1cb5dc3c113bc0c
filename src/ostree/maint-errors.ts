import { defineError } from '../core/index.js';

// Errors of the read-side and maintenance operations (log, show, ls, cat, diff, fsck, prune,
// summary). Messages follow ostree 2022.7's wording, since scripts match on them.

/** A loose object that should exist does not (`No such metadata object X.commit`). */
export const ObjectMissing = defineError<{ checksum: string; type: string }>('REPO_OBJECT_MISSING', 'not-found');
/** A rev that names no ref and no commit (`Refspec 'x' not found`). */
export const RevNotFound = defineError<{ rev: string }>('REPO_REV_NOT_FOUND', 'not-found');
/** `REV^` on a commit without a parent. */
export const NoParent = defineError<{ checksum: string }>('REPO_NO_PARENT', 'not-found');
/** A path inside a commit that does not exist, or is of the wrong kind for the operation. */
export const NoSuchPath = defineError<{ path: string }>('REPO_NO_SUCH_PATH', 'not-found');
/** A metadata key asked for with `show --print-metadata-key` that the commit lacks. */
export const NoMetadataKey = defineError<{ key: string }>('REPO_NO_METADATA_KEY', 'not-found');
/** An object whose bytes do not hash to its name, or whose structure is invalid. */
export const ObjectChecksumMismatch = defineError<{ checksum: string; type: string; actual: string }>('REPO_OBJECT_CHECKSUM_MISMATCH', 'corrupt');
/** fsck found corruption (its details went to stderr already). */
export const FsckCorruption = defineError<{ corrupt: number; partial: number }>('REPO_FSCK_CORRUPTION', 'corrupt');
/** The path given with --repo is not a repository. */
export const NotARepo = defineError<{ path: string }>('REPO_NOT_A_REPO', 'not-found');
/** A malformed option value of a maintenance verb (`--keep-younger-than`, `--depth`). */
export const BadMaintOption = defineError<{ option: string; value: string }>('REPO_BAD_MAINT_OPTION', 'invalid-argument');
/** `prune --delete-commit` of a commit that a ref still points at. */
export const CommitReferenced = defineError<{ checksum: string; ref: string }>('REPO_COMMIT_REFERENCED', 'failed-precondition');
/** A content object that cannot be read as one (bare-user object without its user.ostreemeta). */
export const ObjectUnreadable = defineError<{ checksum: string; reason: string }>('REPO_OBJECT_UNREADABLE', 'corrupt');
