/**
 * The engine's image backend on src/image's ImageStore (pulled, loaded and imported images, overlay
 * snapshots), with the directory-based LocalImages alongside. The store (and the image codecs behind it)
 * is loaded only when a reference is not a local image: a CLI start should not pay for it otherwise.
 */
import { stat } from 'node:fs/promises';
import type { ImageStore } from '../image/index.js';
import { LocalImages, type ImageBackend, type ImageRunConfig, type ResolvedImage, type RootfsOptions } from './images.js';
import { NoSuchImage } from './errors.js';

export class StoreImages implements ImageBackend {
  readonly root: string;
  readonly local: LocalImages;
  #store: Promise<ImageStore> | undefined;

  /** `store`: an image store already open on `root` (berthd shares its own); otherwise opened on first use. */
  constructor(root: string, store?: ImageStore) {
    this.root = root;
    this.local = new LocalImages(root);
    if (store !== undefined) this.#store = Promise.resolve(store);
  }

  static async open(root: string): Promise<StoreImages> {
    return new StoreImages(root);
  }

  store(): Promise<ImageStore> {
    this.#store ??= import('../image/image-store.js').then(({ ImageStore: Store }) => Store.open({ root: this.root }));
    return this.#store;
  }

  async resolve(ref: string): Promise<ResolvedImage> {
    const local = await this.local.resolve(ref).catch(() => undefined);
    if (local) return local;
    const store = await this.store();
    const img = await store.find(ref);
    if (img === undefined) throw new NoSuchImage(`No such image: ${ref}`, { ref });
    const cfg = await store.config(img);
    return { id: img.id, ref, config: (cfg.config ?? {}) as ImageRunConfig };
  }

  /** `options.volatile`: see mountOverlay() (local images) and ImageStore.prepareRootfs(). */
  async mountRootfs(containerId: string, imageId: string, containerDir: string, options?: RootfsOptions): Promise<string> {
    if (await this.local.has(imageId)) return this.local.mountRootfs(containerId, imageId, containerDir, options);
    // Mounted at create and still mounted at the start (the usual `run`): nothing to prepare again (the
    // store would rewrite and fsync its lower.json before noticing).
    const merged = `${this.root}/image/rootfs/${containerId}/merged`;
    if (await isOverlayMounted(merged)) return merged;
    return (await (await this.store()).prepareRootfs(imageId, containerId, { volatile: options?.volatile === true })).merged;
  }

  async unmountRootfs(containerId: string, containerDir: string): Promise<void> {
    await this.local.unmountRootfs(containerId, containerDir);
    // The overlay of a store image is mounted under the store, not under containerDir: release it too (its
    // upper directory stays for the next start).
    if (await this.#hasStoreRootfs(containerId)) await (await this.store()).releaseRootfs(containerId);
  }

  async removeRootfs(containerId: string, containerDir: string): Promise<void> {
    await this.local.removeRootfs(containerId, containerDir);
    if (await this.#hasStoreRootfs(containerId)) await (await this.store()).removeRootfs(containerId);
  }

  /** Only containers made from store images have a rootfs there (ImageStore keeps <root>/image/rootfs/<id>). */
  #hasStoreRootfs(containerId: string): Promise<boolean> {
    return stat(`${this.root}/image/rootfs/${containerId}`).then(() => true, () => false);
  }

  async list(): Promise<ResolvedImage[]> {
    return this.local.list();
  }
}

/** True when `dir` is the root of a mount (another device than its parent's). */
async function isOverlayMounted(dir: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([stat(dir), stat(`${dir}/..`)]);
    return a.dev !== b.dev;
  } catch {
    return false;
  }
}
