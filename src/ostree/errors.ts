import { defineError } from '../core/index.js';

export const RepoNotFound = defineError<{ path: string }>('REPO_NOT_FOUND', 'not-found');
export const RepoExists = defineError<{ path: string }>('REPO_EXISTS', 'already-exists');
export const RepoBadConfig = defineError<{ path: string; reason: string }>('REPO_BAD_CONFIG', 'corrupt');
export const RepoBadMode = defineError<{ mode: string }>('REPO_BAD_MODE', 'invalid-argument');
export const ObjectNotFound = defineError<{ checksum: string; type: string }>('REPO_OBJECT_NOT_FOUND', 'not-found');
export const ObjectCorrupt = defineError<{ checksum: string; type: string; reason: string }>('REPO_OBJECT_CORRUPT', 'corrupt');
export const InvalidRef = defineError<{ ref: string }>('REPO_INVALID_REF', 'invalid-argument');
export const RefNotFound = defineError<{ ref: string }>('REPO_REF_NOT_FOUND', 'not-found');
export const AmbiguousRev = defineError<{ rev: string }>('REPO_AMBIGUOUS_REV', 'invalid-argument');
export const UnsupportedFileType = defineError<{ path: string }>('REPO_UNSUPPORTED_FILE_TYPE', 'invalid-argument');
export const BadTarEntry = defineError<{ entry: string; reason: string }>('REPO_BAD_TAR_ENTRY', 'invalid-argument');
export const CheckoutExists = defineError<{ path: string }>('REPO_CHECKOUT_EXISTS', 'already-exists');
export const HardlinkFailed = defineError<{ path: string }>('REPO_HARDLINK_FAILED', 'failed-precondition');
export const XattrsUnsupported = defineError<{ path: string }>('REPO_XATTRS_UNSUPPORTED', 'failed-precondition');
export const BadCommitOption = defineError<{ option: string }>('REPO_BAD_COMMIT_OPTION', 'invalid-argument');
export const RepoLocked = defineError<{ path: string; kind: string }>('REPO_LOCKED', 'unavailable');
