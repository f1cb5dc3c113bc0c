import { defineError } from '../../core/index.js';

/** No seed where one was asked for: a seed directory without `meta-data`, a path that is not there. */
export const ProvisionSeedNotFound = defineError<{ path: string }>('PROVISION_SEED_NOT_FOUND', 'not-found');
/** A seed disk that is not vfat or iso9660, or cannot be mounted or read. */
export const ProvisionSeedUnreadable = defineError<{ path: string }>('PROVISION_SEED_UNREADABLE', 'failed-precondition');
/** A write_files path outside what a host may change (/etc, /var and the paths that lead into /var), or through a symlink. */
export const ProvisionPathNotWritable = defineError<{ key: string; path: string }>('PROVISION_PATH_NOT_WRITABLE', 'invalid-argument');
/** An owner, group or group member that neither the target's passwd/group nor the seed defines. */
export const ProvisionUnknownName = defineError<{ key: string; name: string }>('PROVISION_UNKNOWN_NAME', 'invalid-argument');
/** The target is not a root to provision (no etc/passwd, no var). */
export const ProvisionTargetInvalid = defineError<{ path: string }>('PROVISION_TARGET_INVALID', 'failed-precondition');
/** A step of applying a seed failed (useradd, writing a file, enabling a unit). */
export const ProvisionStepFailed = defineError<{ step: string }>('PROVISION_STEP_FAILED', 'failed-precondition');
