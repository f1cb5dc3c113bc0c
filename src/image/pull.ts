import { familiarReference, parseManifest, parseReference, repositoryName, selectPlatformManifest, withDefaultTag, formatReference, type Descriptor, type Platform } from '../formats/oci/index.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { eachLimit, shortId, type ProgressSink } from './progress.js';
import { RegistryClient } from './registry/client.js';
import type { Credentials } from './registry/auth-config.js';
import { IngestLocked, RegistryUnreachable } from './errors.js';
import type { IngestWriter } from './content-store.js';

export interface RegistryAccess {
  /** Credentials for a registry ("127.0.0.1:5000"), e.g. from the auth file `berth login` writes. */
  readonly credentials?: (registry: string) => Promise<Credentials | undefined>;
  /** Plain HTTP for these registries (loopback registries always are). */
  readonly insecureRegistries?: readonly string[];
  /** Base URL per registry domain (mirrors; also how docker.io is reached). */
  readonly endpoints?: Readonly<Record<string, string>>;
  readonly onProgress?: ProgressSink;
  readonly signal?: AbortSignal;
}

export interface PullOptions extends RegistryAccess {
  readonly platform?: Platform;
  /** Parallel layer downloads (default 3, like dockerd). */
  readonly concurrency?: number;
}

export interface PullResult {
  readonly image: ImageRecord;
  /** Digest of the manifest (or index) the reference resolved to: the repo digest. */
  readonly digest: string;
  /** Familiar reference pulled ("busybox:latest"). */
  readonly reference: string;
  readonly upToDate: boolean;
}

export async function clientFor(registry: string, access: RegistryAccess): Promise<RegistryClient> {
  const credentials = await access.credentials?.(registry);
  const endpoint = access.endpoints?.[registry];
  return new RegistryClient({
    registry,
    ...(credentials ? { credentials } : {}),
    ...(access.insecureRegistries?.includes(registry) ? { insecure: true } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(access.signal ? { signal: access.signal } : {}),
  });
}

const MAX_RESUMES = 3;

/** Downloads one blob into the content store (once at a time per digest), resuming a partial ingest with Range. */
async function fetchBlob(store: ImageStore, client: RegistryClient, repo: string, desc: Descriptor, progress?: ProgressSink): Promise<void> {
  await store.singleFlight(`fetch-${desc.digest}`, async () => {
    if (await store.content.has(desc.digest)) return;
    await fetchBlobOnce(store, client, repo, desc, progress);
  });
}

/** How long to wait for another process (the CLI next to the daemon) that downloads the same blob. */
const OTHER_WRITER_WAIT_MS = 10 * 60 * 1000;

async function openOrWait(store: ImageStore, ref: string, digest: string): Promise<IngestWriter | undefined> {
  const deadline = Date.now() + OTHER_WRITER_WAIT_MS;
  for (let i = 0; i < 3000; i++) {
    try {
      return await store.content.openWriter(ref);
    } catch (err) {
      if (!IngestLocked.is(err) || Date.now() > deadline) throw err;
    }
    if (await store.content.has(digest)) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new IngestLocked(`Gave up waiting for another download of ${digest}`, { ref });
}

async function fetchBlobOnce(store: ImageStore, client: RegistryClient, repo: string, desc: Descriptor, progress?: ProgressSink): Promise<void> {
  const id = shortId(desc.digest);
  const ref = `pull-${desc.digest}`;
  for (let attempt = 0; ; attempt++) {
    const opened = await openOrWait(store, ref, desc.digest);
    if (opened === undefined) return; // another process finished it
    let writer = opened;
    try {
      const { stream, partial } = await client.getBlob(repo, desc.digest, writer.offset);
      if (writer.offset > 0 && !partial) {
        await writer.abort();
        writer = await store.content.openWriter(ref, { restart: true });
      }
      let lastReport = 0;
      for await (const chunk of stream) {
        await writer.write(chunk as Buffer);
        if (writer.offset - lastReport >= 256 * 1024 || writer.offset === desc.size) {
          lastReport = writer.offset;
          progress?.({ status: 'Downloading', id, progressDetail: { current: writer.offset, total: desc.size } });
        }
      }
      progress?.({ status: 'Verifying Checksum', id, progressDetail: {} });
      await writer.commit({ digest: desc.digest, size: desc.size });
      progress?.({ status: 'Download complete', id, progressDetail: {} });
      return;
    } catch (err) {
      await writer.close().catch(() => undefined); // keep the bytes: the next attempt resumes
      const transient = RegistryUnreachable.is(err) || (err instanceof Error && /terminated|ECONNRESET|socket|aborted/i.test(`${err.message} ${String(err.cause ?? '')}`));
      if (!transient || attempt + 1 >= MAX_RESUMES) throw err;
    }
  }
}

/** `docker pull`: resolves, downloads what is missing (in parallel, resumable), verifies, unpacks and tags. */
export async function pullImage(store: ImageStore, reference: string, options: PullOptions = {}): Promise<PullResult> {
  const ref = withDefaultTag(parseReference(reference));
  const repo = ref.path;
  const progress = options.onProgress;
  const client = await clientFor(ref.domain, options);
  const familiar = familiarReference(ref);
  progress?.({ status: `Pulling from ${ref.path}`, id: ref.tag ?? ref.digest! });

  const top = await client.getManifest(repo, ref.digest ?? ref.tag!);
  await store.content.putBytes(top.bytes, top.digest);
  let parsed = parseManifest(top.bytes, top.mediaType);
  let manifestDesc: Descriptor = { mediaType: top.mediaType || 'application/vnd.oci.image.manifest.v1+json', digest: top.digest, size: top.bytes.length };
  let indexDesc: Descriptor | undefined;
  if (parsed.kind === 'index') {
    indexDesc = { ...manifestDesc, mediaType: parsed.index.mediaType };
    const chosen = selectPlatformManifest(parsed.index.manifests, options.platform ?? store.platform);
    const m = await client.getManifest(repo, chosen.digest);
    await store.content.putBytes(m.bytes, chosen.digest);
    parsed = parseManifest(m.bytes, chosen.mediaType);
    manifestDesc = { mediaType: chosen.mediaType, digest: chosen.digest, size: m.bytes.length };
    if (parsed.kind !== 'manifest') throw new RangeError('Nested image indexes are not supported');
  } else {
    manifestDesc = { ...manifestDesc, mediaType: parsed.manifest.mediaType };
  }
  const manifest = parsed.manifest;
  const repoDigest = `${repositoryName(ref)}@${top.digest}`;
  const name = ref.tag !== undefined ? formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag }) : undefined;

  const existing = await store.find(manifest.config.digest);
  if (existing && existing.repoDigests.includes(repoDigest) && (name === undefined || (await store.tagsOf(existing.id)).includes(name))) {
    progress?.({ status: `Digest: ${top.digest}` });
    progress?.({ status: `Status: Image is up to date for ${familiar}` });
    return { image: existing, digest: top.digest, reference: familiar, upToDate: true };
  }

  if (!(await store.content.has(manifest.config.digest))) await fetchBlob(store, client, repo, manifest.config);
  const fresh = new Set<string>();
  for (const l of manifest.layers) {
    if (await store.content.has(l.digest)) progress?.({ status: 'Already exists', id: shortId(l.digest) });
    else {
      fresh.add(l.digest);
      progress?.({ status: 'Pulling fs layer', id: shortId(l.digest) });
    }
  }
  await eachLimit([...fresh], options.concurrency ?? 3, async (digest) => {
    const desc = manifest.layers.find((l) => l.digest === digest)!;
    await fetchBlob(store, client, repo, desc, progress);
  });
  for (const d of fresh) progress?.({ status: 'Extracting', id: shortId(d), progressDetail: {} });
  const image = await store.addImage({
    config: manifest.config,
    layers: manifest.layers.map((blob) => ({ blob })),
    manifest: manifestDesc,
    ...(indexDesc ? { index: indexDesc } : {}),
    names: name ? [name] : [],
    repoDigest,
    source: repositoryName(ref),
  });
  for (const d of fresh) progress?.({ status: 'Pull complete', id: shortId(d), progressDetail: {} });
  progress?.({ status: `Digest: ${top.digest}` });
  progress?.({ status: `Status: Downloaded newer image for ${familiar}` });
  return { image, digest: top.digest, reference: familiar, upToDate: false };
}
