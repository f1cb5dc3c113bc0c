/**
 * Container images: content store, image store, registry client, layer unpacking, rootfs assembly.
 * The engine, the runtime and the API daemon use only what this file exports.
 *
 *   const store = await ImageStore.open({ root: defaultRoot() });
 *   await store.pull('busybox');                       // or load(), importOciLayout()
 *   const cfg = await store.config('busybox');         // Env, Cmd, Entrypoint, WorkingDir, User, Labels…
 *   const fs = await store.prepareRootfs('busybox', containerId);   // fs.merged is the rootfs
 *   await fs.release();                                // unmount, keep changes; fs.remove() deletes them
 */
// Test helpers (also `berth daemon --guide`'s demo image) load on first call: product code that imports this file
// (`berth run`, `berth images`) does not pay for tar-stream, node:http and the registry harness.
export { DEFAULT_APPLETS, TEST_REGISTRY_USER, TEST_REGISTRY_PASSWORD } from './testing/constants.js';
export type { BusyboxImageOptions, BuiltImage } from './testing/busybox.js';
export type { TarEntrySpec } from './testing/tar-builder.js';
export type { TestRegistry, RegistryAuthMode } from './testing/registry.js';
export async function buildBusyboxImage(...args: Parameters<typeof import('./testing/busybox.js').buildBusyboxImage>): Promise<import('./testing/busybox.js').BuiltImage> {
  return (await import('./testing/busybox.js')).buildBusyboxImage(...args);
}
export async function busyboxLayerEntries(...args: Parameters<typeof import('./testing/busybox.js').busyboxLayerEntries>): Promise<import('./testing/tar-builder.js').TarEntrySpec[]> {
  return (await import('./testing/busybox.js')).busyboxLayerEntries(...args);
}
export async function buildTar(...args: Parameters<typeof import('./testing/tar-builder.js').buildTar>): Promise<Buffer> {
  return (await import('./testing/tar-builder.js')).buildTar(...args);
}
export async function startTestRegistry(...args: Parameters<typeof import('./testing/registry.js').startTestRegistry>): Promise<import('./testing/registry.js').TestRegistry> {
  return (await import('./testing/registry.js')).startTestRegistry(...args);
}
export { ContentStore } from './content-store.js';
export type { BlobInfo, BlobReader, IngestWriter } from './content-store.js';
export { ImageStore, defaultRoot, hostPlatform } from './image-store.js';
export type { ImageRecord, ImageStoreOptions, ImageSummary, LayerRecord, LoadedImage, RemovedItem, RootfsHandle } from './image-store.js';
export { unpackLayer } from './unpack.js';
export type { UnpackOptions, UnpackResult } from './unpack.js';
export { decompressLayer } from './decompress.js';
export * from './errors.js';
export { pullImage, clientFor } from './pull.js';
export type { PullOptions, PullResult, RegistryAccess } from './pull.js';
export { pushImage } from './push.js';
export type { PushOptions, PushResult } from './push.js';
export type { ProgressMessage, ProgressSink } from './progress.js';
export { RegistryClient, isLoopbackRegistry } from './registry/client.js';
export type { RegistryClientOptions, FetchedManifest } from './registry/client.js';
export { authFilePath, readCredentials, storeCredentials, removeCredentials } from './registry/auth-config.js';
export type { Credentials } from './registry/auth-config.js';
