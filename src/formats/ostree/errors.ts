import { defineError } from '../../core/index.js';

export const OstreeBadChecksum = defineError<{ checksum: string }>('FORMAT_OSTREE_BAD_CHECKSUM', 'invalid-argument');
export const OstreeBadFilename = defineError<{ name: string }>('FORMAT_OSTREE_BAD_FILENAME', 'corrupt');
export const OstreeBadMode = defineError<{ mode: number; what: string }>('FORMAT_OSTREE_BAD_MODE', 'corrupt');
/** A metadata object whose fields break ostree's rules (checksum lengths, order, empty keys). */
export const OstreeBadObject = defineError<{ type: string; reason: string }>('FORMAT_OSTREE_BAD_OBJECT', 'corrupt');
export const OstreeBadBase64 = defineError<{ text: string }>('FORMAT_OSTREE_BAD_BASE64', 'invalid-argument');
