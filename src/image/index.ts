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
export { buildBusyboxImage, busyboxLayerEntries, DEFAULT_APPLETS } from './testing/busybox.js';
export type { BusyboxImageOptions, BuiltImage } from './testing/busybox.js';
export { buildTar } from './testing/tar-builder.js';
export type { TarEntrySpec } from './testing/tar-builder.js';
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
export { startTestRegistry, TEST_REGISTRY_USER, TEST_REGISTRY_PASSWORD } from './testing/registry.js';
export type { TestRegistry, RegistryAuthMode } from './testing/registry.js';
