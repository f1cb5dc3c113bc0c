import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { exec } from '../../core/index.js';
import { ANNOTATION, MEDIA_TYPE, OCI_LAYOUT_FILE, digestHex, parseReference, familiarRepository, sha256Digest, type ContainerConfig, type LayerCompression } from '../../formats/oci/index.js';
import { formatArchiveManifest, formatRepositories } from '../../formats/docker/index.js';
import { buildTar, type TarEntrySpec } from './tar-builder.js';
import { DEFAULT_APPLETS } from './constants.js';

/**
 * Builds small test images offline from Debian's busybox-static, reproducibly (fixed mtimes, sorted
 * names, uid/gid 0, compact JSON in a fixed key order): the same busybox binary gives the same
 * digests. Writes an OCI image layout (`oci:<dir>/oci:<tag>`) and a classic docker-archive.
 */
export interface BusyboxImageOptions {
  /** Output directory (created). */
  readonly dir: string;
  /** Image name in the docker-archive and the OCI ref name's tag, default "localhost/busybox-tiny:latest". */
  readonly tag?: string;
  /** Merged over the default config (Env PATH, Cmd ["/bin/sh"], WorkingDir "/", ExposedPorts 80/tcp, atomic labels). */
  readonly config?: Partial<ContainerConfig>;
  /** Extra layers on top of the busybox layer (whiteouts: ".wh.name", opaque: "dir/.wh..wh..opq"). */
  readonly extraLayers?: ReadonlyArray<readonly TarEntrySpec[]>;
  /** Compression of the layers in the OCI layout (default gzip). The docker-archive always holds plain tars. */
  readonly compression?: LayerCompression;
  /** Path of a static busybox (default /bin/busybox). */
  readonly busyboxPath?: string;
  /** Applets linked to busybox in /bin. */
  readonly applets?: readonly string[];
}

export interface BuiltImage {
  readonly tag: string;
  readonly ociDir: string;
  /** "oci:<ociDir>:<tag part>" for skopeo and `berth pull`. */
  readonly ociRef: string;
  readonly dockerArchive: string;
  readonly imageId: string; // sha256 of the config bytes
  readonly configDigest: string;
  readonly configBytes: Buffer;
  readonly manifestDigest: string;
  readonly manifestBytes: Buffer;
  readonly diffIds: readonly string[];
  readonly layers: ReadonlyArray<{ readonly digest: string; readonly size: number; readonly mediaType: string }>;
}

export { DEFAULT_APPLETS };

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Entries of the base busybox layer, sorted by name as GNU tar --sort=name would. */
export async function busyboxLayerEntries(busyboxPath = '/bin/busybox', applets: readonly string[] = DEFAULT_APPLETS): Promise<TarEntrySpec[]> {
  const busybox = await fsp.readFile(busyboxPath);
  const entries: TarEntrySpec[] = [
    { path: 'bin/', type: 'directory' },
    { path: 'bin/busybox', content: busybox, mode: 0o755 },
    ...[...new Set(applets)].filter((a) => a !== 'busybox').map((a): TarEntrySpec => ({ path: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { path: 'dev/', type: 'directory' },
    { path: 'etc/', type: 'directory' },
    { path: 'etc/group', content: 'root:x:0:\nnobody:x:65534:\n' },
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { path: 'proc/', type: 'directory' },
    { path: 'root/', type: 'directory', mode: 0o700 },
    { path: 'sys/', type: 'directory' },
    { path: 'tmp/', type: 'directory', mode: 0o1777 },
    { path: 'var/', type: 'directory' },
    { path: 'var/www/', type: 'directory' },
    { path: 'var/www/index.html', content: 'hello\n' },
  ];
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.path.replace(/\/$/, '')), Buffer.from(b.path.replace(/\/$/, ''))));
}

async function compress(tar: Buffer, compression: LayerCompression): Promise<Buffer> {
  if (compression === 'gzip') return gzipSync(tar, { level: 9 });
  if (compression === 'zstd') return (await exec(['zstd', '-q', '-c', '-3'], { input: tar, pkg: 'zstd' })).stdout;
  return tar;
}

function defaultConfig(): ContainerConfig {
  return {
    Env: [PATH_ENV],
    Cmd: ['/bin/sh'],
    WorkingDir: '/',
    ExposedPorts: { '80/tcp': {} },
    Labels: {
      'org.opencontainers.image.title': 'busybox-tiny',
      RUN: 'docker run -d --name ${NAME} -p 8080:80 ${IMAGE} httpd -f -p 80 -h /var/www',
      INSTALL: 'docker run --rm --privileged -v /:/host -e HOST=/host -e IMAGE=${IMAGE} -e NAME=${NAME} ${IMAGE} echo install',
      UNINSTALL: 'docker run --rm --privileged -v /:/host -e HOST=/host -e IMAGE=${IMAGE} -e NAME=${NAME} ${IMAGE} echo uninstall',
    },
  };
}

export async function buildBusyboxImage(options: BusyboxImageOptions): Promise<BuiltImage> {
  const tag = options.tag ?? 'localhost/busybox-tiny:latest';
  const ref = parseReference(tag);
  const tagPart = ref.tag ?? 'latest';
  const compression = options.compression ?? 'gzip';
  const layerSpecs = [await busyboxLayerEntries(options.busyboxPath, options.applets), ...(options.extraLayers ?? [])];
  const tars = await Promise.all(layerSpecs.map((entries) => buildTar(entries)));
  const blobs = await Promise.all(tars.map((t) => compress(t, compression)));
  const diffIds = tars.map((t) => sha256Digest(t));
  const layerMediaType =
    compression === 'gzip' ? MEDIA_TYPE.ociLayerGzip : compression === 'zstd' ? MEDIA_TYPE.ociLayerZstd : MEDIA_TYPE.ociLayer;
  const layers = blobs.map((b) => ({ mediaType: layerMediaType, digest: sha256Digest(b), size: b.length }));
  const config = { ...defaultConfig(), ...(options.config ?? {}) };
  const configBytes = Buffer.from(
    JSON.stringify({
      created: '1970-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layerSpecs.map((_, i) => ({ created: '1970-01-01T00:00:00Z', created_by: i === 0 ? 'berth test image: busybox-static rootfs' : `berth test image: layer ${i}` })),
    }),
  );
  const configDigest = sha256Digest(configBytes);
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociManifest,
      config: { mediaType: MEDIA_TYPE.ociConfig, digest: configDigest, size: configBytes.length },
      layers,
    }),
  );
  const manifestDigest = sha256Digest(manifestBytes);

  // OCI image layout
  const ociDir = path.join(options.dir, 'oci');
  const blobDir = path.join(ociDir, 'blobs', 'sha256');
  await fsp.mkdir(blobDir, { recursive: true });
  await fsp.writeFile(path.join(ociDir, 'oci-layout'), OCI_LAYOUT_FILE);
  for (const [i, b] of blobs.entries()) await fsp.writeFile(path.join(blobDir, digestHex(layers[i]!.digest)), b);
  await fsp.writeFile(path.join(blobDir, digestHex(configDigest)), configBytes);
  await fsp.writeFile(path.join(blobDir, digestHex(manifestDigest)), manifestBytes);
  await fsp.writeFile(
    path.join(ociDir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPE.ociManifest, digest: manifestDigest, size: manifestBytes.length, annotations: { [ANNOTATION.refName]: tagPart } },
      ],
    }),
  );

  // docker-archive, classic layout (what `docker save` wrote up to Docker 24)
  const archiveEntries: TarEntrySpec[] = [];
  const layerPaths: string[] = [];
  for (const [i, t] of tars.entries()) {
    const id = digestHex(diffIds[i]!);
    archiveEntries.push({ path: `${id}/`, type: 'directory' });
    archiveEntries.push({ path: `${id}/VERSION`, content: '1.0' });
    archiveEntries.push({ path: `${id}/layer.tar`, content: t });
    layerPaths.push(`${id}/layer.tar`);
  }
  const cfgName = `${digestHex(configDigest)}.json`;
  archiveEntries.push({ path: cfgName, content: configBytes });
  archiveEntries.push({ path: 'manifest.json', content: formatArchiveManifest([{ Config: cfgName, RepoTags: [tag], Layers: layerPaths }]) });
  archiveEntries.push({
    path: 'repositories',
    content: formatRepositories([[familiarRepository(ref), tagPart, digestHex(diffIds[diffIds.length - 1]!)]]),
  });
  const dockerArchive = path.join(options.dir, 'image.docker.tar');
  await fsp.writeFile(dockerArchive, await buildTar(archiveEntries));

  return {
    tag,
    ociDir,
    ociRef: `oci:${ociDir}:${tagPart}`,
    dockerArchive,
    imageId: configDigest,
    configDigest,
    configBytes,
    manifestDigest,
    manifestBytes,
    diffIds,
    layers,
  };
}
