// Seed disks as cloud-init's NoCloud expects them (vfat CIDATA / iso9660 cidata), read back with the peer
// tools (mtools, xorriso, blkid) without mounting, and by berth's own reader (the same tools; the mount
// fallback needs a kernel with vfat/isofs, which this test machine lacks: the boot test covers it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exec } from '../../core/index.js';
import { needRoot, needTools } from '../../core/test-support.js';
import { SeedInvalid } from '../../formats/index.js';
import { sysrootTesting } from '../../sysroot/index.js';
import { ProvisionSeedUnreadable } from './errors.js';
import { readSeedDir, readSeedImage, writeSeedImage } from './seed-source.js';

const META = 'instance-id: iid-seed-1\nlocal-hostname: seeded\n';
const USER = '#cloud-config\nhostname: seeded-host\nwrite_files:\n  - path: /etc/seeded\n    content: "yes\\n"\n';

async function seedDir(dir: string, user = USER): Promise<string> {
  const d = path.join(dir, 'seed');
  await fsp.mkdir(d, { recursive: true });
  await fsp.writeFile(path.join(d, 'meta-data'), META);
  await fsp.writeFile(path.join(d, 'user-data'), user);
  return d;
}

async function blkid(file: string): Promise<Record<string, string>> {
  const out = (await exec(['blkid', '-p', '-o', 'export', file])).stdout.toString();
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

test('vfat seed: label CIDATA, files readable with mtools and by berth (loop mount)', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'mkfs.vfat', 'mcopy', 'blkid'))) return;
  const dir = await sysrootTesting.tmpfsDir(t, '64m');
  const src = await seedDir(dir);
  const img = path.join(dir, 'seed.img');
  const written = await writeSeedImage(src, img, 'vfat');
  const id = await blkid(img);
  assert.deepEqual([id.TYPE, id.LABEL], ['vfat', 'CIDATA']);
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  const listing = (await exec(['mdir', '-b', '-i', img, '::/'], { env })).stdout.toString();
  assert.deepEqual(listing.split('\n').filter(Boolean).map((l) => l.replace(/^::\//, '')).sort(), ['meta-data', 'user-data']);
  assert.equal((await exec(['mcopy', '-n', '-i', img, '::/user-data', '-'], { env })).stdout.toString(), USER);
  assert.equal((await exec(['mcopy', '-n', '-i', img, '::/meta-data', '-'], { env })).stdout.toString(), META);
  const read = await readSeedImage(img);
  assert.equal(read.source, `image:${img}`);
  assert.equal(read.digest, written.digest);
  assert.equal(read.digest, (await readSeedDir(src)).digest);
  assert.equal(read.seed.hostname, 'seeded-host');
  assert.equal(read.seed.metaData.instanceId, 'iid-seed-1');
  assert.deepEqual((await fsp.readdir(tmpdir())).filter((n) => n.startsWith('berth-seed-')).length, 0, 'no extraction directory left behind');
});

test('iso9660 seed: volume id cidata, files readable with xorriso and by berth', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'xorriso', 'blkid'))) return;
  const dir = await sysrootTesting.tmpfsDir(t, '64m');
  const src = await seedDir(dir);
  const img = path.join(dir, 'seed.iso');
  await writeSeedImage(src, img, 'iso9660');
  const id = await blkid(img);
  assert.deepEqual([id.TYPE, id.LABEL], ['iso9660', 'cidata']);
  const out = path.join(dir, 'extracted');
  await exec(['xorriso', '-osirrox', 'on', '-indev', img, '-extract', '/', out]);
  assert.equal(await fsp.readFile(path.join(out, 'user-data'), 'utf8'), USER);
  assert.equal(await fsp.readFile(path.join(out, 'meta-data'), 'utf8'), META);
  const read = await readSeedImage(img);
  assert.equal(read.seed.files[0]!.path, '/etc/seeded');
  assert.equal(Buffer.from(read.seed.files[0]!.content).toString(), 'yes\n');
});

test('seed images: a bad seed writes nothing; a disk that is not vfat or iso9660 is refused', async (t) => {
  if (!needRoot(t) || !(await needTools(t, 'mkfs.vfat', 'mkfs.ext4', 'blkid'))) return;
  const dir = await sysrootTesting.tmpfsDir(t, '64m');
  const src = await seedDir(dir, '#cloud-config\nbootcmd: [reboot]\n');
  const img = path.join(dir, 'seed.img');
  await assert.rejects(writeSeedImage(src, img), (err: unknown) => SeedInvalid.is(err) && /user-data:2: bootcmd: Unknown key/.test(err.message));
  await assert.rejects(fsp.stat(img), { code: 'ENOENT' });
  const ext4 = path.join(dir, 'ext4.img');
  await exec(['truncate', '-s', '8M', ext4]);
  await exec(['mkfs.ext4', '-q', '-L', 'cidata', ext4]);
  await assert.rejects(readSeedImage(ext4), (err: unknown) => ProvisionSeedUnreadable.is(err) && /is ext4; a NoCloud seed is vfat or iso9660/.test(err.message));
});
