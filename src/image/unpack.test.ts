import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { getAttribute } from 'fs-xattr';
import { exec, isHostError } from '../core/index.js';
import { needRoot, needTools, tempDir } from '../core/test-support.js';
import { sha256Digest } from '../formats/index.js';
import { unpackLayer } from './unpack.js';
import { buildTar, type TarEntrySpec } from './testing/tar-builder.js';
import { busyboxLayerEntries } from './testing/busybox.js';

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  // Small chunks, so the code paths that join chunks are exercised.
  for (let i = 0; i < b.length; i += 7000) yield b.subarray(i, i + 7000);
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { recursive: true })) out.push(String(e));
  return out.sort();
}

const isUnsafe = (e: unknown) => isHostError(e) && e.code === 'IMAGE_UNSAFE_LAYER';

test('unpackLayer() unpacks the busybox layer (gzip and zstd) and reports its diff_id', async (t) => {
  const tar = await buildTar(await busyboxLayerEntries());
  const dest = await tempDir(t);
  const r = await unpackLayer(once(gzipSync(tar)), dest, { mode: 'flatten' });
  assert.equal(r.diffId, sha256Digest(tar));
  assert.equal(await fsp.readlink(path.join(dest, 'bin/sh')), 'busybox');
  assert.equal((await fsp.stat(path.join(dest, 'tmp'))).mode & 0o7777, 0o1777);
  assert.equal((await fsp.stat(path.join(dest, 'bin/busybox'))).mode & 0o777, 0o755);
  assert.equal((await fsp.stat(path.join(dest, 'etc/passwd'))).mtimeMs, 0);
  if (await needTools(t, 'zstd')) {
    const zst = (await exec(['zstd', '-q', '-c'], { input: tar })).stdout;
    const dest2 = await tempDir(t);
    const r2 = await unpackLayer(once(zst), dest2, { mode: 'flatten' });
    assert.equal(r2.diffId, r.diffId);
    assert.deepEqual(await listTree(dest2), await listTree(dest));
  }
});

test('unpackLayer() refuses hostile tars and writes nothing outside', async (t) => {
  const outer = await tempDir(t);
  const victim = path.join(outer, 'victim');
  await fsp.mkdir(victim);
  await fsp.writeFile(path.join(victim, 'secret'), 'keep');
  const cases: Array<[string, TarEntrySpec[]]> = [
    ['dotdot', [{ path: '../evil', content: 'x' }]],
    ['dotdot deep', [{ path: 'a/../../evil', content: 'x' }]],
    ['absolute', [{ path: `${outer}/evil`, content: 'x' }]],
    ['symlink then write through', [{ path: 'link', type: 'symlink', linkname: victim }, { path: 'link/evil', content: 'x' }]],
    ['relative symlink out then write through', [{ path: 'up', type: 'symlink', linkname: '../victim' }, { path: 'up/secret', content: 'x' }]],
    ['symlink dir then hardlink through', [{ path: 'l', type: 'symlink', linkname: victim }, { path: 'h', type: 'link', linkname: 'l/secret' }]],
    ['hardlink outside', [{ path: 'h', type: 'link', linkname: '../victim/secret' }]],
    ['hardlink absolute', [{ path: 'h', type: 'link', linkname: `${victim}/secret` }]],
    ['device node', [{ path: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }]],
    ['char device', [{ path: 'mem', type: 'character-device', devmajor: 1, devminor: 1 }]],
  ];
  for (const [label, entries] of cases) {
    const dest = path.join(outer, `dest-${label.replace(/ /g, '-')}`);
    await fsp.mkdir(dest);
    await assert.rejects(unpackLayer(once(await buildTar(entries)), dest, { mode: 'flatten' }), isUnsafe, label);
  }
  assert.deepEqual(await fsp.readdir(victim), ['secret']);
  assert.equal(await fsp.readFile(path.join(victim, 'secret'), 'utf8'), 'keep');
  assert.ok(!(await fsp.readdir(outer)).includes('evil'));
});

test('unpackLayer() in flatten mode honours whiteouts and opaque directories of lower layers only', async (t) => {
  const dest = await tempDir(t);
  await unpackLayer(once(await buildTar(await busyboxLayerEntries())), dest, { mode: 'flatten' });
  await unpackLayer(
    once(await buildTar([
      { path: 'var/www/new.html', content: 'new\n' },
      { path: 'bin/.wh.false', content: '' },
      { path: 'var/www/.wh..wh..opq', content: '' },
      { path: 'etc/.wh.group', content: '' },
    ])),
    dest,
    { mode: 'flatten' },
  );
  assert.deepEqual(await fsp.readdir(path.join(dest, 'var/www')), ['new.html']);
  await assert.rejects(fsp.lstat(path.join(dest, 'bin/false')));
  await assert.rejects(fsp.lstat(path.join(dest, 'etc/group')));
  assert.ok((await fsp.lstat(path.join(dest, 'bin/true'))).isSymbolicLink());
});

test('unpackLayer() in overlay mode writes whiteout devices and opaque xattrs', async (t) => {
  if (!needRoot(t)) return;
  const dest = await tempDir(t);
  await unpackLayer(
    once(await buildTar([{ path: 'bin/.wh.false', content: '' }, { path: 'var/www/.wh..wh..opq', content: '' }, { path: 'var/www/new.html', content: 'n' }])),
    dest,
    { mode: 'overlay' },
  );
  const st = await fsp.lstat(path.join(dest, 'bin/false'));
  assert.ok(st.isCharacterDevice());
  assert.equal(st.rdev, 0);
  assert.equal((await getAttribute(path.join(dest, 'var/www'), 'trusted.overlay.opaque')).toString(), 'y');
  assert.deepEqual(await fsp.readdir(path.join(dest, 'var/www')), ['new.html']);
});

test('unpackLayer() creates device nodes only when allowed', async (t) => {
  if (!needRoot(t)) return;
  const dest = await tempDir(t);
  await unpackLayer(once(await buildTar([{ path: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 }])), dest, {
    mode: 'flatten',
    allowDevices: true,
  });
  assert.ok((await fsp.lstat(path.join(dest, 'dev/null'))).isCharacterDevice());
});

test('unpackLayer() restores binary xattrs byte-exact (security.capability, user.*) from the PAX records GNU tar writes', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'tar', 'setfattr', 'getcap'))) return;
  const src = await tempDir(t);
  await fsp.mkdir(path.join(src, 'bin'));
  await fsp.writeFile(path.join(src, 'bin/ping'), 'not really ping\n', { mode: 0o755 });
  await fsp.writeFile(path.join(src, 'bin/other'), 'x\n');
  // cap_net_raw=ep as setcap writes it: a vfs_cap_data v2 struct, full of NUL and high bytes.
  await exec(['setfattr', '-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', path.join(src, 'bin/ping')]);
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x3d, 0x20, 0xc3]);
  await exec(['setfattr', '-n', 'user.blob', '-v', `0x${binary.toString('hex')}`, path.join(src, 'bin/other')]);
  await exec(['setfattr', '-n', 'user.text', '-v', 'héllo', path.join(src, 'bin/other')]);
  const tar = (await exec(['tar', '--xattrs', '--xattrs-include=*', '--format=posix', '-C', src, '-cf', '-', 'bin'])).stdout;
  assert.ok(tar.includes(Buffer.from('SCHILY.xattr.security.capability=')), 'GNU tar wrote the capability as a PAX record');

  const dest = await tempDir(t);
  await unpackLayer(once(tar), dest, { mode: 'flatten' });
  assert.deepEqual(await getAttribute(path.join(dest, 'bin/ping'), 'security.capability'), Buffer.from('0100000200200000000000000000000000000000', 'hex'));
  assert.match((await exec(['getcap', path.join(dest, 'bin/ping')])).stdout.toString(), /cap_net_raw[=+]ep/);
  assert.deepEqual(await getAttribute(path.join(dest, 'bin/other'), 'user.blob'), binary);
  assert.equal((await getAttribute(path.join(dest, 'bin/other'), 'user.text')).toString('utf8'), 'héllo');
});
