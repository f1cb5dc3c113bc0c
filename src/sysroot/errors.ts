import { defineError } from '../core/index.js';

export const SysrootNotFound = defineError<{ path: string }>('SYSROOT_NOT_FOUND', 'not-found');
export const SysrootCorrupt = defineError<{ path: string }>('SYSROOT_CORRUPT', 'corrupt');
export const StaterootNotFound = defineError<{ stateroot: string }>('SYSROOT_STATEROOT_NOT_FOUND', 'not-found');
export const StaterootExists = defineError<{ stateroot: string }>('SYSROOT_STATEROOT_EXISTS', 'already-exists');
export const DeploymentNotFound = defineError<{ index: number }>('SYSROOT_DEPLOYMENT_NOT_FOUND', 'not-found');
export const BootedDeploymentRemoval = defineError<{ deployment: string }>('SYSROOT_REMOVE_BOOTED', 'failed-precondition');
export const NotBooted = defineError<Record<string, never>>('SYSROOT_NOT_BOOTED', 'failed-precondition');
export const NoKernel = defineError<{ deployment: string }>('SYSROOT_NO_KERNEL', 'failed-precondition');
export const BadTree = defineError<{ path: string }>('SYSROOT_BAD_TREE', 'failed-precondition');
export const NoOrigin = defineError<{ deployment: string }>('SYSROOT_NO_ORIGIN', 'failed-precondition');
export const NoRollbackTarget = defineError<Record<string, never>>('SYSROOT_NO_ROLLBACK_TARGET', 'failed-precondition');
export const StagedLocked = defineError<Record<string, never>>('SYSROOT_STAGED_LOCKED', 'failed-precondition');
export const KargsNotChanged = defineError<{ arg: string }>('SYSROOT_KARG_NOT_FOUND', 'invalid-argument');
export const VersionNotFound = defineError<{ version: string; ref: string }>('SYSROOT_VERSION_NOT_FOUND', 'not-found');
export const InjectedFault = defineError<{ step: string }>('SYSROOT_INJECTED_FAULT', 'aborted');
export const SysrootLocked = defineError<{ path: string }>('SYSROOT_LOCKED', 'unavailable');
