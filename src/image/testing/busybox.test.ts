import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import { buildBusyboxImage } from './busybox.js';

test('buildBusyboxImage() is reproducible and skopeo reads both outputs', async (t) => {
  if (!(await needTools(t, 'skopeo'))) return;
  const a = await buildBusyboxImage({ dir: await tempDir(t) });
  const b = await buildBusyboxImage({ dir: await tempDir(t) });
  assert.equal(a.imageId, b.imageId);
  assert.equal(a.manifestDigest, b.manifestDigest);
  const oci = JSON.parse((await exec(['skopeo', 'inspect', a.ociRef])).stdout.toString());
  assert.equal(oci.Digest, a.manifestDigest);
  assert.deepEqual(oci.Layers, a.layers.map((l) => l.digest));
  const cfg = JSON.parse((await exec(['skopeo', 'inspect', '--config', `docker-archive:${a.dockerArchive}`])).stdout.toString());
  assert.deepEqual(cfg.rootfs.diff_ids, a.diffIds);
  assert.deepEqual(cfg.config.Cmd, ['/bin/sh']);
  const raw = (await exec(['skopeo', 'inspect', '--raw', '--config', `docker-archive:${a.dockerArchive}`])).stdout;
  assert.equal(Buffer.compare(raw, a.configBytes), 0, 'skopeo sees the exact config bytes');
});

test('buildBusyboxImage() writes zstd layers that skopeo accepts', async (t) => {
  if (!(await needTools(t, 'skopeo', 'zstd'))) return;
  const img = await buildBusyboxImage({ dir: await tempDir(t), compression: 'zstd', extraLayers: [[{ path: 'hello.txt', content: 'hi\n' }]] });
  const oci = JSON.parse((await exec(['skopeo', 'inspect', img.ociRef])).stdout.toString());
  assert.equal(oci.Layers.length, 2);
  const raw = JSON.parse((await exec(['skopeo', 'inspect', '--raw', img.ociRef])).stdout.toString());
  assert.equal(raw.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(oci.Digest, img.manifestDigest);
});
