import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { exec, isHostError } from '../core/index.js';
import { needRoot, needTools, tempDir } from '../core/test-support.js';
import { ImageStore } from './image-store.js';
import { buildBusyboxImage } from './testing/busybox.js';
import { buildTar } from './testing/tar-builder.js';

const code = (c: string) => (e: unknown) => isHostError(e) && e.code === c;

test('ImageStore imports an OCI layout, names, tags, resolves and removes images like docker', async (t) => {
  const built = await buildBusyboxImage({ dir: await tempDir(t) });
  const store = await ImageStore.open({ root: await tempDir(t) });
  const img = await store.importOciLayout(built.ociDir, { refName: 'latest', names: ['localhost/busybox-tiny:latest'] });
  assert.equal(img.id, built.imageId);
  assert.equal(img.manifest?.digest, built.manifestDigest);
  assert.equal((await store.resolve('localhost/busybox-tiny')).id, img.id);
  assert.equal((await store.resolve(img.id.slice(7, 19))).id, img.id);
  assert.equal((await store.resolve(img.id)).id, img.id);
  await store.tag('localhost/busybox-tiny', 'busybox:v1');
  await store.tag(img.id, 'other/repo:x');
  const [summary] = await store.list();
  assert.deepEqual(summary!.repoTags, ['busybox:v1', 'localhost/busybox-tiny:latest', 'other/repo:x']);
  assert.equal(summary!.created, 0);
  assert.equal(summary!.labels['org.opencontainers.image.title'], 'busybox-tiny');
  await assert.rejects(store.remove(img.id), code('IMAGE_IN_USE'));
  assert.deepEqual(await store.remove('busybox:v1'), [{ Untagged: 'busybox:v1' }]);
  assert.deepEqual(await store.remove('other/repo:x'), [{ Untagged: 'other/repo:x' }]);
  assert.deepEqual(await store.remove('localhost/busybox-tiny'), [{ Untagged: 'localhost/busybox-tiny:latest' }, { Deleted: img.id }]);
  await assert.rejects(store.resolve(img.id), code('IMAGE_NOT_FOUND'));
  assert.deepEqual(await store.content.list(), [], 'gc dropped every blob');
});

test('ImageStore.remove() refuses an image a container uses, unless forced (then it only untags)', async (t) => {
  const built = await buildBusyboxImage({ dir: await tempDir(t) });
  let used = true;
  const store = await ImageStore.open({ root: await tempDir(t), isImageInUse: () => used });
  await store.importOciLayout(built.ociDir, { names: ['used:1'] });
  await assert.rejects(store.remove('used:1'), code('IMAGE_IN_USE'));
  await assert.rejects(store.remove(built.imageId), code('IMAGE_IN_USE'));
  assert.deepEqual(await store.remove('used:1', { force: true }), [{ Untagged: 'used:1' }]);
  assert.equal((await store.resolve(built.imageId)).id, built.imageId, 'kept for the container');
  assert.equal((await store.prune()).deleted.length, 0, 'prune spares it while in use');
  used = false;
  assert.deepEqual((await store.prune()).deleted, [{ Deleted: built.imageId }]);
});

test('ImageStore loads the classic and skopeo docker-archive layouts with exact image IDs', async (t) => {
  if (!(await needTools(t, 'skopeo'))) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir, extraLayers: [[{ path: 'etc/motd', content: 'hi\n' }]] });
  const store = await ImageStore.open({ root: await tempDir(t) });
  const loaded = await store.load(createReadStream(built.dockerArchive));
  assert.deepEqual(loaded, [{ id: built.imageId, tags: ['localhost/busybox-tiny:latest'] }]);
  // containers/image layout: <diffid>.tar at the top plus legacy symlinks
  const skopeoArchive = path.join(dir, 'skopeo.tar');
  await exec(['skopeo', 'copy', `docker-archive:${built.dockerArchive}`, `docker-archive:${skopeoArchive}:example.com/skopeo/made:v2`]);
  const loaded2 = await store.load(createReadStream(skopeoArchive));
  assert.equal(loaded2[0]!.id, built.imageId);
  assert.deepEqual(loaded2[0]!.tags, ['example.com/skopeo/made:v2']);
  const img = await store.resolve('example.com/skopeo/made:v2');
  assert.deepEqual(img.layers.map((l) => l.diffId), built.diffIds);
});

test('ImageStore.save() writes a Docker >= 25 archive that skopeo reads and that loads back', async (t) => {
  if (!(await needTools(t, 'skopeo'))) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  const store = await ImageStore.open({ root: await tempDir(t) });
  await store.importOciLayout(built.ociDir, { names: ['busybox:saved'] });
  const out = path.join(dir, 'saved.tar');
  await store.save(['busybox:saved'], createWriteStream(out));
  const cfg = (await exec(['skopeo', 'inspect', '--raw', '--config', `docker-archive:${out}`])).stdout;
  assert.equal(cfg.toString(), built.configBytes.toString(), 'config bytes kept exactly');
  // skopeo finds the image by the name recorded in manifest.json
  const byName = (await exec(['skopeo', 'inspect', '--raw', '--config', `docker-archive:${out}:busybox:saved`])).stdout;
  assert.equal(byName.toString(), built.configBytes.toString());
  // the same tar is an OCI layout too
  const ociCopy = path.join(dir, 'from-saved');
  await exec(['skopeo', 'copy', `docker-archive:${out}`, `oci:${ociCopy}:x`]);
  const listing = (await exec(['tar', '-tf', out])).stdout.toString().split('\n');
  assert.ok(listing.includes('oci-layout') && listing.includes('index.json') && listing.includes('manifest.json'));
  const other = await ImageStore.open({ root: await tempDir(t) });
  const back = await other.load(createReadStream(out));
  assert.deepEqual(back, [{ id: built.imageId, tags: ['busybox:saved'] }]);
});

test('ImageStore.exportOciLayout() writes a layout skopeo reads with the same manifest digest', async (t) => {
  if (!(await needTools(t, 'skopeo'))) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  const store = await ImageStore.open({ root: await tempDir(t) });
  await store.importOciLayout(built.ociDir, { names: ['x:1'] });
  const out = path.join(dir, 'out');
  await store.exportOciLayout('x:1', out, 'v1');
  const info = JSON.parse((await exec(['skopeo', 'inspect', `oci:${out}:v1`])).stdout.toString());
  assert.equal(info.Digest, built.manifestDigest);
  // A loaded (manifest-less) image gets gzip layers and a new OCI manifest
  const s2 = await ImageStore.open({ root: await tempDir(t) });
  await s2.load(createReadStream(built.dockerArchive));
  await s2.exportOciLayout('localhost/busybox-tiny', out, 'v2');
  const raw = JSON.parse((await exec(['skopeo', 'inspect', '--raw', `oci:${out}:v2`])).stdout.toString());
  assert.equal(raw.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(raw.config.digest, built.imageId);
  await exec(['skopeo', 'copy', `oci:${out}:v2`, `oci:${path.join(dir, 'copy')}:v2`]);
});

test('ImageStore.load() refuses an archive whose layer does not match the config', async (t) => {
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  const cfgName = `${built.imageId.slice(7)}.json`;
  const archive = await buildTar([
    { path: cfgName, content: built.configBytes },
    { path: 'layer.tar', content: await buildTar([{ path: 'evil', content: 'not the layer' }]) },
    { path: 'manifest.json', content: JSON.stringify([{ Config: cfgName, RepoTags: ['bad:1'], Layers: ['layer.tar'] }]) },
  ]);
  const store = await ImageStore.open({ root: await tempDir(t) });
  await assert.rejects(store.load(Readable.from([archive])), code('IMAGE_LAYER_DIFF_MISMATCH'));
  const escape = await buildTar([{ path: 'manifest.json', content: JSON.stringify([{ Config: '../../etc/passwd', RepoTags: [], Layers: [] }]) }]);
  await assert.rejects(store.load(Readable.from([escape])), code('CORE_PATH_ESCAPES'));
  // a layer file that is a symlink to a host file: read through it would import host data
  const viaLink = await buildTar([
    { path: cfgName, content: built.configBytes },
    { path: 'layer.tar', type: 'symlink', linkname: '/etc/passwd' },
    { path: 'manifest.json', content: JSON.stringify([{ Config: cfgName, RepoTags: ['bad:2'], Layers: ['layer.tar'] }]) },
  ]);
  await assert.rejects(store.load(Readable.from([viaLink])), code('CORE_PATH_ESCAPES'));
  // and the archive itself must not write outside the temp dir it is unpacked in
  await assert.rejects(store.load(Readable.from([await buildTar([{ path: '../../../evil', content: 'x' }])])), code('IMAGE_UNSAFE_LAYER'));
  assert.deepEqual(await store.list(), []);
});

test('ImageStore.prepareRootfs() mounts overlayfs over unpacked snapshots with whiteouts honoured', async (t) => {
  if (!needRoot(t)) return;
  const built = await buildBusyboxImage({
    dir: await tempDir(t),
    extraLayers: [[{ path: 'bin/.wh.false' }, { path: 'var/www/.wh..wh..opq' }, { path: 'var/www/new.html', content: 'new\n' }]],
  });
  const store = await ImageStore.open({ root: await tempDir(t) });
  await store.importOciLayout(built.ociDir, { names: ['wh:latest'] });
  const id = `c${Math.random().toString(16).slice(2, 10)}`;
  // Unmounted in `finally`: tempDir's clean-up (an earlier t.after hook) would meet a mounted overlay.
  const fs1 = await store.prepareRootfs('wh', id);
  let fs2: Awaited<ReturnType<typeof store.prepareRootfs>> | undefined;
  try {
    assert.deepEqual(await fsp.readdir(path.join(fs1.merged, 'var/www')), ['new.html']);
    await assert.rejects(fsp.lstat(path.join(fs1.merged, 'bin/false')));
    assert.equal(await fsp.readlink(path.join(fs1.merged, 'bin/sh')), 'busybox');
    await fsp.writeFile(path.join(fs1.merged, 'tmp/state'), 'kept');
    await fs1.release();
    assert.deepEqual(await fsp.readdir(fs1.merged), []);
    fs2 = await store.prepareRootfs('wh', id);
    assert.equal(await fsp.readFile(path.join(fs2.merged, 'tmp/state'), 'utf8'), 'kept');
    // the image cannot go while a rootfs uses its snapshots; gc keeps them
    await store.gc();
    assert.ok((await fsp.readdir(store.snapshotsDir)).filter((n) => /^[0-9a-f]{64}$/.test(n)).length === 2);
    await fs2.remove();
    await assert.rejects(fsp.access(fs2.upper));
  } finally {
    await (fs2 ?? fs1).remove().catch(() => undefined);
  }
});

test('ImageStore.prepareRootfs({ volatile }) mounts an overlay without syncs for --rm, and a re-mount keeps lower.json as it was', async (t) => {
  if (!needRoot(t)) return;
  const built = await buildBusyboxImage({ dir: await tempDir(t) });
  const store = await ImageStore.open({ root: await tempDir(t) });
  await store.importOciLayout(built.ociDir, { names: ['v:1'] });
  // The overlay's options as the kernel reports them (newer kernels spell it fsync=volatile).
  const overlayOptions = async (merged: string): Promise<string[]> => {
    const line = (await fsp.readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === merged);
    assert.ok(line, `${merged} is mounted`);
    return line.split(' - ')[1]!.split(' ')[2]!.split(',').map((o) => (o === 'fsync=volatile' ? 'volatile' : o));
  };
  // Unmounted in `finally`: tempDir's clean-up (an earlier t.after hook) would meet mounted overlays.
  const handles: { remove(): Promise<void> }[] = [];
  try {
    const rm = await store.prepareRootfs('v:1', `rm${Math.random().toString(16).slice(2, 10)}`, { volatile: true });
    handles.push(rm);
    assert.ok((await overlayOptions(rm.merged)).includes('volatile'));
    await fsp.writeFile(path.join(rm.merged, 'tmp/x'), 'x');
    await rm.release();
    // An unclean shutdown leaves the kernel's incompat marker; a volatile re-mount clears it and succeeds.
    await fsp.mkdir(path.join(rm.work, 'work/incompat/volatile'), { recursive: true });
    const lower = path.join(path.dirname(rm.merged), 'lower.json');
    const before = await fsp.stat(lower);
    const again = await store.prepareRootfs('v:1', path.basename(path.dirname(rm.merged)), { volatile: true });
    handles.push(again);
    assert.ok((await overlayOptions(again.merged)).includes('volatile'));
    assert.equal((await fsp.stat(lower)).ino, before.ino, 'lower.json unchanged, not rewritten');
    const keep = await store.prepareRootfs('v:1', `keep${Math.random().toString(16).slice(2, 10)}`);
    handles.push(keep);
    assert.ok(!(await overlayOptions(keep.merged)).includes('volatile'));
    // A volatile rootfs writes lower.json without fsync: a power loss may leave it torn. With the image gone
    // (only lower.json keeps its snapshots), gc then keeps every snapshot instead of failing or guessing.
    await store.remove('v:1', { force: true });
    await keep.remove();
    handles.pop();
    await again.release(); // unmounted, its directory (and lower.json) kept
    const snaps = async () => (await fsp.readdir(store.snapshotsDir)).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
    const used = await snaps();
    assert.ok(used.length > 0);
    await fsp.writeFile(lower, '');
    await store.gc();
    assert.deepEqual(await snaps(), used);
    await fsp.writeFile(lower, '[]');
    await store.gc();
    assert.deepEqual(await snaps(), []);
  } finally {
    for (const h of handles.reverse()) await h.remove();
  }
});

test('ImageStore unpacks a shared base layer once and loads Docker >= 25 archives with compressed layers', async (t) => {
  if (!needRoot(t)) return;
  const dir = await tempDir(t);
  const a = await buildBusyboxImage({ dir: path.join(dir, 'a'), extraLayers: [[{ path: 'a.txt', content: 'a' }]] });
  const b = await buildBusyboxImage({ dir: path.join(dir, 'b'), extraLayers: [[{ path: 'b.txt', content: 'b' }]] });
  const store = await ImageStore.open({ root: await tempDir(t) });
  await store.importOciLayout(a.ociDir, { names: ['a:1'] });
  await store.importOciLayout(b.ociDir, { names: ['b:1'] });
  const snaps = (await fsp.readdir(store.snapshotsDir)).filter((n) => /^[0-9a-f]{64}$/.test(n));
  assert.equal(snaps.length, 3, 'base + two tops');
  // Docker >= 25 with the containerd store: manifest.json points at blobs/sha256/<gzip layer>
  const layerGz = await fsp.readFile(path.join(a.ociDir, 'blobs/sha256', a.layers[0]!.digest.slice(7)));
  const layer2 = await fsp.readFile(path.join(a.ociDir, 'blobs/sha256', a.layers[1]!.digest.slice(7)));
  const archive = await buildTar([
    { path: 'blobs/', type: 'directory' },
    { path: 'blobs/sha256/', type: 'directory' },
    { path: `blobs/sha256/${a.imageId.slice(7)}`, content: a.configBytes },
    { path: `blobs/sha256/${a.layers[0]!.digest.slice(7)}`, content: layerGz },
    { path: `blobs/sha256/${a.layers[1]!.digest.slice(7)}`, content: layer2 },
    { path: `blobs/sha256/${a.manifestDigest.slice(7)}`, content: a.manifestBytes },
    { path: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a.manifestDigest, size: a.manifestBytes.length, annotations: { 'io.containerd.image.name': 'docker.io/library/c25:latest', 'org.opencontainers.image.ref.name': 'latest' } }] }) },
    { path: 'manifest.json', content: JSON.stringify([{ Config: `blobs/sha256/${a.imageId.slice(7)}`, RepoTags: ['c25:latest'], Layers: a.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }]) },
    { path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
  ]);
  const other = await ImageStore.open({ root: await tempDir(t) });
  assert.deepEqual(await other.load(Readable.from([archive])), [{ id: a.imageId, tags: ['c25:latest'] }]);
  // and the same archive without manifest.json is read as an OCI archive
  const ociOnly = await buildTar([
    { path: `blobs/sha256/${a.imageId.slice(7)}`, content: a.configBytes },
    { path: `blobs/sha256/${a.layers[0]!.digest.slice(7)}`, content: layerGz },
    { path: `blobs/sha256/${a.layers[1]!.digest.slice(7)}`, content: layer2 },
    { path: `blobs/sha256/${a.manifestDigest.slice(7)}`, content: a.manifestBytes },
    { path: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a.manifestDigest, size: a.manifestBytes.length, annotations: { 'io.containerd.image.name': 'docker.io/library/ocionly:1' } }] }) },
    { path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
  ]);
  const third = await ImageStore.open({ root: await tempDir(t) });
  assert.deepEqual(await third.load(Readable.from([ociOnly])), [{ id: a.imageId, tags: ['ocionly:1'] }]);
  assert.equal((await third.resolve('ocionly:1')).manifest?.digest, a.manifestDigest);
});

test('ImageStore.gc() clears what a killed process left (half snapshots, temp dirs, stale index lock)', async (t) => {
  const root = await tempDir(t);
  const store = await ImageStore.open({ root });
  const deadPid = 2 ** 22 + 12345; // above pid_max's default: never a live process
  await fsp.mkdir(path.join(store.snapshotsDir, `.tmp-0123456789ab-${deadPid}-xyz`, 'fs'), { recursive: true });
  await fsp.mkdir(path.join(store.snapshotsDir, `.tmp-0123456789ab-${process.pid}-live`), { recursive: true });
  await fsp.mkdir(path.join(store.dir, 'tmp', `load-${deadPid}-abc`), { recursive: true });
  await fsp.writeFile(path.join(store.dir, 'images.lock'), String(deadPid));
  const built = await buildBusyboxImage({ dir: await tempDir(t) });
  await store.importOciLayout(built.ociDir, { names: ['after:crash'] }); // takes over the dead holder's lock
  await store.gc();
  assert.deepEqual((await fsp.readdir(store.snapshotsDir)).filter((n) => n.startsWith('.tmp-')), [`.tmp-0123456789ab-${process.pid}-live`]);
  assert.deepEqual(await fsp.readdir(path.join(store.dir, 'tmp')), []);
  assert.equal((await store.resolve('after:crash')).id, built.imageId);
});

test('ImageStore without root flattens layers into the container rootfs (no overlay, no snapshots)', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'setpriv'))) return; // root is needed to become nobody
  const dir = await tempDir(t);
  await fsp.chmod(dir, 0o755);
  const built = await buildBusyboxImage({
    dir: path.join(dir, 'img'),
    extraLayers: [[{ path: 'bin/.wh.false' }, { path: 'var/www/.wh..wh..opq' }, { path: 'var/www/new.html', content: 'new\n' }]],
  });
  const root = path.join(dir, 'root');
  await fsp.mkdir(root);
  await fsp.chown(root, 65534, 65534);
  const script = `
    const { ImageStore } = await import(${JSON.stringify(new URL('./index.js', import.meta.url).href)});
    const fs = await import('node:fs/promises');
    const store = await ImageStore.open({ root: ${JSON.stringify(root)} });
    await store.importOciLayout(${JSON.stringify(built.ociDir)}, { names: ['rootless:1'] });
    const h = await store.prepareRootfs('rootless:1', 'c1');
    const www = await fs.readdir(h.merged + '/var/www');
    const hasFalse = await fs.lstat(h.merged + '/bin/false').then(() => true, () => false);
    const snaps = (await fs.readdir(store.snapshotsDir)).length;
    console.log(JSON.stringify({ www, hasFalse, sh: await fs.readlink(h.merged + '/bin/sh'), snaps }));
    await h.remove();
  `;
  const out = await exec(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], { cwd: dir });
  assert.deepEqual(JSON.parse(out.stdout.toString()), { www: ['new.html'], hasFalse: false, sh: 'busybox', snaps: 0 });
});
