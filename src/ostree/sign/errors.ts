import { defineError } from '../../core/index.js';

/** A key that is not base64 of the right length (32-byte public, 64-byte secret) or cannot be read. */
export const SignBadKey = defineError<{ key: string; reason: string }>('SIGN_BAD_KEY', 'invalid-argument');
/** A signature type berth does not know (ostree 2022.7 knows ed25519 and GPG). */
export const SignUnknownType = defineError<{ type: string }>('SIGN_UNKNOWN_TYPE', 'invalid-argument');
/** Creating a signature failed (gpg refused, no secret key). */
export const SignFailed = defineError<{ type: string; key: string }>('SIGN_FAILED', 'failed-precondition');
/**
 * Verification was required and failed: unsigned, unknown key or invalid signature. Names the
 * object (commit checksum or "summary"), the remote and the key(s).
 */
export const SignVerifyFailed = defineError<{
  object: string;
  remote: string | undefined;
  type: string;
  state: string;
  keys: readonly string[];
}>('SIGN_VERIFY_FAILED', 'permission-denied');
