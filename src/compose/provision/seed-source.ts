/**
 * Where NoCloud seeds come from and how they are written:
 * - a disk (or image file) whose filesystem is labelled `cidata` (vfat: `CIDATA`; iso9660: `cidata`),
 *   holding `meta-data` and `user-data` at its root, as cloud-init's NoCloud reads it. berth writes
 *   one with `mkfs.vfat` + `mcopy` (dosfstools, mtools) or `xorriso -as mkisofs`, and reads one with
 *   the same tools when present, else by mounting it read-only (the kernel's vfat and isofs);
 * - a directory: cloud-init's own seed path `/var/lib/cloud/seed/nocloud/` in the host's `/var`
 *   (`compose image --seed=DIR` puts the seed there, in the stateroot's var of the image).
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exec, isErrno, which } from '../../core/index.js';
import { parseSeed, type Seed } from '../../formats/index.js';
import { ProvisionSeedNotFound, ProvisionSeedUnreadable } from './errors.js';

/** The files of a NoCloud seed berth reads or copies (vendor-data and network-config are carried, not applied). */
export const SEED_FILES = ['meta-data', 'user-data', 'vendor-data', 'network-config'] as const;
/** cloud-init's NoCloud seed directory, relative to /var. */
export const SEED_DIR_IN_VAR = 'lib/cloud/seed/nocloud';
/** Labels NoCloud accepts for a seed filesystem. */
export const SEED_LABELS = ['cidata', 'CIDATA'] as const;

export interface LoadedSeed {
  readonly seed: Seed;
  /** Where it came from: `dir:/path`, `disk:/dev/vdb`, `image:/path/seed.img`. */
  readonly source: string;
  readonly metaData: string;
  readonly userData: string | undefined;
  /** sha256 over meta-data and user-data, to tell a changed seed in status. */
  readonly digest: string;
}

function seedDigest(metaData: string, userData: string | undefined): string {
  return createHash('sha256').update(`meta-data\0${metaData}\0user-data\0${userData ?? ''}`).digest('hex');
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Reads and validates a seed directory (FORMAT_SEED_INVALID on a bad seed, PROVISION_SEED_NOT_FOUND without meta-data). */
export async function readSeedDir(dir: string, source = `dir:${dir}`): Promise<LoadedSeed> {
  const metaData = await readOptional(path.join(dir, 'meta-data'));
  if (metaData === undefined) throw new ProvisionSeedNotFound(`No meta-data in seed ${JSON.stringify(dir)}`, { path: dir });
  const userData = await readOptional(path.join(dir, 'user-data'));
  return { seed: parseSeed(metaData, userData), source, metaData, userData, digest: seedDigest(metaData, userData) };
}

export type SeedImageFormat = 'vfat' | 'iso9660';

/** Writes a NoCloud seed disk from a seed directory (validated first, so a bad seed writes nothing). */
export async function writeSeedImage(dir: string, output: string, format: SeedImageFormat = 'vfat'): Promise<LoadedSeed> {
  const loaded = await readSeedDir(dir);
  const files: string[] = [];
  for (const name of SEED_FILES) if ((await readOptional(path.join(dir, name))) !== undefined) files.push(path.join(dir, name));
  await rm(output, { force: true });
  if (format === 'vfat') {
    let bytes = 0;
    for (const f of files) bytes += (await stat(f)).size;
    // FAT12 with 512-byte clusters: metadata plus the files, at least 1 MiB (mkfs.vfat's practical floor).
    const kib = Math.max(1024, Math.ceil((bytes * 1.2 + 256 * 1024) / 1024));
    // A fixed volume id: equal seeds give equal filesystems apart from file times.
    await exec(['mkfs.vfat', '-n', 'CIDATA', '-i', '0c1da7a0', '-C', output, String(kib)], { pkg: 'dosfstools' });
    await exec(['mcopy', '-o', '-i', output, ...files, '::/'], { pkg: 'mtools', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  } else {
    await exec(['xorriso', '-as', 'mkisofs', '-quiet', '-o', output, '-V', 'cidata', '-J', '-R', ...files], { pkg: 'xorriso' });
  }
  return loaded;
}

/** The filesystem type blkid reports for a device or image file. */
async function fsType(device: string): Promise<string | undefined> {
  const r = await exec(['blkid', '-p', '-o', 'value', '-s', 'TYPE', device], { pkg: 'util-linux', check: false });
  const t = r.stdout.toString().trim();
  return t === '' ? undefined : t;
}

/**
 * Reads a seed disk or image file. Without mounting when the userspace tools are there (mtools for
 * vfat, xorriso for iso9660: no kernel filesystem, no loop device), else by mounting it read-only in
 * a private directory (a loop device for a file), as on a host whose image has the kernel's vfat and
 * isofs but not the tools. Only vfat and iso9660, as NoCloud.
 */
export async function readSeedImage(device: string): Promise<LoadedSeed> {
  const st = await stat(device).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) throw new ProvisionSeedNotFound(`No seed disk ${JSON.stringify(device)}`, { path: device });
    throw err;
  });
  const type = await fsType(device);
  if (type !== 'vfat' && type !== 'iso9660') {
    throw new ProvisionSeedUnreadable(`Seed ${JSON.stringify(device)} is ${type === undefined ? 'not a filesystem blkid knows' : type}; a NoCloud seed is vfat or iso9660`, { path: device });
  }
  const source = `${st.isFile() ? 'image' : 'disk'}:${device}`;
  const readIn = (dir: string): Promise<LoadedSeed> =>
    readSeedDir(dir, source).catch((err: unknown) => {
      if (ProvisionSeedNotFound.is(err)) throw new ProvisionSeedNotFound(`No meta-data on seed disk ${JSON.stringify(device)}`, { path: device });
      throw err;
    });
  const work = await mkdtemp(path.join(tmpdir(), 'berth-seed-')); // 0700
  try {
    const tool = type === 'vfat' ? 'mcopy' : 'xorriso';
    if ((await which(tool)) !== undefined) {
      const out = path.join(work, 'seed');
      const argv = type === 'vfat'
        ? ['mcopy', '-s', '-n', '-i', device, '::/', out]
        : ['xorriso', '-osirrox', 'on', '-indev', st.isFile() ? device : `stdio:${device}`, '-extract', '/', out];
      const r = await exec(argv, { check: false, env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
      if (r.exitCode !== 0) throw new ProvisionSeedUnreadable(`Cannot read seed ${JSON.stringify(device)} with ${tool}: ${r.stderr.toString().trim()}`, { path: device });
      return await readIn(out);
    }
    const mnt = path.join(work, 'mnt');
    await mkdir(mnt);
    const mounted = await exec(['mount', '-t', type, '-o', st.isFile() ? 'ro,loop' : 'ro', device, mnt], { pkg: 'mount', check: false });
    if (mounted.exitCode !== 0) throw new ProvisionSeedUnreadable(`Cannot mount seed ${JSON.stringify(device)}: ${mounted.stderr.toString().trim()}`, { path: device });
    try {
      return await readIn(mnt);
    } finally {
      await exec(['umount', mnt], { check: false });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Block devices labelled cidata/CIDATA (blkid probes the kernel's list; no udev symlinks needed). */
export async function findSeedDevices(): Promise<string[]> {
  if ((await which('blkid')) === undefined) return [];
  const found = new Set<string>();
  for (const label of SEED_LABELS) {
    const r = await exec(['blkid', '-o', 'device', '-t', `LABEL=${label}`], { check: false });
    for (const line of r.stdout.toString().split('\n')) if (line.trim() !== '') found.add(line.trim());
  }
  return [...found].sort();
}

/** Copies a seed directory into a host's /var at cloud-init's NoCloud path (root only, 0700/0600). */
export async function installSeedDir(varDir: string, seedDir: string): Promise<LoadedSeed> {
  const loaded = await readSeedDir(seedDir);
  const dest = path.join(varDir, SEED_DIR_IN_VAR);
  await mkdir(dest, { recursive: true, mode: 0o700 });
  await chmod(dest, 0o700);
  for (const name of SEED_FILES) {
    const src = path.join(seedDir, name);
    if ((await readOptional(src)) === undefined) continue;
    await copyFile(src, path.join(dest, name));
    await chmod(path.join(dest, name), 0o600);
  }
  return loaded;
}
