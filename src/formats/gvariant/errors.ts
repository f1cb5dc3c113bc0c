import { defineError } from '../../core/index.js';

/** The bytes end before the value they claim to hold. */
export const GVariantTruncated = defineError<{ type: string; offset: number; need: number; have: number }>(
  'FORMAT_GVARIANT_TRUNCATED',
  'corrupt',
);
/** A framing offset points outside its container or backwards. */
export const GVariantBadOffset = defineError<{ type: string; offset: number }>('FORMAT_GVARIANT_BAD_OFFSET', 'corrupt');
/** Well-formed bytes that are not in GVariant normal form (padding, offset width, slack). */
export const GVariantNotNormal = defineError<{ type: string }>('FORMAT_GVARIANT_NOT_NORMAL', 'corrupt');
/** A serialised value that is impossible for its type (a boolean 2, a string without NUL, bad UTF-8). */
export const GVariantBadData = defineError<{ type: string; offset: number }>('FORMAT_GVARIANT_BAD_DATA', 'corrupt');
/** A type string that does not parse as exactly one complete GVariant type. */
export const GVariantBadType = defineError<{ type: string }>('FORMAT_GVARIANT_BAD_TYPE', 'invalid-argument');
/** A JavaScript value that does not fit the GVariant type it is encoded as. */
export const GVariantBadValue = defineError<{ type: string; path: string }>('FORMAT_GVARIANT_BAD_VALUE', 'invalid-argument');
