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
export { StoreImages } from './store-images.js';
// What the API daemon needs of images (api → engine → image): the store, pull/push and registry credentials.
// A loader rather than value re-exports, so that `berth run` does not pay for the image codecs until it needs them.
export function loadImageApi(): Promise<typeof import('../image/index.js')> {
  return import('../image/index.js');
}
export type {
  ImageStore, ImageRecord, ImageSummary, LoadedImage, RemovedItem, PullOptions, PullResult, PushOptions, PushResult, ProgressMessage,
  ProgressSink, Credentials,
} from '../image/index.js';
