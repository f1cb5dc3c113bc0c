import { defineError } from '../core/index.js';

export const RemoteNotFound = defineError<{ remote: string }>('REMOTE_NOT_FOUND', 'not-found');
export const RemoteExists = defineError<{ remote: string }>('REMOTE_EXISTS', 'already-exists');
export const RemoteBadName = defineError<{ remote: string }>('REMOTE_BAD_NAME', 'invalid-argument');
export const RemoteBadOption = defineError<{ remote: string; option: string }>('REMOTE_BAD_OPTION', 'invalid-argument');
