import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { exec, isErrno, joinWithin, writeFileAtomic } from '../core/index.js';
import { ANNOTATION, MEDIA_TYPE, OCI_LAYOUT_FILE, chainIds, digestHex, familiarReference, familiarRepository, formatIndex, formatManifest, formatReference, layerCompression, looksLikeImageId, parseImageConfig, parseManifest, parseReference, repositoryName, selectPlatformManifest, sha256Digest, withDefaultTag, type Descriptor, type ImageConfig, type ImageManifest, type ImageReference, type Platform } from '../formats/oci/index.js';
import { formatArchiveManifest, formatRepositories, parseArchiveManifest } from '../formats/docker/index.js';
import { ContentStore, type BlobInfo } from './content-store.js';
import { decompressLayer } from './decompress.js';
import { ImageAmbiguous, ImageInUse, ImageNotFound, LayerDiffMismatch, MountFailed } from './errors.js';
import { InvalidArchive } from '../formats/oci/index.js';
import { FileLock } from './lock.js';
import { unpackLayer } from './unpack.js';

/**
 * The image store: images by ID (sha256 of the exact config bytes) and by name, on top of the
 * content store, with layers unpacked once into snapshots keyed by chain ID and container rootfs
 * assembled with overlayfs.
 *
 * On disk under `<root>/image/`: `content/` (blobs, ingests), `snapshots/<chain hex>/fs` (one
 * unpacked layer each, an overlay lowerdir), `rootfs/<container id>/{upper,work,merged}`,
 * `images.json` (the index, replaced atomically under `images.lock`), `tmp/`.
 */
export interface LayerRecord {
  readonly diffId: string;
  /** The blob this layer is stored as (compressed as pulled, or the plain tar when loaded from an archive). */
  readonly blob: Descriptor;
  /** Uncompressed tar size, when known. */
  readonly diffSize?: number;
}

export interface ImageRecord {
  readonly id: string;
  readonly config: Descriptor;
  readonly layers: readonly LayerRecord[];
  /** The single-platform manifest describing this image, bytes in the content store. */
  readonly manifest?: Descriptor;
  /** The index it was chosen from, when it came from one. */
  readonly index?: Descriptor;
  /** Normalised "domain/path@sha256:…" digests this image is known by in registries. */
  readonly repoDigests: readonly string[];
  /** Normalised repositories (domain/path) its blobs exist in: candidates for cross-repository mounts. */
  readonly sources: readonly string[];
  readonly created?: string;
  /** Bytes of the unpacked layers (docker's Size). */
  readonly size: number;
  readonly addedAt: string;
}

interface IndexFile {
  version: 1;
  images: Record<string, ImageRecord>;
  tags: Record<string, string>; // normalised "domain/path:tag" -> id
}

export interface ImageSummary {
  readonly id: string;
  /** Familiar "repo:tag" names. */
  readonly repoTags: readonly string[];
  /** Familiar "repo@sha256:…" digests. */
  readonly repoDigests: readonly string[];
  readonly created: number; // unix seconds
  readonly size: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly parentId: string;
}

export interface ImageStoreOptions {
  /** berth's state root (/var/lib/berth as root, ./.berth otherwise); image data lives in `<root>/image`. */
  readonly root: string;
  /** Platform chosen from image indexes (default linux/<host arch>). */
  readonly platform?: Platform;
  /** Tells whether containers use an image, so rmi refuses (without force) and prune spares it. */
  readonly isImageInUse?: (id: string) => boolean | Promise<boolean>;
}

export interface RootfsHandle {
  readonly merged: string;
  readonly upper: string;
  readonly work: string;
  /** Unmounts; the container's changes (upper) stay for the next prepareRootfs(). */
  release(): Promise<void>;
  /** Unmounts and deletes the container's layer. */
  remove(): Promise<void>;
}

export interface LoadedImage {
  readonly id: string;
  readonly tags: readonly string[]; // familiar
}

export interface RemovedItem {
  readonly Untagged?: string;
  readonly Deleted?: string;
}

export function hostPlatform(): Platform {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return { os: 'linux', architecture: arch };
}

/** berth's default state root: /var/lib/berth when root, ./.berth otherwise. */
export function defaultRoot(cwd = process.cwd()): string {
  return process.getuid?.() === 0 ? '/var/lib/berth' : path.join(cwd, '.berth');
}

function normalizeName(name: string): ImageReference {
  return withDefaultTag(parseReference(name));
}

function fullId(id: string): string {
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}

export class ImageStore {
  readonly dir: string;
  readonly content: ContentStore;
  readonly platform: Platform;
  readonly #lock: FileLock;
  readonly #isImageInUse: ((id: string) => boolean | Promise<boolean>) | undefined;
  readonly #snapshotting = new Map<string, Promise<void>>();
  readonly #inflight = new Map<string, Promise<unknown>>();

  private constructor(options: ImageStoreOptions) {
    this.dir = path.join(options.root, 'image');
    this.content = new ContentStore(path.join(this.dir, 'content'));
    this.platform = options.platform ?? hostPlatform();
    this.#lock = new FileLock(path.join(this.dir, 'images.lock'));
    this.#isImageInUse = options.isImageInUse;
  }

  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const store = new ImageStore(options);
    await store.content.init();
    for (const d of ['snapshots', 'rootfs', 'tmp']) await fsp.mkdir(path.join(store.dir, d), { recursive: true });
    return store;
  }

  get snapshotsDir(): string {
    return path.join(this.dir, 'snapshots');
  }

  // ---- index -------------------------------------------------------------------------------

  async #read(): Promise<IndexFile> {
    try {
      const json = JSON.parse(await fsp.readFile(path.join(this.dir, 'images.json'), 'utf8')) as IndexFile;
      return json;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { version: 1, images: {}, tags: {} };
      throw err;
    }
  }

  async #write(index: IndexFile): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'images.json'), `${JSON.stringify(index, null, 1)}\n`);
  }

  #mutate<T>(fn: (index: IndexFile) => Promise<T> | T): Promise<T> {
    return this.#lock.run(async () => {
      const index = await this.#read();
      const out = await fn(index);
      await this.#write(index);
      return out;
    });
  }

  /** Resolves a name ("busybox", "a/b:t", "r@sha256:…"), a full ID or a unique ID prefix. */
  async resolve(reference: string): Promise<ImageRecord> {
    const index = await this.#read();
    return this.#resolveIn(index, reference);
  }

  /** Like resolve(), undefined when there is no such image. */
  async find(reference: string): Promise<ImageRecord | undefined> {
    try {
      return await this.resolve(reference);
    } catch (err) {
      if (ImageNotFound.is(err)) return undefined;
      throw err;
    }
  }

  #resolveIn(index: IndexFile, reference: string): ImageRecord {
    const notFound = (): never => {
      throw new ImageNotFound(`No such image: ${reference}`, { reference });
    };
    if (/^(?:sha256:)?[0-9a-f]{64}$/.test(reference)) return index.images[fullId(reference)] ?? notFound();
    let ref: ImageReference | undefined;
    try {
      ref = normalizeName(reference);
    } catch {
      ref = undefined;
    }
    if (ref !== undefined) {
      if (ref.digest !== undefined) {
        const repo = repositoryName(ref);
        const wanted = `${repo}@${ref.digest}`;
        const hit = Object.values(index.images).find(
          (img) => img.repoDigests.includes(wanted) || (img.manifest?.digest === ref.digest && img.sources.includes(repo)),
        );
        if (hit) return hit;
      } else {
        const id = index.tags[formatReference(ref)];
        if (id !== undefined && index.images[id]) return index.images[id];
      }
    }
    if (looksLikeImageId(reference)) {
      const prefix = fullId(reference);
      const matches = Object.keys(index.images).filter((id) => id.startsWith(prefix));
      if (matches.length === 1) return index.images[matches[0]!]!;
      if (matches.length > 1) {
        throw new ImageAmbiguous(`Image ID prefix ${JSON.stringify(reference)} is ambiguous`, { reference, matches });
      }
    }
    return notFound();
  }

  async list(): Promise<ImageSummary[]> {
    const index = await this.#read();
    const tagsOf = new Map<string, string[]>();
    for (const [name, id] of Object.entries(index.tags)) {
      (tagsOf.get(id) ?? tagsOf.set(id, []).get(id)!).push(familiarReference(parseReference(name)));
    }
    const out: ImageSummary[] = [];
    for (const img of Object.values(index.images)) {
      const config = await this.config(img);
      out.push({
        id: img.id,
        repoTags: (tagsOf.get(img.id) ?? []).sort(),
        repoDigests: img.repoDigests.map((d) => familiarReference(parseReference(d))),
        created: img.created && Number.isFinite(Date.parse(img.created)) ? Math.floor(Date.parse(img.created) / 1000) : 0,
        size: img.size,
        labels: { ...(config.config?.Labels ?? {}) },
        parentId: '',
      });
    }
    return out.sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
  }

  /** Normalised names pointing at an image. */
  async tagsOf(id: string): Promise<string[]> {
    const index = await this.#read();
    return Object.entries(index.tags).filter(([, v]) => v === id).map(([k]) => k).sort();
  }

  async config(image: ImageRecord | string): Promise<ImageConfig> {
    const img = typeof image === 'string' ? await this.resolve(image) : image;
    return parseImageConfig(await this.content.readBytes(img.config.digest));
  }

  async configBytes(image: ImageRecord): Promise<Buffer> {
    return this.content.readBytes(image.config.digest);
  }

  async tag(source: string, target: string): Promise<void> {
    const ref = normalizeName(target);
    if (ref.digest !== undefined) throw new RangeError(`Cannot tag with a digest reference ${JSON.stringify(target)}`);
    await this.#mutate((index) => {
      const img = this.#resolveIn(index, source);
      index.tags[formatReference(ref)] = img.id;
    });
  }

  /**
   * docker rmi: a name untags (and deletes the image when no tag is left); an ID deletes the image
   * and all its tags — refused without `force` when it has several repositories or is in use.
   */
  async remove(reference: string, options: { force?: boolean; prune?: boolean } = {}): Promise<RemovedItem[]> {
    const items = await this.#mutate(async (index) => {
      const img = this.#resolveIn(index, reference);
      const names = Object.entries(index.tags).filter(([, id]) => id === img.id).map(([n]) => n);
      const out: RemovedItem[] = [];
      let byName: string | undefined;
      try {
        const ref = normalizeName(reference);
        const full = formatReference(ref);
        if (names.includes(full)) byName = full;
        else if (ref.digest !== undefined) byName = undefined;
      } catch {
        byName = undefined;
      }
      const inUse = (await this.#isImageInUse?.(img.id)) ?? false;
      if (byName !== undefined && names.length === 1 && inUse && !options.force) {
        throw new ImageInUse(
          `Conflict: unable to remove repository reference ${JSON.stringify(reference)} (must force) - a container is using its referenced image ${img.id.slice(7, 19)}`,
          { id: img.id, reason: 'in use' },
        );
      }
      if (byName !== undefined && (names.length > 1 || inUse)) {
        delete index.tags[byName];
        out.push({ Untagged: familiarReference(parseReference(byName)) });
        return out;
      }
      if (!options.force) {
        const repos = new Set(names.map((n) => repositoryName(parseReference(n))));
        if (byName === undefined && repos.size > 1) {
          throw new ImageInUse(
            `Unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
            { id: img.id, reason: 'multiple repositories' },
          );
        }
        if (inUse) {
          throw new ImageInUse(`Unable to delete ${img.id.slice(7, 19)} (cannot be forced) - image is being used by a container`, {
            id: img.id,
            reason: 'in use',
          });
        }
      }
      for (const n of names) {
        delete index.tags[n];
        out.push({ Untagged: familiarReference(parseReference(n)) });
      }
      for (const d of img.repoDigests) out.push({ Untagged: familiarReference(parseReference(d)) });
      if (!inUse) {
        delete index.images[img.id];
        out.push({ Deleted: img.id });
      }
      return out;
    });
    if (items.some((i) => i.Deleted)) await this.gc();
    return items;
  }

  /** Removes dangling (untagged) images not in use; with `all`, every image not in use. */
  async prune(options: { all?: boolean } = {}): Promise<{ deleted: RemovedItem[]; spaceReclaimed: number }> {
    const deleted = await this.#mutate(async (index) => {
      const tagged = new Set(Object.values(index.tags));
      const out: RemovedItem[] = [];
      for (const img of Object.values(index.images)) {
        if (!options.all && tagged.has(img.id)) continue;
        if (await this.#isImageInUse?.(img.id)) continue;
        for (const [n, id] of Object.entries(index.tags)) {
          if (id === img.id) {
            delete index.tags[n];
            out.push({ Untagged: familiarReference(parseReference(n)) });
          }
        }
        delete index.images[img.id];
        out.push({ Deleted: img.id });
      }
      return out;
    });
    const spaceReclaimed = await this.gc();
    return { deleted, spaceReclaimed };
  }

  /** Deletes blobs, snapshots and stale ingests nothing refers to. Returns bytes freed (blobs). */
  async gc(): Promise<number> {
    return this.#lock.run(async () => {
      const index = await this.#read();
      const keepBlobs = new Set<string>();
      const keepSnaps = new Set<string>();
      let keepAllSnaps = false;
      for (const img of Object.values(index.images)) {
        keepBlobs.add(img.config.digest);
        if (img.manifest) keepBlobs.add(img.manifest.digest);
        if (img.index) keepBlobs.add(img.index.digest);
        for (const l of img.layers) keepBlobs.add(l.blob.digest);
        for (const c of chainIds(img.layers.map((l) => l.diffId))) keepSnaps.add(digestHex(c));
      }
      for (const cid of await fsp.readdir(path.join(this.dir, 'rootfs')).catch(() => [] as string[])) {
        const lower = await fsp.readFile(path.join(this.dir, 'rootfs', cid, 'lower.json'), 'utf8').catch(() => '[]');
        try {
          for (const c of JSON.parse(lower) as string[]) keepSnaps.add(c);
        } catch {
          keepAllSnaps = true; // torn by a power loss (a volatile rootfs writes it unsynced): which it uses is unknown
        }
      }
      let freed = 0;
      for (const b of await this.content.list()) {
        if (!keepBlobs.has(b.digest)) {
          await this.content.delete(b.digest);
          freed += b.size;
        }
      }
      for (const s of await fsp.readdir(this.snapshotsDir)) {
        if (/^[0-9a-f]{64}$/.test(s) && !keepAllSnaps && !keepSnaps.has(s)) await rmTree(path.join(this.snapshotsDir, s));
        // what a process killed while unpacking left: ".tmp-<chain12>-<pid>-<rand>"
        const m = /^\.tmp-[0-9a-f]{12}-(\d+)-/.exec(s);
        if (m && !pidAlive(Number(m[1]))) await rmTree(path.join(this.snapshotsDir, s));
      }
      for (const t of await fsp.readdir(path.join(this.dir, 'tmp')).catch(() => [] as string[])) {
        const m = /^(?:load|save)-(\d+)-/.exec(t);
        if (m && !pidAlive(Number(m[1]))) await rmTree(path.join(this.dir, 'tmp', t));
      }
      await this.content.pruneIngests(INGEST_MAX_AGE_MS);
      return freed;
    });
  }

  // ---- adding images -----------------------------------------------------------------------

  /**
   * Records an image whose config, manifest and layer blobs are already in the content store,
   * unpacks its layers (verifying diff_ids) and points `names` at it.
   */
  async addImage(input: {
    config: Descriptor;
    layers: ReadonlyArray<{ blob: Descriptor; diffSize?: number }>;
    manifest?: Descriptor;
    index?: Descriptor;
    names?: readonly string[];
    repoDigest?: string;
    source?: string;
  }): Promise<ImageRecord> {
    const cfg = parseImageConfig(await this.content.readBytes(input.config.digest));
    const diffIds = cfg.rootfs.diff_ids;
    if (diffIds.length !== input.layers.length) {
      throw new LayerDiffMismatch(`Image config lists ${diffIds.length} layers, the manifest ${input.layers.length}`, {
        expected: String(diffIds.length),
        actual: String(input.layers.length),
      });
    }
    const layers: LayerRecord[] = input.layers.map((l, i) => ({
      diffId: diffIds[i]!,
      blob: { mediaType: l.blob.mediaType, digest: l.blob.digest, size: l.blob.size },
      ...(l.diffSize !== undefined ? { diffSize: l.diffSize } : {}),
    }));
    const sizes = await this.#ensureSnapshots(layers);
    const record: ImageRecord = {
      id: input.config.digest,
      config: { mediaType: input.config.mediaType, digest: input.config.digest, size: input.config.size },
      layers,
      ...(input.manifest ? { manifest: { mediaType: input.manifest.mediaType, digest: input.manifest.digest, size: input.manifest.size } } : {}),
      ...(input.index ? { index: { mediaType: input.index.mediaType, digest: input.index.digest, size: input.index.size } } : {}),
      repoDigests: input.repoDigest ? [input.repoDigest] : [],
      sources: input.source ? [input.source] : [],
      ...(cfg.created ? { created: cfg.created } : {}),
      size: sizes.reduce((a, b) => a + b, 0),
      addedAt: new Date().toISOString(),
    };
    return this.#mutate((index) => {
      const prev = index.images[record.id];
      const merged: ImageRecord = prev
        ? {
            ...prev,
            ...(record.manifest && !prev.manifest ? { manifest: record.manifest, layers: record.layers } : {}),
            repoDigests: unique([...prev.repoDigests.filter((d) => !record.repoDigests.some((r) => sameRepo(r, d))), ...record.repoDigests]),
            sources: unique([...prev.sources, ...record.sources]),
          }
        : record;
      index.images[record.id] = merged;
      for (const n of input.names ?? []) index.tags[formatReference(normalizeName(n))] = record.id;
      return merged;
    });
  }

  /** Updates fields of a stored image (used after a push created a manifest). */
  async updateImage(id: string, patch: Partial<Pick<ImageRecord, 'manifest' | 'layers' | 'repoDigests' | 'sources'>>): Promise<ImageRecord> {
    return this.#mutate((index) => {
      const prev = index.images[id];
      if (!prev) throw new ImageNotFound(`No such image: ${id}`, { reference: id });
      const next: ImageRecord = {
        ...prev,
        ...patch,
        ...(patch.repoDigests ? { repoDigests: unique([...prev.repoDigests, ...patch.repoDigests]) } : {}),
        ...(patch.sources ? { sources: unique([...prev.sources, ...patch.sources]) } : {}),
      };
      index.images[id] = next;
      return next;
    });
  }

  /** Unpacks layers not yet in a snapshot (once per chain ID); returns each layer's unpacked size. */
  async #ensureSnapshots(layers: readonly LayerRecord[]): Promise<number[]> {
    if (process.getuid?.() !== 0) return layers.map((l) => l.diffSize ?? l.blob.size); // rootless: flattened per container
    const chains = chainIds(layers.map((l) => l.diffId));
    const sizes: number[] = [];
    for (const [i, layer] of layers.entries()) {
      const hex = digestHex(chains[i]!);
      let pending = this.#snapshotting.get(hex);
      if (pending === undefined) {
        pending = this.#unpackSnapshot(hex, layer).finally(() => this.#snapshotting.delete(hex));
        this.#snapshotting.set(hex, pending);
      }
      await pending;
      sizes.push(Number(await fsp.readFile(path.join(this.snapshotsDir, hex, 'size'), 'utf8').catch(() => '0')));
    }
    return sizes;
  }

  async #unpackSnapshot(hex: string, layer: LayerRecord): Promise<void> {
    const final = path.join(this.snapshotsDir, hex);
    try {
      await fsp.access(path.join(final, 'size'));
      return;
    } catch {
      /* not there yet */
    }
    const tmp = path.join(this.snapshotsDir, `.tmp-${hex.slice(0, 12)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    await fsp.mkdir(path.join(tmp, 'fs'), { recursive: true });
    try {
      const result = await unpackLayer(await this.content.openRead(layer.blob.digest), path.join(tmp, 'fs'), { mode: 'overlay', allowDevices: true });
      if (result.diffId !== layer.diffId) {
        throw new LayerDiffMismatch(`Layer ${layer.blob.digest} unpacks to ${result.diffId}, the image config says ${layer.diffId}`, {
          expected: layer.diffId,
          actual: result.diffId,
        });
      }
      await fsp.writeFile(path.join(tmp, 'size'), String(result.size));
      await fsp.writeFile(path.join(tmp, 'diffid'), layer.diffId);
      await fsp.rm(final, { recursive: true, force: true }); // a half snapshot without "size"
      await fsp.rename(tmp, final);
    } catch (err) {
      await rmTree(tmp);
      throw err;
    }
  }

  /**
   * Runs `fn` once per key at a time in this process: concurrent callers with the same key (two
   * pulls sharing a layer) wait for the first one instead of racing on the same ingest.
   */
  singleFlight<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.#inflight.get(key) as Promise<T> | undefined;
    if (running !== undefined) return running;
    const p = fn().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  /** Stores a blob from a stream, verifying digest and size (resumable under `ref`). */
  async ingest(source: AsyncIterable<Uint8Array>, expected: { digest?: string; size?: number }, ref?: string): Promise<BlobInfo> {
    if (expected.digest !== undefined) {
      const have = await this.content.info(expected.digest);
      if (have) return have;
    }
    return this.content.putStream(source, expected, ref);
  }

  // ---- rootfs ------------------------------------------------------------------------------

  /**
   * A container's root filesystem: overlayfs with the image's snapshots as lowerdirs and the
   * container's own upper/work directories (kept across release() for stop/start). Idempotent: an
   * already mounted rootfs is returned as is. Without root, the layers are flattened into `merged`.
   * `volatile`: the overlay skips every sync of its upper directory, also the one at unmount that
   * otherwise syncs the whole host filesystem behind everyone else's writes (overlayfs "volatile",
   * Linux >= 5.10; a kernel without it gets a plain mount). Only for changes nobody keeps (`--rm`). An
   * unclean shutdown leaves `work/work/incompat/volatile`, which makes the kernel refuse that upper
   * again: it is removed first, since such a container's changes are thrown away anyway.
   */
  async prepareRootfs(imageRef: string, containerId: string, options: { readonly volatile?: boolean } = {}): Promise<RootfsHandle> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(containerId)) throw new RangeError(`Bad container id ${JSON.stringify(containerId)}`);
    const img = await this.resolve(imageRef);
    const base = path.join(this.dir, 'rootfs', containerId);
    const merged = path.join(base, 'merged');
    const upper = path.join(base, 'upper');
    const work = path.join(base, 'work');
    const handle: RootfsHandle = {
      merged,
      upper,
      work,
      release: () => unmount(merged),
      remove: async () => {
        await unmount(merged);
        await rmTree(base);
      },
    };
    await fsp.mkdir(merged, { recursive: true });
    if (process.getuid?.() !== 0) {
      await this.#flattenInto(img, merged, base);
      return handle;
    }
    await this.#ensureSnapshots(img.layers);
    const chains = chainIds(img.layers.map((l) => l.diffId)).map(digestHex);
    await fsp.mkdir(upper, { recursive: true });
    await fsp.mkdir(work, { recursive: true });
    // Which snapshots the rootfs uses (gc keeps them); a restart finds it written already. Not synced for a
    // volatile rootfs (an --rm container's, two fsyncs less per run): after a power loss gc keeps every
    // snapshot while such a file is torn, and the snapshots of images still named are kept regardless.
    const lowerJson = JSON.stringify(chains);
    const lowerPath = path.join(base, 'lower.json');
    if ((await fsp.readFile(lowerPath, 'utf8').catch(() => undefined)) !== lowerJson) await writeFileAtomic(lowerPath, lowerJson, { durable: options.volatile !== true });
    if (await isMountpoint(merged)) return handle;
    let lowers = chains.slice().reverse().map((c) => `${c}/fs`);
    if (lowers.length === 0) {
      await fsp.mkdir(path.join(this.snapshotsDir, 'empty', 'fs'), { recursive: true });
      lowers = ['empty/fs'];
    }
    // Relative lowerdirs (resolved against the cwd of mount) keep the option string within a page.
    const opts = `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work}`;
    if (opts.length > 4000) {
      throw new MountFailed(`Image ${img.id} has too many layers (${lowers.length}) for one overlay mount`, { target: merged });
    }
    try {
      if (options.volatile === true) {
        await fsp.rm(path.join(work, 'work', 'incompat', 'volatile'), { recursive: true, force: true });
        const r = await exec(['mount', '-t', 'overlay', 'overlay', '-o', `${opts},volatile`, merged], { cwd: this.snapshotsDir, check: false });
        if (r.exitCode === 0) return handle;
      }
      await exec(['mount', '-t', 'overlay', 'overlay', '-o', opts, merged], { cwd: this.snapshotsDir });
    } catch (err) {
      throw new MountFailed(`Mounting the rootfs of ${containerId} failed: ${(err as Error).message}`, { target: merged }, { cause: err });
    }
    return handle;
  }

  /** Unmounts a container's rootfs, keeping its changes (what RootfsHandle.release() does, by container ID). */
  async releaseRootfs(containerId: string): Promise<void> {
    await unmount(path.join(this.dir, 'rootfs', containerId, 'merged'));
  }

  /** Deletes a container's rootfs (unmounting it first). */
  async removeRootfs(containerId: string): Promise<void> {
    const base = path.join(this.dir, 'rootfs', containerId);
    await unmount(path.join(base, 'merged'));
    await rmTree(base);
  }

  async #flattenInto(img: ImageRecord, merged: string, base: string): Promise<void> {
    const marker = path.join(base, 'flattened');
    try {
      await fsp.access(marker);
      return;
    } catch {
      /* first time */
    }
    for (const layer of img.layers) {
      const r = await unpackLayer(await this.content.openRead(layer.blob.digest), merged, { mode: 'flatten' });
      if (r.diffId !== layer.diffId) {
        throw new LayerDiffMismatch(`Layer ${layer.blob.digest} unpacks to ${r.diffId}, the image config says ${layer.diffId}`, {
          expected: layer.diffId,
          actual: r.diffId,
        });
      }
    }
    await fsp.writeFile(marker, img.id);
  }

  // ---- OCI layouts and docker-archives -----------------------------------------------------

  /**
   * Imports an image from an OCI image layout. `refName` picks the index entry by its
   * org.opencontainers.image.ref.name (or io.containerd.image.name); without it the only entry.
   */
  async importOciLayout(dir: string, options: { refName?: string; names?: readonly string[] } = {}): Promise<ImageRecord> {
    const indexBytes = await fsp.readFile(path.join(dir, 'index.json'));
    const top = parseManifest(indexBytes, MEDIA_TYPE.ociIndex);
    if (top.kind !== 'index') throw new InvalidArchive('OCI layout index.json is not an index', { reason: 'index.json' });
    const entries = top.index.manifests;
    let entry: Descriptor | undefined;
    if (options.refName !== undefined) {
      entry = entries.find((d) => d.annotations?.[ANNOTATION.refName] === options.refName || d.annotations?.[ANNOTATION.containerdImageName] === options.refName);
      if (!entry) throw new ImageNotFound(`No image named ${JSON.stringify(options.refName)} in the OCI layout ${JSON.stringify(dir)}`, { reference: options.refName });
    } else {
      if (entries.length !== 1) {
        throw new InvalidArchive(`The OCI layout ${JSON.stringify(dir)} holds ${entries.length} images: name one`, { reason: 'ambiguous' });
      }
      entry = entries[0]!;
    }
    const readBlob = async (d: Descriptor): Promise<Buffer> => {
      const p = joinWithin(dir, 'blobs', 'sha256', digestHex(d.digest));
      const info = await this.ingest(createReadStream(p), { digest: d.digest, size: d.size });
      return this.content.readBytes(info.digest);
    };
    let manifestDesc = entry;
    let indexDesc: Descriptor | undefined;
    let parsed = parseManifest(await readBlob(entry), entry.mediaType);
    for (let depth = 0; parsed.kind === 'index'; depth++) {
      if (depth > 4) throw new InvalidArchive('Image indexes nested too deep', { reason: 'nesting' });
      indexDesc = manifestDesc;
      manifestDesc = selectPlatformManifest(parsed.index.manifests, this.platform);
      parsed = parseManifest(await readBlob(manifestDesc), manifestDesc.mediaType);
    }
    const m = parsed.manifest;
    await readBlob(m.config);
    for (const l of m.layers) await readBlob(l);
    const names = [...(options.names ?? [])];
    const full = entry.annotations?.[ANNOTATION.containerdImageName];
    if (full !== undefined && names.length === 0) names.push(full);
    return this.addImage({
      config: m.config,
      layers: m.layers.map((blob) => ({ blob })),
      manifest: manifestDesc,
      ...(indexDesc ? { index: indexDesc } : {}),
      names,
    });
  }

  /**
   * Loads a docker-archive (`docker load`): the classic layout, the containers/image one and Docker
   * >= 25's OCI one (manifest.json wins when present, as in moby), or a plain OCI archive. The archive
   * itself may be gzip/zstd compressed. Layer files may be compressed; their uncompressed digests
   * must equal the config's diff_ids.
   */
  async load(archive: AsyncIterable<Uint8Array>): Promise<LoadedImage[]> {
    const tmp = await fsp.mkdtemp(path.join(this.dir, 'tmp', `load-${process.pid}-`));
    try {
      await unpackLayer(archive, tmp, { mode: 'flatten', chown: false });
      const manifestPath = path.join(tmp, 'manifest.json');
      let manifestBytes: Buffer | undefined;
      try {
        manifestBytes = await fsp.readFile(manifestPath);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      if (manifestBytes === undefined) {
        try {
          await fsp.access(path.join(tmp, 'index.json'));
        } catch {
          throw new InvalidArchive('Archive has neither manifest.json nor index.json (legacy v1 archives are not supported)', { reason: 'no manifest' });
        }
        const top = parseManifest(await fsp.readFile(path.join(tmp, 'index.json')), MEDIA_TYPE.ociIndex);
        const out: LoadedImage[] = [];
        if (top.kind !== 'index') throw new InvalidArchive('index.json is not an index', { reason: 'index.json' });
        for (const d of top.index.manifests) {
          const name = d.annotations?.[ANNOTATION.containerdImageName];
          const refName = name ?? d.annotations?.[ANNOTATION.refName];
          const img = await this.importOciLayout(tmp, { ...(refName ? { refName } : {}), names: name ? [name] : [] });
          out.push({ id: img.id, tags: name ? [familiarReference(normalizeName(name))] : [] });
        }
        return out;
      }
      const out: LoadedImage[] = [];
      for (const entry of parseArchiveManifest(manifestBytes)) {
        const configBytes = await fsp.readFile(await insideRealpath(tmp, entry.Config));
        const config = parseImageConfig(configBytes);
        const cfgInfo = await this.content.putBytes(configBytes);
        const layers: Array<{ blob: Descriptor; diffSize: number }> = [];
        for (const [i, layerPath] of entry.Layers.entries()) {
          const file = await insideRealpath(tmp, layerPath);
          const expected = config.rootfs.diff_ids[i];
          const info = await this.ingest(decompressLayer(createReadStream(file)), expected !== undefined ? { digest: expected } : {}).catch((err: unknown) => {
            if (isHostErrorCode(err, 'IMAGE_DIGEST_MISMATCH')) {
              throw new LayerDiffMismatch(`Layer ${JSON.stringify(layerPath)} does not match the config's diff_id ${expected}`, {
                expected: expected ?? '',
                actual: String((err as { details: { actual: string } }).details.actual),
              });
            }
            throw err;
          });
          layers.push({ blob: { mediaType: MEDIA_TYPE.ociLayer, digest: info.digest, size: info.size }, diffSize: info.size });
        }
        const tags = entry.RepoTags ?? [];
        const img = await this.addImage({
          config: { mediaType: MEDIA_TYPE.dockerConfig, digest: cfgInfo.digest, size: cfgInfo.size },
          layers,
          names: tags,
        });
        out.push({ id: img.id, tags: tags.map((t) => familiarReference(normalizeName(t))) });
      }
      return out;
    } finally {
      await rmTree(tmp);
    }
  }

  /** A gzip-compressed copy of a layer (what `docker push` sends for a layer loaded from an archive). */
  async #compressLayer(layer: LayerRecord, flavour: 'oci' | 'docker'): Promise<Descriptor> {
    const gz = createGzip();
    const feeding = pipeline(await this.content.openRead(layer.blob.digest), gz);
    const info = await this.content.putStream(gz);
    await feeding;
    return { mediaType: flavour === 'docker' ? MEDIA_TYPE.dockerLayerGzip : MEDIA_TYPE.ociLayerGzip, digest: info.digest, size: info.size };
  }

  /**
   * The manifest to distribute an image with: the stored one (exact bytes), or for an image loaded
   * from a docker-archive a new one with gzip layers (`flavour` docker = schema2 as `docker push`
   * makes, oci = OCI), recorded so later pushes send the same digest.
   */
  async distributableManifest(image: ImageRecord, flavour: 'oci' | 'docker' = 'docker'): Promise<{ record: ImageRecord; descriptor: Descriptor; manifest: ImageManifest; bytes: Buffer }> {
    if (image.manifest) {
      const bytes = await this.content.readBytes(image.manifest.digest);
      const parsed = parseManifest(bytes, image.manifest.mediaType);
      if (parsed.kind === 'manifest') return { record: image, descriptor: image.manifest, manifest: parsed.manifest, bytes };
    }
    const layers: LayerRecord[] = [];
    for (const l of image.layers) {
      const compression = layerCompression(l.blob.mediaType);
      if (compression === 'none') layers.push({ ...l, blob: await this.#compressLayer(l, flavour), diffSize: l.blob.size });
      else layers.push(l);
    }
    const mediaType = flavour === 'docker' ? MEDIA_TYPE.dockerManifest : MEDIA_TYPE.ociManifest;
    const config: Descriptor = {
      mediaType: flavour === 'docker' ? MEDIA_TYPE.dockerConfig : MEDIA_TYPE.ociConfig,
      digest: image.config.digest,
      size: image.config.size,
    };
    const bytes = Buffer.from(formatManifest({ mediaType, config, layers: layers.map((l) => l.blob) }));
    const info = await this.content.putBytes(bytes);
    const descriptor: Descriptor = { mediaType, digest: info.digest, size: info.size };
    const record = await this.updateImage(image.id, { manifest: descriptor, layers });
    const parsed = parseManifest(bytes, mediaType);
    if (parsed.kind !== 'manifest') throw new RangeError('unreachable');
    return { record, descriptor, manifest: parsed.manifest, bytes };
  }

  /** Writes an image into an OCI layout (created or extended), its entry named `refName`. */
  async exportOciLayout(imageRef: string, dir: string, refName: string): Promise<Descriptor> {
    const image = await this.resolve(imageRef);
    const { descriptor, manifest, bytes } = await this.distributableManifest(image, 'oci');
    const blobDir = path.join(dir, 'blobs', 'sha256');
    await fsp.mkdir(blobDir, { recursive: true });
    await writeFileAtomic(path.join(dir, 'oci-layout'), OCI_LAYOUT_FILE);
    const copy = async (d: Descriptor): Promise<void> => {
      const target = path.join(blobDir, digestHex(d.digest));
      try {
        await fsp.access(target);
        return;
      } catch {
        /* copy */
      }
      const tmp = `${target}.tmp-${process.pid}`;
      await fsp.copyFile(this.content.blobPath(d.digest), tmp);
      await fsp.chmod(tmp, 0o644);
      await fsp.rename(tmp, target);
    };
    for (const l of manifest.layers) await copy(l);
    await copy(manifest.config);
    await fsp.writeFile(path.join(blobDir, digestHex(descriptor.digest)), bytes);
    let entries: Descriptor[] = [];
    try {
      const existing = parseManifest(await fsp.readFile(path.join(dir, 'index.json')), MEDIA_TYPE.ociIndex);
      if (existing.kind === 'index') entries = existing.index.manifests.filter((d) => d.annotations?.[ANNOTATION.refName] !== refName);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    const entry: Descriptor = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, annotations: { [ANNOTATION.refName]: refName } };
    await writeFileAtomic(path.join(dir, 'index.json'), formatIndex([...entries, entry]));
    return entry;
  }

  /**
   * `docker save`: a docker-archive in Docker >= 25's layout (an OCI layout plus manifest.json and
   * repositories), layers as uncompressed tars so any loader (docker, podman, skopeo) reads it.
   */
  async save(references: readonly string[], out: NodeJS.WritableStream): Promise<void> {
    const images: Array<{ image: ImageRecord; names: string[] }> = [];
    for (const r of references) {
      const image = await this.resolve(r);
      const names: string[] = [];
      try {
        const full = formatReference(normalizeName(r));
        if ((await this.tagsOf(image.id)).includes(full)) names.push(full);
      } catch {
        /* an ID: saved without names, as docker does */
      }
      const existing = images.find((i) => i.image.id === image.id);
      if (existing) existing.names.push(...names);
      else images.push({ image, names });
    }
    const tmp = await fsp.mkdtemp(path.join(this.dir, 'tmp', `save-${process.pid}-`));
    const tar = (await import('tar-stream')).pack();
    const piping = pipeline(tar, out as NodeJS.WritableStream);
    const addBytes = (name: string, data: Buffer | string): Promise<void> =>
      new Promise((resolve, reject) => {
        tar.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, typeof data === 'string' ? Buffer.from(data) : data, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    const addFile = async (name: string, file: string): Promise<void> => {
      const st = await fsp.stat(file);
      await new Promise<void>((resolve, reject) => {
        const w = tar.entry({ name, size: st.size, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, (err) => (err ? reject(err) : resolve()));
        pipeline(createReadStream(file), w).catch(reject);
      });
    };
    try {
      const written = new Set<string>();
      const dirs = ['blobs/', 'blobs/sha256/'];
      for (const d of dirs) {
        await new Promise<void>((resolve, reject) =>
          tar.entry({ name: d, type: 'directory', mode: 0o755, mtime: new Date(0), uid: 0, gid: 0 }, (err) => (err ? reject(err) : resolve())),
        );
      }
      const manifestEntries: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
      const indexEntries: Descriptor[] = [];
      const repositories: Array<[string, string, string]> = [];
      for (const { image, names } of images) {
        const configName = `blobs/sha256/${digestHex(image.config.digest)}`;
        if (!written.has(configName)) {
          await addBytes(configName, await this.content.readBytes(image.config.digest));
          written.add(configName);
        }
        const layerNames: string[] = [];
        const layerDescs: Descriptor[] = [];
        for (const layer of image.layers) {
          const name = `blobs/sha256/${digestHex(layer.diffId)}`;
          layerNames.push(name);
          let size = layer.diffSize;
          if (!written.has(name)) {
            if (layerCompression(layer.blob.mediaType) === 'none' || layer.blob.digest === layer.diffId) {
              await addFile(name, this.content.blobPath(layer.blob.digest));
              size = layer.blob.size;
            } else {
              const file = path.join(tmp, digestHex(layer.diffId));
              await pipeline(Readable.from(decompressLayer(await this.content.openRead(layer.blob.digest))), createWriteStream(file));
              size = (await fsp.stat(file)).size;
              await addFile(name, file);
              await fsp.unlink(file);
            }
            written.add(name);
          }
          layerDescs.push({ mediaType: MEDIA_TYPE.ociLayer, digest: layer.diffId, size: size ?? 0 });
        }
        const ociManifest = Buffer.from(
          formatManifest({ mediaType: MEDIA_TYPE.ociManifest, config: { mediaType: MEDIA_TYPE.ociConfig, digest: image.config.digest, size: image.config.size }, layers: layerDescs }),
        );
        const mdigest = sha256Digest(ociManifest);
        const mname = `blobs/sha256/${digestHex(mdigest)}`;
        if (!written.has(mname)) {
          await addBytes(mname, ociManifest);
          written.add(mname);
        }
        const familiar = names.map((n) => familiarReference(parseReference(n)));
        manifestEntries.push({ Config: configName, RepoTags: familiar, Layers: layerNames });
        const base: Descriptor = { mediaType: MEDIA_TYPE.ociManifest, digest: mdigest, size: ociManifest.length };
        if (names.length === 0) indexEntries.push(base);
        for (const n of names) {
          const ref = parseReference(n);
          indexEntries.push({ ...base, annotations: { [ANNOTATION.containerdImageName]: n, [ANNOTATION.refName]: ref.tag ?? 'latest' } });
          const top = image.layers[image.layers.length - 1];
          if (top) repositories.push([familiarRepository(ref), ref.tag ?? 'latest', digestHex(top.diffId)]);
        }
      }
      await addBytes('index.json', formatIndex(indexEntries));
      await addBytes('manifest.json', formatArchiveManifest(manifestEntries));
      await addBytes('oci-layout', OCI_LAYOUT_FILE);
      if (repositories.length > 0) await addBytes('repositories', formatRepositories(repositories));
      tar.finalize();
      await piping;
    } catch (err) {
      tar.destroy(err as Error);
      throw err;
    } finally {
      await rmTree(tmp);
    }
  }

  /** Docker's image inspect JSON (`docker image inspect`). */
  async inspect(reference: string): Promise<Record<string, unknown>> {
    const img = await this.resolve(reference);
    const cfg = await this.config(img);
    const tags = (await this.tagsOf(img.id)).map((n) => familiarReference(parseReference(n)));
    return {
      Id: img.id,
      RepoTags: tags,
      RepoDigests: img.repoDigests.map((d) => familiarReference(parseReference(d))),
      Parent: '',
      Comment: cfg.comment ?? '',
      Created: cfg.created ?? '',
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: cfg.config ?? {},
      Architecture: cfg.architecture,
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Os: cfg.os,
      Size: img.size,
      GraphDriver: {
        Data: {
          LowerDir: chainIds(img.layers.map((l) => l.diffId))
            .reverse()
            .map((c) => path.join(this.snapshotsDir, digestHex(c), 'fs'))
            .join(':'),
        },
        Name: 'overlay2',
      },
      RootFS: { Type: 'layers', Layers: img.layers.map((l) => l.diffId) },
      Metadata: { LastTagTime: img.addedAt },
      ...(img.manifest ? { Descriptor: img.index ?? img.manifest } : {}),
    };
  }
}

/** Interrupted pulls resume within this time; older partial ingests are dropped by gc(). */
const INGEST_MAX_AGE_MS = 24 * 3600 * 1000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function sameRepo(a: string, b: string): boolean {
  return a.split('@')[0] === b.split('@')[0];
}

function isHostErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Resolves `rel` inside `root`, following symlinks only while they stay inside (archive layouts use them). */
async function insideRealpath(root: string, rel: string): Promise<string> {
  const candidate = joinWithin(root, rel);
  const real = await fsp.realpath(candidate).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) throw new InvalidArchive(`Archive names ${JSON.stringify(rel)}, which it does not contain`, { reason: 'missing file' });
    throw err;
  });
  const realRoot = await fsp.realpath(root);
  joinWithin(realRoot, path.relative(realRoot, real));
  return real;
}

async function isMountpoint(p: string): Promise<boolean> {
  const info = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  const target = path.resolve(p);
  return info.split('\n').some((line) => line.split(' ')[4]?.replace(/\\040/g, ' ') === target);
}

async function unmount(p: string): Promise<void> {
  for (let i = 0; i < 5 && (await isMountpoint(p)); i++) {
    const r = await exec(['umount', p], { check: false });
    if (r.exitCode !== 0 && i === 4) {
      throw new MountFailed(`Unmounting ${JSON.stringify(p)} failed: ${r.stderr.toString().trim()}`, { target: p });
    }
  }
}

/** rm -rf that also clears immutable/readonly modes it can (blobs are 0444; snapshots may hold 000 dirs). */
async function rmTree(p: string): Promise<void> {
  await fsp.rm(p, { recursive: true, force: true });
}

