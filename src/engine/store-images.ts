/**
 * The engine's image backend on src/image's ImageStore (pulled, loaded and imported images, overlay
 * snapshots), with the directory-based LocalImages as a fallback for rootfs-directory images.
 */
import { ImageStore } from '../image/index.js';
import { LocalImages, type ImageBackend, type ImageRunConfig, type ResolvedImage } from './images.js';
import { NoSuchImage } from './errors.js';

export class StoreImages implements ImageBackend {
  readonly store: ImageStore;
  readonly local: LocalImages;

  constructor(store: ImageStore, local: LocalImages) {
    this.store = store;
    this.local = local;
  }

  static async open(root: string): Promise<StoreImages> {
    return new StoreImages(await ImageStore.open({ root }), new LocalImages(root));
  }

  async resolve(ref: string): Promise<ResolvedImage> {
    const img = await this.store.find(ref);
    if (img === undefined) {
      try {
        return await this.local.resolve(ref);
      } catch {
        throw new NoSuchImage(`No such image: ${ref}`, { ref });
      }
    }
    const cfg = await this.store.config(img);
    return { id: img.id, ref, config: (cfg.config ?? {}) as ImageRunConfig };
  }

  async mountRootfs(containerId: string, imageId: string, containerDir: string): Promise<string> {
    if (await this.local.has(imageId)) return this.local.mountRootfs(containerId, imageId, containerDir);
    return (await this.store.prepareRootfs(imageId, containerId)).merged;
  }

  async unmountRootfs(containerId: string, containerDir: string): Promise<void> {
    await this.local.unmountRootfs(containerId, containerDir);
  }

  async removeRootfs(containerId: string, containerDir: string): Promise<void> {
    await this.local.removeRootfs(containerId, containerDir);
    await this.store.removeRootfs(containerId);
  }

  async list(): Promise<ResolvedImage[]> {
    const out: ResolvedImage[] = [...(await this.local.list())];
    for (const s of await this.store.list()) {
      const id = (s as unknown as { id?: string; Id?: string }).id ?? (s as unknown as { Id?: string }).Id ?? '';
      out.push({ id, ref: id, config: {} });
    }
    return out;
  }
}
