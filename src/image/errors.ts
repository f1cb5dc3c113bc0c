import { defineError } from '../core/index.js';

/** Image store, unpacking and registry errors. Codes are API: never rename one. */
export const BlobNotFound = defineError<{ digest: string }>('IMAGE_BLOB_NOT_FOUND', 'not-found');
export const DigestMismatch = defineError<{ expected: string; actual: string; size: number }>('IMAGE_DIGEST_MISMATCH', 'corrupt');
export const SizeMismatch = defineError<{ expected: number; actual: number; digest: string }>('IMAGE_SIZE_MISMATCH', 'corrupt');
export const IngestLocked = defineError<{ ref: string }>('IMAGE_INGEST_LOCKED', 'unavailable');
export const ImageNotFound = defineError<{ reference: string }>('IMAGE_NOT_FOUND', 'not-found');
export const ImageAmbiguous = defineError<{ reference: string; matches: string[] }>('IMAGE_AMBIGUOUS', 'invalid-argument');
export const ImageInUse = defineError<{ id: string; reason: string }>('IMAGE_IN_USE', 'conflict');
export const UnsafeLayer = defineError<{ path: string; reason: string }>('IMAGE_UNSAFE_LAYER', 'permission-denied');
export const LayerDiffMismatch = defineError<{ expected: string; actual: string }>('IMAGE_LAYER_DIFF_MISMATCH', 'corrupt');
export const StoreLocked = defineError<{ path: string }>('IMAGE_STORE_LOCKED', 'unavailable');
export const MountFailed = defineError<{ target: string }>('IMAGE_MOUNT_FAILED', 'internal');
export const RegistryError = defineError<{ status: number; code?: string; url: string }>('REGISTRY_ERROR', 'unavailable');
export const RegistryUnauthorized = defineError<{ registry: string; status: number }>('REGISTRY_UNAUTHORIZED', 'permission-denied');
export const RegistryNotFound = defineError<{ url: string; code?: string }>('REGISTRY_NOT_FOUND', 'not-found');
export const RegistryUnreachable = defineError<{ registry: string }>('REGISTRY_UNREACHABLE', 'unavailable');
export const CredentialHelperFailed = defineError<{ helper: string; action: string; registry: string }>('REGISTRY_CREDENTIAL_HELPER_FAILED', 'unavailable');
