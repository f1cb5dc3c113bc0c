import { defineError } from '../../core/index.js';

/** No static delta by that name (or no superblock at that path). */
export const StaticDeltaNotFound = defineError<{ name: string }>('STATIC_DELTA_NOT_FOUND', 'not-found');
/** Applying needs the from-commit (or a fallback / read-source object) that the repo lacks. */
export const StaticDeltaMissingObject = defineError<{ name: string; checksum: string; type: string }>('STATIC_DELTA_MISSING_OBJECT', 'failed-precondition');
/** A superblock or part whose SHA-256 does not match what the summary, index or superblock says. */
export const StaticDeltaChecksumMismatch = defineError<{ name: string; what: string; expected: string; actual: string }>('STATIC_DELTA_CHECKSUM_MISMATCH', 'corrupt');
/** Ops that do not fit the part they run in (object list exhausted, op out of sequence, size mismatch). */
export const StaticDeltaBadOps = defineError<{ name: string; part: number; reason: string }>('STATIC_DELTA_BAD_OPS', 'corrupt');
