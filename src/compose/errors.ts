import { defineError } from '../core/index.js';

/** A treefile that parses but asks for something compose cannot do. */
export const ComposeInvalid = defineError<{ key: string }>('COMPOSE_INVALID', 'invalid-argument');
/** Package installation (mmdebstrap, dnf, rpm) failed. */
export const ComposeInstallFailed = defineError<{ backend: string }>('COMPOSE_INSTALL_FAILED', 'failed-precondition');
/** The composed tree lacks something a bootable host needs, or a postprocess step failed. */
export const ComposePostprocessFailed = defineError<{ step: string }>('COMPOSE_POSTPROCESS_FAILED', 'failed-precondition');
/** check-passwd / check-groups found a changed uid or gid. */
export const ComposePasswdChanged = defineError<{ name: string; previous: number; next: number }>('COMPOSE_PASSWD_CHANGED', 'conflict');
/** A revision names no commit, or a commit lacks the metadata asked for. */
export const ComposeRevNotFound = defineError<{ rev: string }>('COMPOSE_REV_NOT_FOUND', 'not-found');
/** Building a disk image failed. */
export const ComposeImageFailed = defineError<{ step: string }>('COMPOSE_IMAGE_FAILED', 'failed-precondition');
