import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostError } from '../../core/index.js';
import {
  chainIds, familiarReference, formatReference, parseManifest, parseReference, selectPlatformManifest, sha256Digest, sniffCompression,
  withDefaultTag, MANIFEST_ACCEPT, MEDIA_TYPE, type Descriptor,
} from '../index.js';
import { splitTarPath, whiteoutOf } from '../tar-path.js';

const code = (c: string) => (e: unknown) => isHostError(e) && e.code === c;

test('parseReference() normalises like docker/distribution', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['index.docker.io/library/ubuntu:22.04', 'docker.io/library/ubuntu:22.04', 'ubuntu:22.04'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    ['localhost:5000/a/b:c', 'localhost:5000/a/b:c', 'localhost:5000/a/b:c'],
    ['127.0.0.1:5000/tiny/busybox', '127.0.0.1:5000/tiny/busybox:latest', '127.0.0.1:5000/tiny/busybox:latest'],
    ['quay.io/coreos/etcd:v3.5.0', 'quay.io/coreos/etcd:v3.5.0', 'quay.io/coreos/etcd:v3.5.0'],
    ['docker.io/library/a_b.c-d__e', 'docker.io/library/a_b.c-d__e:latest', 'a_b.c-d__e:latest'],
    ['[::1]:5000/x:y', '[::1]:5000/x:y', '[::1]:5000/x:y'],
  ];
  for (const [input, full, familiar] of cases) {
    const ref = withDefaultTag(parseReference(input));
    assert.equal(formatReference(ref), full, input);
    assert.equal(familiarReference(ref), familiar, input);
  }
  const d = `sha256:${'a'.repeat(64)}`;
  const byDigest = withDefaultTag(parseReference(`busybox@${d}`));
  assert.equal(byDigest.tag, undefined);
  assert.equal(formatReference(byDigest), `docker.io/library/busybox@${d}`);
  assert.equal(formatReference(parseReference(`r.io/a:t@${d}`)), `r.io/a:t@${d}`);
  for (const bad of ['', 'UPPER', 'a/UPPER', 'a:', ':t', 'a//b', 'a/-b', `${'a'.repeat(64)}`, 'a@sha256:12', 'a:b:c', '-x']) {
    assert.throws(() => parseReference(bad), code('IMAGE_INVALID_REFERENCE'), bad);
  }
});

test('parseManifest() reads schema2 and OCI manifests and indexes, refuses schema1 and mismatches', () => {
  const cfg = { mediaType: MEDIA_TYPE.dockerConfig, digest: sha256Digest('c'), size: 1 };
  const layer = { mediaType: MEDIA_TYPE.dockerLayerGzip, digest: sha256Digest('l'), size: 2 };
  const m = parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.dockerManifest, config: cfg, layers: [layer] }));
  assert.equal(m.kind, 'manifest');
  // OCI allows mediaType to be absent; the Content-Type or the shape tells
  const oci = parseManifest(JSON.stringify({ schemaVersion: 2, config: cfg, layers: [] }), 'application/vnd.oci.image.manifest.v1+json; charset=utf-8');
  assert.ok(oci.kind === 'manifest' && oci.manifest.mediaType === MEDIA_TYPE.ociManifest);
  const idx = parseManifest(JSON.stringify({ schemaVersion: 2, manifests: [] }));
  assert.ok(idx.kind === 'index' && idx.index.mediaType === MEDIA_TYPE.ociIndex);
  assert.throws(() => parseManifest('{"schemaVersion":1,"fsLayers":[]}'), code('IMAGE_UNSUPPORTED_MEDIA_TYPE'));
  assert.throws(() => parseManifest('not json'), code('IMAGE_INVALID_MANIFEST'));
  assert.throws(
    () => parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.dockerManifest, config: cfg, layers: [] }), MEDIA_TYPE.ociManifest),
    code('IMAGE_INVALID_MANIFEST'),
  );
  assert.throws(() => parseManifest(JSON.stringify({ schemaVersion: 2, config: { ...cfg, digest: 'sha256:xyz' }, layers: [] })), code('IMAGE_INVALID_MANIFEST'));
  assert.ok(MANIFEST_ACCEPT.includes(MEDIA_TYPE.ociIndex) && MANIFEST_ACCEPT.includes(MEDIA_TYPE.dockerManifestList));
});

test('selectPlatformManifest() picks linux/amd64, skips attestations, honours arm variants', () => {
  const d = (n: string, platform?: Descriptor['platform'], annotations?: Record<string, string>): Descriptor => ({
    mediaType: MEDIA_TYPE.ociManifest, digest: sha256Digest(n), size: 1, ...(platform ? { platform } : {}), ...(annotations ? { annotations } : {}),
  });
  const list = [
    d('att', { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
    d('armv6', { os: 'linux', architecture: 'arm', variant: 'v6' }),
    d('armv7', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    d('arm64', { os: 'linux', architecture: 'arm64' }),
    d('amd64', { os: 'linux', architecture: 'amd64' }),
    d('win', { os: 'windows', architecture: 'amd64' }),
  ];
  assert.equal(selectPlatformManifest(list, { os: 'linux', architecture: 'amd64' }).digest, sha256Digest('amd64'));
  assert.equal(selectPlatformManifest(list, { os: 'linux', architecture: 'x86_64' }).digest, sha256Digest('amd64'));
  assert.equal(selectPlatformManifest(list, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, sha256Digest('armv7'));
  assert.equal(selectPlatformManifest(list, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, sha256Digest('arm64'));
  assert.throws(() => selectPlatformManifest(list, { os: 'linux', architecture: 's390x' }), code('IMAGE_NO_MATCHING_PLATFORM'));
});

test('chainIds() matches docker: chain(n) = sha256(chain(n-1) + " " + diff(n))', () => {
  const a = sha256Digest('a');
  const b = sha256Digest('b');
  assert.deepEqual(chainIds([a, b]), [a, sha256Digest(`${a} ${b}`)]);
});

test('splitTarPath() and whiteoutOf() classify layer entry names', () => {
  assert.deepEqual(splitTarPath('./a//b/'), { ok: true, parts: ['a', 'b'] });
  assert.deepEqual(splitTarPath('../x'), { ok: false, reason: 'dotdot' });
  assert.deepEqual(splitTarPath('/etc/x'), { ok: false, reason: 'absolute' });
  assert.deepEqual(splitTarPath('./'), { ok: false, reason: 'empty' });
  assert.deepEqual(whiteoutOf('.wh..wh..opq'), { kind: 'opaque' });
  assert.deepEqual(whiteoutOf('.wh.false'), { kind: 'whiteout', name: 'false' });
  assert.deepEqual(whiteoutOf('false'), { kind: 'none' });
  assert.equal(sniffCompression(Uint8Array.from([0x1f, 0x8b, 8])), 'gzip');
  assert.equal(sniffCompression(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  assert.equal(sniffCompression(Uint8Array.from([0x61, 0x62])), 'none');
});
