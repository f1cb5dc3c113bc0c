/** Media types of the OCI image spec and Docker's image manifest v2 schema 2 (same JSON shapes). */
export const MEDIA_TYPE = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/**
 * What a registry client sends as Accept for manifests. Registry 2.8 answers 404 for an OCI manifest
 * when the OCI type is missing, and converts schema2 to signed schema1 when Accept is empty, so every
 * type we can read is listed (schema1 last: we refuse it with a clear error rather than a 404).
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MEDIA_TYPE.ociManifest,
  MEDIA_TYPE.dockerManifest,
  MEDIA_TYPE.dockerManifestList,
  MEDIA_TYPE.ociIndex,
  MEDIA_TYPE.dockerManifestV1Signed,
  MEDIA_TYPE.dockerManifestV1,
];

export type LayerCompression = 'gzip' | 'zstd' | 'none';

const INDEX_TYPES = new Set<string>([MEDIA_TYPE.ociIndex, MEDIA_TYPE.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MEDIA_TYPE.ociManifest, MEDIA_TYPE.dockerManifest]);

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_TYPES.has(mediaType);
}

/** Compression named by a layer media type, or undefined when the type is not a layer we know. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case MEDIA_TYPE.ociLayer:
    case MEDIA_TYPE.ociLayerNondistributable:
    case MEDIA_TYPE.dockerLayer:
      return 'none';
    case MEDIA_TYPE.ociLayerGzip:
    case MEDIA_TYPE.ociLayerNondistributableGzip:
    case MEDIA_TYPE.dockerLayerGzip:
    case MEDIA_TYPE.dockerForeignLayerGzip:
      return 'gzip';
    case MEDIA_TYPE.ociLayerZstd:
    case MEDIA_TYPE.ociLayerNondistributableZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

/** Compression told by magic bytes (what moby's loader and containers/image sniff). */
export function sniffCompression(head: Uint8Array): LayerCompression | 'bzip2' | 'xz' {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) {
    return 'xz';
  }
  return 'none';
}

/** Layer media type for a manifest flavour and a compression. Docker schema2 has no zstd type. */
export function layerMediaType(flavour: 'oci' | 'docker', compression: LayerCompression): string {
  if (flavour === 'docker') return compression === 'none' ? MEDIA_TYPE.dockerLayer : MEDIA_TYPE.dockerLayerGzip;
  if (compression === 'gzip') return MEDIA_TYPE.ociLayerGzip;
  if (compression === 'zstd') return MEDIA_TYPE.ociLayerZstd;
  return MEDIA_TYPE.ociLayer;
}
