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
// tar-stream is loaded on first use (a CLI start should not compile it).
export async function copyFromDir(hostPath: string): Promise<import('node:stream').Readable> {
  return (await import('./tar-copy.js')).copyFromDir(hostPath);
}
export async function copyToDir(destDir: string, tar: import('node:stream').Readable): Promise<void> {
  return (await import('./tar-copy.js')).copyToDir(destDir, tar);
}
export * as testing from './test-support.js';
export { StoreImages } from './store-images.js';
import { Engine as EngineClass, defaultRoot as rootDefault } from './engine.js';
import { StoreImages as Images } from './store-images.js';
import type { EngineOptions as Options } from './types.js';
/**
 * The engine on the image store under `options.root` (the composition the CLI and berthd use).
 * A daemon should call `restore()` once at start so `always`/`unless-stopped` containers come back after a reboot.
 */
export async function openEngine(options: Options = {}): Promise<EngineClass> {
  const root = options.root ?? rootDefault();
  return new EngineClass(await Images.open(root), { ...options, root });
}
// What the API daemon needs of images (api → engine → image): the store, pull/push and registry credentials.
// A loader rather than value re-exports, so that `berth run` does not pay for the image codecs until it needs them.
export function loadImageApi(): Promise<typeof import('../image/index.js')> {
  return import('../image/index.js');
}
export type {
  ImageStore, ImageRecord, ImageSummary, LoadedImage, RemovedItem, PullOptions, PullResult, PushOptions, PushResult, ProgressMessage,
  ProgressSink, Credentials,
} from '../image/index.js';
