export * from './deployment.js';
export * from './errors.js';
export type { CommitInfo, SysrootRepo, TreeDiff } from './repo-port.js';
export { Sysroot, type SysrootOptions, type Failpoint, bootRecordPath, stagedStatePath, kargsWithoutOstree, readOriginFile } from './sysroot.js';
export { writeDeployments, fullSystemSync, type WriteDeploymentsResult } from './write-deployments.js';
export { deploy, deployTree, planSimpleWrite, type DeployOptions, type DeployResult, type SimpleWriteOptions } from './deploy.js';
export { cleanup, type CleanupResult } from './cleanup.js';
export { stage, finalizeStaged, dropStaged, isFinalizationLocked, stagedLockPath } from './staging.js';
export { diffEtc, mergeEtc, type EtcMergeReport, type EtcChange } from './etc-merge.js';
export { findKernel, type KernelLayout } from './kernel.js';
export { OstreeCliRepo } from './ostree-cli-repo.js';
export { bootCheck, markTentative, readBootState, recordBoot, healthChecksOf, bootStatePath, DEFAULT_MAX_BOOT_ATTEMPTS, type BootOutcome, type BootState, type HealthCheck } from './health.js';
export { BerthRepo } from './repo-adapter.js';
/** Helpers for tests of this and other subsystems (tmpfs sysroots, trees, real-ostree commits). */
export * as sysrootTesting from './testing.js';
export { setKargsInPlace } from './kargs.js';
export { lockSysroot, type SysrootLock } from './lock.js';
export { readBootEntries, sortBootEntries, renderGrubConfig, usesGrubMenu, writeGrubMenu, GRUB_STUB_SOURCE_LINE, type BootEntry } from './grub-menu.js';
