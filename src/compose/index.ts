export { composeTree, backendOf, debianPackageList, checkTreefile, type ComposeTreeOptions, type ComposeResult, type ComposePhase } from './compose.js';
export { ComposeRepo, type ComposeCommit } from './repo.js';
export { diffPackages, renderDiffBlock, renderDiffLines, diffToJson, nevra, evr, type PackageDiff, type PackageChange } from './db-diff.js';
export type { PackageRecord } from './gvariant-text.js';
export { loadTreefile, hostBasearch, type LoadedTreefile } from './treefile-load.js';
export { nextVersion } from './version.js';
export * from './errors.js';
