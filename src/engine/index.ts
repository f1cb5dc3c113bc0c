/**
 * The container engine: the one facade the CLI, the Docker API daemon and the cluster agent drive.
 * Layering: api → engine → runtime → image. The API imports only this file.
 */
export type * from './types.js';
export type { ContainerEngine } from './engine-api.js';
export { Engine, defaultRoot, normalizeSignal, statusText, generatedName, MONITOR_NODE_FLAGS } from './engine.js';
export type { ContainerRecord } from './engine.js';
export { LocalImages, normalizeRef, mountOverlay, unmountOverlay } from './images.js';
export type { ImageBackend, ImageRunConfig, ResolvedImage } from './images.js';
export * from './errors.js';
export * from './options.js';
export { humanDuration } from './render.js';
export { copyFromDir, copyToDir } from './tar-copy.js';
export * as testing from './test-support.js';
