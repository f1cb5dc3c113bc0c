export { composeTree, backendOf, debianPackageList, checkTreefile, type ComposeTreeOptions, type ComposeResult, type ComposePhase } from './compose.js';
export { ComposeRepo, type ComposeCommit } from './repo.js';
export { diffPackages, renderDiffBlock, renderDiffLines, diffToJson, nevra, evr, type PackageDiff, type PackageChange } from './db-diff.js';
export type { PackageRecord } from './gvariant-text.js';
export { loadTreefile, hostBasearch, type LoadedTreefile } from './treefile-load.js';
export { nextVersion } from './version.js';
export * from './errors.js';
export { buildDiskImage, readBootEntries, renderGrubConfig, sortBootEntries, writeRawDisk, ROOT_LABEL, type BuildImageOptions, type BuildImageResult, type BootEntry } from './image.js';
export { hostTreefileYaml, HOST_PACKAGES, SLIM_INITRAMFS_ARGS, type HostTreefileOptions } from './host-treefile.js';
