import { defineError } from '../../core/index.js';

/** Errors of the pure OCI / Docker image codecs. Codes are API: never rename one. */
export const InvalidReference = defineError<{ reference: string }>('IMAGE_INVALID_REFERENCE', 'invalid-argument');
export const InvalidDigest = defineError<{ digest: string }>('IMAGE_INVALID_DIGEST', 'invalid-argument');
export const InvalidManifest = defineError<{ reason: string }>('IMAGE_INVALID_MANIFEST', 'corrupt');
export const InvalidImageConfig = defineError<{ reason: string }>('IMAGE_INVALID_CONFIG', 'corrupt');
export const UnsupportedMediaType = defineError<{ mediaType: string }>('IMAGE_UNSUPPORTED_MEDIA_TYPE', 'failed-precondition');
export const NoMatchingPlatform = defineError<{ wanted: string; available: string[] }>('IMAGE_NO_MATCHING_PLATFORM', 'not-found');
export const InvalidArchive = defineError<{ reason: string }>('IMAGE_INVALID_ARCHIVE', 'invalid-argument');
