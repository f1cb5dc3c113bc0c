/**
 * Container images: content store, image store, registry client, layer unpacking, rootfs assembly.
 * The engine, the runtime and the API daemon use only what this file exports.
 */
export { buildBusyboxImage, busyboxLayerEntries, DEFAULT_APPLETS } from './testing/busybox.js';
export type { BusyboxImageOptions, BuiltImage } from './testing/busybox.js';
export { buildTar } from './testing/tar-builder.js';
export type { TarEntrySpec } from './testing/tar-builder.js';
export { ContentStore } from './content-store.js';
export type { BlobInfo, BlobReader, IngestWriter } from './content-store.js';
export * from './errors.js';
