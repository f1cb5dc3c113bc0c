/**
 * What the engine needs from images: resolve a reference to an image id and its config, and give each
 * container a writable root filesystem. `LocalImages` is the built-in backend: an image is a rootfs
 * directory plus a Docker image config, and a container's root is an overlay (image rootfs as the lower
 * layer, upper/work in the container's directory). The image store of src/image plugs in behind the same
 * interface.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { exec, writeFileAtomic } from '../core/index.js';
import { NoSuchImage } from './errors.js';

/** The `config` object of a Docker/OCI image config (PascalCase as in the format). */
export interface ImageRunConfig {
  readonly Env?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly Entrypoint?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly User?: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly ExposedPorts?: Readonly<Record<string, object>> | null;
  readonly Volumes?: Readonly<Record<string, object>> | null;
  readonly StopSignal?: string;
}

export interface ResolvedImage {
  readonly id: string; // sha256:…
  readonly ref: string; // normalised name:tag
  readonly config: ImageRunConfig;
}

export interface RootfsOptions {
  readonly volatile?: boolean;
}

export interface ImageBackend {
  resolve(ref: string): Promise<ResolvedImage>;
  /**
   * Create (idempotent) and mount the container's root filesystem; returns its path. `volatile`: the
   * container's changes are disposable (--rm), so its overlay may skip syncing them (where supported).
   */
  mountRootfs(containerId: string, imageId: string, containerDir: string, options?: RootfsOptions): Promise<string>;
  unmountRootfs(containerId: string, containerDir: string): Promise<void>;
  /** Unmount and delete the container's writable layer. */
  removeRootfs(containerId: string, containerDir: string): Promise<void>;
  /** Image ids/refs in use decisions and `ps --filter ancestor` need a ref → id lookup. */
  list(): Promise<ResolvedImage[]>;
}

export function normalizeRef(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  const hasTag = ref.slice(lastSlash + 1).includes(':') || ref.includes('@');
  return hasTag ? ref : `${ref}:latest`;
}

async function isMountpoint(path: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([stat(path), stat(`${path}/..`)]);
    return a.dev !== b.dev || a.ino === b.ino;
  } catch {
    return false;
  }
}

/**
 * Overlay helpers shared by backends.
 *
 * `volatile` (overlayfs, Linux ≥ 5.10; Documentation/filesystems/overlayfs.rst, "Volatile mount") skips
 * every sync of the upper layer, including the one at unmount, which otherwise syncs the whole host
 * filesystem under the upper directory and waits behind everyone else's writes. Only for containers whose
 * changes are thrown away (--rm). After an unclean shutdown the kernel refuses the upper again until
 * `work/work/incompat/volatile` is removed: such a container's changes may be incomplete, which --rm does
 * not mind, so that marker is removed before mounting. A kernel without the option gets a plain mount.
 */
export async function mountOverlay(lowerdirs: readonly string[], containerDir: string, options: RootfsOptions = {}): Promise<string> {
  const upper = `${containerDir}/upper`;
  const work = `${containerDir}/work`;
  const merged = `${containerDir}/rootfs`;
  await mkdir(upper, { recursive: true });
  await mkdir(work, { recursive: true });
  await mkdir(merged, { recursive: true });
  if (await isMountpoint(merged)) return merged;
  const opts = `lowerdir=${lowerdirs.join(':')},upperdir=${upper},workdir=${work}`;
  if (options.volatile) {
    await rm(`${work}/work/incompat/volatile`, { recursive: true, force: true });
    const r = await exec(['mount', '-t', 'overlay', 'overlay', '-o', `${opts},volatile`, merged], { check: false });
    if (r.exitCode === 0) return merged;
  }
  await exec(['mount', '-t', 'overlay', 'overlay', '-o', opts, merged]);
  return merged;
}

export async function unmountOverlay(containerDir: string): Promise<void> {
  const merged = `${containerDir}/rootfs`;
  for (let i = 0; i < 5 && (await isMountpoint(merged)); i++) {
    await exec(['umount', merged], { check: false });
    if (await isMountpoint(merged)) await exec(['umount', '-l', merged], { check: false });
  }
}

/**
 * Images as plain directories: `<root>/local-images/<hex>/{rootfs/, config.json, ref}`.
 * Used by tests (busybox rootfs built on the fly) and as the fallback store.
 */
export class LocalImages implements ImageBackend {
  readonly #dir: string;

  constructor(root: string) {
    this.#dir = `${root}/local-images`;
  }

  /** Register `rootfsDir` (moved/copied by the caller beforehand) as image `ref`. Returns the image id. */
  async add(ref: string, rootfsDir: string, fullConfig: object): Promise<string> {
    const bytes = Buffer.from(JSON.stringify(fullConfig));
    const hex = createHash('sha256').update(bytes).update(ref).digest('hex');
    const d = `${this.#dir}/${hex}`;
    await mkdir(d, { recursive: true });
    await rm(`${d}/rootfs`, { recursive: true, force: true });
    await exec(['cp', '-a', rootfsDir, `${d}/rootfs`]);
    await writeFileAtomic(`${d}/config.json`, bytes);
    await writeFileAtomic(`${d}/ref`, normalizeRef(ref));
    return `sha256:${hex}`;
  }

  async has(imageId: string): Promise<boolean> {
    return stat(`${this.#dir}/${imageId.replace(/^sha256:/, '')}/rootfs`).then(() => true, () => false);
  }

  async list(): Promise<ResolvedImage[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return [];
    }
    const out: ResolvedImage[] = [];
    for (const hex of names) {
      try {
        const ref = await readFile(`${this.#dir}/${hex}/ref`, 'utf8');
        const cfg = JSON.parse(await readFile(`${this.#dir}/${hex}/config.json`, 'utf8')) as { config?: ImageRunConfig };
        out.push({ id: `sha256:${hex}`, ref, config: cfg.config ?? {} });
      } catch {
        /* half-written image: skip */
      }
    }
    return out;
  }

  async resolve(ref: string): Promise<ResolvedImage> {
    const all = await this.list();
    const want = normalizeRef(ref);
    const bare = ref.replace(/^sha256:/, '');
    const hit = all.find((i) => i.ref === want) ?? (bare.length >= 6 ? all.find((i) => i.id.slice(7).startsWith(bare)) : undefined);
    if (hit === undefined) throw new NoSuchImage(`No such image: ${ref}`, { ref });
    return hit;
  }

  mountRootfs(_containerId: string, imageId: string, containerDir: string, options?: RootfsOptions): Promise<string> {
    return mountOverlay([`${this.#dir}/${imageId.replace(/^sha256:/, '')}/rootfs`], containerDir, options);
  }

  unmountRootfs(_containerId: string, containerDir: string): Promise<void> {
    return unmountOverlay(containerDir);
  }

  async removeRootfs(containerId: string, containerDir: string): Promise<void> {
    await this.unmountRootfs(containerId, containerDir);
    await rm(`${containerDir}/upper`, { recursive: true, force: true });
    await rm(`${containerDir}/work`, { recursive: true, force: true });
  }
}
