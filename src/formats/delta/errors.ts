import { defineError } from '../../core/index.js';

/** Errors of the pure static-delta codecs. Codes are API: never rename one. */

/** Delta bytes end before the value they claim to hold (a varint, a bsdiff record, an op argument). */
export const DeltaTruncated = defineError<{ what: string; offset: number }>('DELTA_TRUNCATED', 'corrupt');
/** A varint longer than 10 bytes or larger than a safe integer. */
export const DeltaVarintOverflow = defineError<{ offset: number }>('DELTA_VARINT_OVERFLOW', 'corrupt');
/** A superblock, part or bsdiff patch that decodes but breaks the format's rules. */
export const DeltaMalformed = defineError<{ what: string; reason: string }>('DELTA_MALFORMED', 'corrupt');
/** A delta name or path that is not `FROM-TO` / `TO` with 64-hex checksums. */
export const DeltaBadName = defineError<{ name: string }>('DELTA_BAD_NAME', 'invalid-argument');
