import { InvalidImageConfig, InvalidManifest, UnsupportedMediaType } from './errors.js';
import { DIGEST_REGEXP } from './digest.js';
import { MEDIA_TYPE, isIndexMediaType, isManifestMediaType } from './media-types.js';

/**
 * OCI image-spec JSON shapes (Docker schema2 uses the same fields). Parsers validate and return typed
 * views; callers keep and hash the original bytes: re-serialising changes digests.
 */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string; // filled from the Content-Type when the JSON has none
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly subject?: Descriptor;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export type ParsedManifest =
  | { readonly kind: 'manifest'; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly index: ImageIndex };

/** The parts of an image config berth reads (docker's and OCI's shapes agree on these). */
export interface ContainerConfig {
  readonly User?: string;
  readonly Env?: readonly string[] | null;
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly ExposedPorts?: Readonly<Record<string, object>> | null;
  readonly Volumes?: Readonly<Record<string, object>> | null;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly StopSignal?: string;
  readonly ArgsEscaped?: boolean;
  readonly Healthcheck?: unknown;
  readonly OnBuild?: readonly string[] | null;
  readonly Shell?: readonly string[] | null;
}

export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly created?: string;
  readonly author?: string;
  readonly config?: ContainerConfig;
  readonly rootfs: { readonly type: string; readonly diff_ids: readonly string[] };
  readonly history?: readonly HistoryEntry[];
  readonly docker_version?: string;
  readonly comment?: string;
  readonly [key: string]: unknown;
}

function fail(reason: string): never {
  throw new InvalidManifest(`Invalid manifest: ${reason}`, { reason });
}

function decodeJson(bytes: Uint8Array | string, onError: (reason: string) => never): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    return onError(`not JSON (${(err as Error).message})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) fail(`${where} is not an object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') fail(`${where} has no mediaType`);
  if (typeof digest !== 'string' || !DIGEST_REGEXP.test(digest)) fail(`${where} has a bad digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(`${where} has a bad size`);
  return value as unknown as Descriptor;
}

/**
 * Parses a manifest or an index. `contentType` is the registry's Content-Type (or the descriptor's
 * mediaType); the JSON's own mediaType wins when present, and the two must agree when both are known.
 */
export function parseManifest(bytes: Uint8Array | string, contentType?: string): ParsedManifest {
  const json = decodeJson(bytes, fail);
  if (!isObject(json)) fail('not a JSON object');
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim();
  if (json.schemaVersion === 1 || header === MEDIA_TYPE.dockerManifestV1 || header === MEDIA_TYPE.dockerManifestV1Signed) {
    throw new UnsupportedMediaType(
      'Docker image manifest schema 1 is deprecated and not supported; push the image again with a current client',
      { mediaType: header ?? MEDIA_TYPE.dockerManifestV1 },
    );
  }
  if (json.schemaVersion !== 2) fail(`schemaVersion ${JSON.stringify(json.schemaVersion)}`);
  const usable = (t: string | undefined) => t !== undefined && t !== '' && t !== 'application/json' && t !== 'application/octet-stream';
  let mediaType = declared ?? (usable(header) ? header : undefined);
  if (mediaType === undefined) {
    // OCI allows mediaType to be absent: tell by shape.
    mediaType = Array.isArray(json.manifests) ? MEDIA_TYPE.ociIndex : MEDIA_TYPE.ociManifest;
  }
  if (declared !== undefined && usable(header) && header !== declared) {
    fail(`mediaType ${JSON.stringify(declared)} does not match the content type ${JSON.stringify(header)}`);
  }
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(json.manifests)) fail('index has no manifests array');
    const manifests = json.manifests.map((d, i) => parseDescriptor(d, `manifests[${i}]`));
    return { kind: 'index', index: { ...(json as object), schemaVersion: 2, mediaType, manifests } as ImageIndex };
  }
  if (isManifestMediaType(mediaType)) {
    const config = parseDescriptor(json.config, 'config');
    if (!Array.isArray(json.layers)) fail('manifest has no layers array');
    const layers = json.layers.map((d, i) => parseDescriptor(d, `layers[${i}]`));
    return { kind: 'manifest', manifest: { ...(json as object), schemaVersion: 2, mediaType, config, layers } as ImageManifest };
  }
  throw new UnsupportedMediaType(`Unsupported manifest media type ${JSON.stringify(mediaType)}`, { mediaType });
}

export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  const bad = (reason: string): never => {
    throw new InvalidImageConfig(`Invalid image config: ${reason}`, { reason });
  };
  const json = decodeJson(bytes, bad);
  if (!isObject(json)) bad('not a JSON object');
  const c = json as Record<string, unknown>;
  if (!isObject(c.rootfs) || !Array.isArray(c.rootfs.diff_ids)) bad('no rootfs.diff_ids');
  const rootfs = c.rootfs as { diff_ids: unknown[] };
  for (const d of rootfs.diff_ids) if (typeof d !== 'string' || !DIGEST_REGEXP.test(d)) bad(`bad diff_id ${JSON.stringify(d)}`);
  if (c.config !== undefined && c.config !== null && !isObject(c.config)) bad('config is not an object');
  return {
    ...c,
    architecture: typeof c.architecture === 'string' ? c.architecture : '',
    os: typeof c.os === 'string' ? c.os : '',
  } as ImageConfig;
}

/** Serialises a manifest we create (e.g. for a pushed docker-archive image): compact, fixed key order. */
export function formatManifest(m: { mediaType: string; config: Descriptor; layers: readonly Descriptor[]; annotations?: Record<string, string> }): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: m.mediaType,
    config: m.config,
    layers: m.layers,
    ...(m.annotations ? { annotations: m.annotations } : {}),
  });
}

export function formatIndex(manifests: readonly Descriptor[], annotations?: Record<string, string>): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociIndex,
    manifests,
    ...(annotations ? { annotations } : {}),
  });
}

/** OCI layout annotations. */
export const ANNOTATION = {
  refName: 'org.opencontainers.image.ref.name',
  containerdImageName: 'io.containerd.image.name',
} as const;

export const OCI_LAYOUT_FILE = '{"imageLayoutVersion":"1.0.0"}';
