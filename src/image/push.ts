import * as fsp from 'node:fs/promises';
import { familiarRepository, parseReference, repositoryName, withDefaultTag, type Descriptor } from '../formats/oci/index.js';
import type { ImageStore } from './image-store.js';
import { clientFor, type RegistryAccess } from './pull.js';
import { eachLimit, shortId } from './progress.js';
import type { RegistryClient } from './registry/client.js';

export interface PushOptions extends RegistryAccess {
  /** Where to push (default: the local reference itself). */
  readonly target?: string;
  /** Upload in chunks of this many bytes (PATCH per chunk); default monolithic. */
  readonly chunkSize?: number;
  /** Manifest flavour for images that have none yet (loaded from an archive): docker schema2 (default) or OCI. */
  readonly flavour?: 'docker' | 'oci';
  readonly concurrency?: number;
}

export interface PushResult {
  readonly digest: string;
  readonly size: number;
  readonly tag: string;
  readonly repository: string;
}

async function pushBlob(
  store: ImageStore,
  client: RegistryClient,
  repo: string,
  desc: Descriptor,
  sources: readonly string[],
  options: PushOptions,
  show: boolean,
): Promise<void> {
  const id = shortId(desc.digest);
  const progress = show ? options.onProgress : undefined;
  if ((await client.statBlob(repo, desc.digest, 'pull,push')) !== undefined) {
    progress?.({ status: 'Layer already exists', id, progressDetail: {} });
    return;
  }
  for (const from of sources) {
    if (from === repo) continue;
    if (await client.mountBlob(repo, desc.digest, from)) {
      progress?.({ status: `Mounted from ${from}`, id, progressDetail: {} });
      return;
    }
  }
  const file = store.content.blobPath(desc.digest);
  const fh = await fsp.open(file, 'r');
  try {
    await client.uploadBlob(
      repo,
      { digest: desc.digest, size: desc.size },
      async (offset, length) => {
        const buf = Buffer.alloc(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buf.subarray(0, done);
      },
      {
        ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
        onProgress: (sent) => progress?.({ status: 'Pushing', id, progressDetail: { current: sent, total: desc.size } }),
      },
    );
  } finally {
    await fh.close();
  }
  progress?.({ status: 'Pushed', id, progressDetail: {} });
}

/** `docker push`: layers (skipped when present, mounted across repositories when possible), config, then the exact manifest bytes. */
export async function pushImage(store: ImageStore, localRef: string, options: PushOptions = {}): Promise<PushResult> {
  const image = await store.resolve(localRef);
  const target = withDefaultTag(parseReference(options.target ?? localRef));
  const tag = target.tag ?? 'latest';
  const repo = target.path;
  const progress = options.onProgress;
  const client = await clientFor(target.domain, options);
  progress?.({ status: `The push refers to repository [${repositoryName(target)}]` });
  const { record, descriptor, manifest, bytes } = await store.distributableManifest(image, options.flavour ?? 'docker');
  // Repositories on the same registry that have these blobs: cross-repository mount candidates.
  const sources = record.sources
    .map((s) => parseReference(s))
    .filter((r) => r.domain === target.domain)
    .map((r) => r.path);
  const layers = [...manifest.layers].reverse();
  for (const l of layers) progress?.({ status: 'Preparing', id: shortId(l.digest), progressDetail: {} });
  await eachLimit(layers, options.concurrency ?? 5, (l) => pushBlob(store, client, repo, l, sources, options, true));
  await pushBlob(store, client, repo, manifest.config, sources, options, false);
  const digest = await client.putManifest(repo, tag, bytes, descriptor.mediaType);
  progress?.({ status: `${tag}: digest: ${digest} size: ${bytes.length}` });
  progress?.({ status: '', aux: { Tag: tag, Digest: digest, Size: bytes.length } });
  await store.updateImage(image.id, { repoDigests: [`${repositoryName(target)}@${digest}`], sources: [repositoryName(target)] });
  return { digest, size: bytes.length, tag, repository: repositoryName(target) };
}
