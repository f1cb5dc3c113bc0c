/**
 * `compose image`: a bootable disk from a commit, without mounting the disk.
 *
 * 1. A sysroot is laid out by berth's own deploy code (src/sysroot) on a private tmpfs:
 *    init-fs, the commit pulled into `ostree/repo`, os-init, deploy with the kernel arguments
 *    (the commit's `berth.kargs`, then the caller's), which writes the BLS entries.
 * 2. GRUB configuration in ostree's grub2 layout: `/boot/grub/grub.cfg` sources
 *    `/boot/loader/grub.cfg`, generated from the BLS entries of the current boot version, so the
 *    atomic `boot/loader` symlink swap switches GRUB's menu together with the entries.
 * 3. The disk: GPT with a BIOS boot partition and an ext4 root (label `berth-root`) populated
 *    from the sysroot by `mkfs.ext4 -d` straight into the partition's byte range; qcow2 through
 *    `qemu-img convert`.
 */
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exec, joinWithin } from '../core/index.js';
import { parseOrigin } from '../formats/index.js';
import { BerthRepo, deploy, GRUB_STUB_SOURCE_LINE, Sysroot, writeGrubMenu } from '../sysroot/index.js';
export { renderGrubConfig, sortBootEntries, type BootEntry } from '../sysroot/index.js';
import { ComposeImageFailed } from './errors.js';
import { installGrubBios, stageGrubModules } from './grub-bios.js';
import { ComposeRepo } from './repo.js';
import { installSeedDir, readSeedDir } from './provision/index.js';

export const ROOT_LABEL = 'berth-root';
const LINUX_FS_TYPE = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const BIOS_BOOT_TYPE = '21686148-6449-6E6F-744E-656564454649';
const SECTOR = 512;
/** Sectors of the BIOS boot partition (GRUB's core image). */
export const BIOS_PARTITION = { start: 2048, size: 2048 } as const;

export interface BuildImageOptions {
  readonly repo: string;
  /** Ref or checksum (default: the repo's only ref). */
  readonly rev: string;
  readonly output: string;
  readonly format?: 'raw' | 'qcow2';
  /** Disk size in bytes (default: tree size × 2 + 1 GiB, rounded up to MiB). */
  readonly sizeBytes?: number;
  readonly stateroot?: string;
  /** Appended after `root=LABEL=berth-root rw` and the commit's `berth.kargs`. */
  readonly kargs?: readonly string[];
  /** The origin refspec written for the deployment (default: the ref, when rev is one). */
  readonly refspec?: string;
  /** An OSTree remote configured in the image's repository, for upgrades. */
  readonly remote?: { readonly name: string; readonly url: string };
  /** `grub-bios` (default): GRUB in the BIOS boot partition and MBR; `none`: BLS entries only. */
  readonly bootloader?: 'grub-bios' | 'none';
  /** A NoCloud seed directory (meta-data, user-data) put at /var/lib/cloud/seed/nocloud for first boot. */
  readonly seedDir?: string;
  readonly onStep?: (step: string) => void;
}

export interface BuildImageResult {
  readonly output: string;
  readonly checksum: string;
  readonly sizeBytes: number;
  /** Byte offset of the root partition (for `debugfs 'img?offset=N'`). */
  readonly rootOffset: number;
  readonly kargs: string;
}

async function duBytes(dir: string): Promise<number> {
  const r = await exec(['du', '-sb', dir]);
  return Number(r.stdout.toString().split(/\s/)[0]);
}

export async function buildDiskImage(o: BuildImageOptions): Promise<BuildImageResult> {
  const step = (s: string): void => o.onStep?.(s);
  if (o.seedDir !== undefined) await readSeedDir(o.seedDir); // a bad seed fails before any work
  const stateroot = o.stateroot ?? 'berth';
  const source = new ComposeRepo(o.repo);
  const checksum = await source.mustResolve(o.rev);
  const commit = await source.readCommit(checksum);
  const commitKargs = (() => {
    const v = commit.metadata.find(([k]) => k === 'berth.kargs')?.[1].value;
    return Array.isArray(v) ? (v as string[]) : [];
  })();
  const kargs = [`root=LABEL=${ROOT_LABEL}`, ...commitKargs, ...(o.kargs ?? [])];
  if (!kargs.includes('rw') && !kargs.includes('ro')) kargs.splice(1, 0, 'rw');

  const work = await mkdtemp(path.join(tmpdir(), 'berth-image-'));
  const mnt = path.join(work, 'sysroot');
  await mkdir(mnt);
  // The sysroot is built on a private tmpfs: deploy code may sync and seal; never on the host's disk.
  await exec(['mount', '-t', 'tmpfs', '-o', 'size=8g,mode=0755', 'berth-image', mnt], { pkg: 'mount' });
  try {
    step('sysroot: init-fs, pull, os-init');
    for (const [d, mode] of [['boot', 0o755], ['dev', 0o755], ['home', 0o755], ['proc', 0o755], ['run', 0o755], ['sys', 0o755], ['root', 0o700], ['tmp', 0o1777]] as const) {
      await mkdir(path.join(mnt, d), { mode });
    }
    await mkdir(path.join(mnt, 'ostree/deploy'), { recursive: true });
    const sysRepo = path.join(mnt, 'ostree/repo');
    await exec(['ostree', `--repo=${sysRepo}`, 'init', '--mode=bare'], { pkg: 'ostree' });
    const isRef = !/^[0-9a-f]{64}$/.test(o.rev);
    const ref = isRef ? o.rev.replace(/\^+$/, '') : undefined;
    await exec(['ostree', `--repo=${sysRepo}`, 'pull-local', source.path, checksum], { pkg: 'ostree', timeoutMs: 30 * 60_000 });
    let refspec = o.refspec ?? ref ?? checksum;
    if (o.remote !== undefined) {
      await exec(['ostree', `--repo=${sysRepo}`, 'remote', 'add', '--no-gpg-verify', o.remote.name, o.remote.url], { pkg: 'ostree' });
      if (ref !== undefined) {
        await exec(['ostree', `--repo=${sysRepo}`, 'refs', `--create=${o.remote.name}:${ref}`, checksum], { pkg: 'ostree' });
        refspec = o.refspec ?? `${o.remote.name}:${ref}`;
      }
    } else if (ref !== undefined) {
      await exec(['ostree', `--repo=${sysRepo}`, 'refs', `--create=${ref}`, checksum], { pkg: 'ostree' });
    }
    await exec(['ostree', `--repo=${sysRepo}`, 'config', 'set', 'sysroot.bootloader', 'none'], { pkg: 'ostree' });
    const sv = path.join(mnt, 'ostree/deploy', stateroot, 'var');
    await mkdir(path.join(mnt, 'ostree/deploy', stateroot, 'deploy'), { recursive: true });
    for (const d of ['lib', 'log']) await mkdir(path.join(sv, d), { recursive: true });
    await mkdir(path.join(sv, 'tmp'), { mode: 0o1777 });
    await exec(['chmod', '1777', path.join(sv, 'tmp')]);
    await exec(['ln', '-s', '../run', path.join(sv, 'run')]);
    await exec(['ln', '-s', '../run/lock', path.join(sv, 'lock')]);
    if (o.seedDir !== undefined) {
      step('NoCloud seed into /var/lib/cloud/seed/nocloud');
      await installSeedDir(sv, o.seedDir);
    }

    step(`deploy ${checksum.slice(0, 12)} (berth sysroot)`);
    const sysroot = await Sysroot.load({ path: mnt, openRepo: (p) => BerthRepo.open(p), mutableDeployments: true, sync: false });
    await deploy(sysroot, {
      stateroot,
      checksum,
      origin: parseOrigin(`[origin]\nrefspec=${refspec}\n`),
      kargs: kargs.join(' '),
      noMerge: true,
    });
    step('GRUB configuration from the BLS entries');
    await writeGrubConfig(mnt);
    const bootloader = o.bootloader ?? 'grub-bios';
    if (bootloader === 'grub-bios') {
      try {
        await stageGrubModules(mnt);
      } catch (err) {
        throw new ComposeImageFailed(`Cannot read GRUB's i386-pc modules (install the Debian package "grub-pc-bin"): ${(err as Error).message}`, { step: 'bootloader' }, { cause: err });
      }
    }

    step('disk: GPT, ext4 populated with mkfs.ext4 -d');
    const treeBytes = await duBytes(mnt);
    const size = roundUp(o.sizeBytes ?? treeBytes * 2 + 1024 ** 3, 1024 ** 2);
    const raw = o.format === 'qcow2' ? path.join(work, 'disk.raw') : o.output;
    const rootOffset = await writeRawDisk(mnt, raw, size);
    if (bootloader === 'grub-bios') {
      step('GRUB core image into the BIOS boot partition, boot.img into the MBR');
      await installGrubBios({ image: raw, biosPartition: BIOS_PARTITION, rootLabel: ROOT_LABEL });
    }
    if (o.format === 'qcow2') {
      step('qcow2');
      await exec(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, o.output], { pkg: 'qemu-utils', timeoutMs: 30 * 60_000 });
    }
    return { output: o.output, checksum, sizeBytes: size, rootOffset, kargs: kargs.join(' ') };
  } finally {
    await exec(['umount', mnt], { check: false });
    await rm(work, { recursive: true, force: true });
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** GPT: p1 BIOS boot (1 MiB, for GRUB's core image), p2 ext4 root from `dir`. Returns the root offset. */
export async function writeRawDisk(dir: string, output: string, sizeBytes: number): Promise<number> {
  await rm(output, { force: true });
  await exec(['truncate', '-s', String(sizeBytes), output]);
  const script = `label: gpt\nstart=${BIOS_PARTITION.start}, size=${BIOS_PARTITION.size}, type=${BIOS_BOOT_TYPE}, name=bios\nstart=${BIOS_PARTITION.start + BIOS_PARTITION.size}, type=${LINUX_FS_TYPE}, name=root\n`;
  await exec(['sfdisk', '-q', output], { input: script, pkg: 'fdisk' });
  const table = JSON.parse((await exec(['sfdisk', '-J', output], { pkg: 'fdisk' })).stdout.toString()) as {
    partitiontable: { partitions: { start: number; size: number }[] };
  };
  const root = table.partitiontable.partitions[1];
  if (root === undefined) throw new ComposeImageFailed('sfdisk did not create the root partition', { step: 'partition' });
  const offset = root.start * SECTOR;
  const r = await exec(
    ['mkfs.ext4', '-q', '-F', '-L', ROOT_LABEL, '-E', `offset=${offset}`, '-d', dir, output, `${Math.floor((root.size * SECTOR) / 1024)}k`],
    { pkg: 'e2fsprogs', check: false, timeoutMs: 30 * 60_000 },
  );
  if (r.exitCode !== 0) throw new ComposeImageFailed(`mkfs.ext4 failed: ${r.stderr.toString().trim()}`, { step: 'mkfs' });
  return offset;
}

// ---------------------------------------------------------------------------------------------
// BLS entries → GRUB, the way ostree's grub2 backend lays it out.

/** GRUB's stub in /boot/grub (finds the root by label), then the menu of the current boot version. */
async function writeGrubConfig(sysrootDir: string): Promise<void> {
  const entries = await readdir(joinWithin(sysrootDir, 'boot/loader/entries')).catch(() => []);
  if (!entries.some((n) => n.endsWith('.conf'))) throw new ComposeImageFailed('Deploy wrote no BLS entry', { step: 'bootloader' });
  await mkdir(joinWithin(sysrootDir, 'boot/grub'), { recursive: true });
  await writeFile(
    joinWithin(sysrootDir, 'boot/grub/grub.cfg'),
    [
      '# berth: the menu lives beside the BLS entries of the current boot version',
      `search --no-floppy --label --set=root ${ROOT_LABEL}`,
      'set prefix=($root)/boot/grub',
      'serial --unit=0 --speed=115200',
      'terminal_input console serial',
      'terminal_output console serial',
      GRUB_STUB_SOURCE_LINE,
      '',
    ].join('\n'),
  );
  const loader = await readlink(joinWithin(sysrootDir, 'boot/loader'));
  await writeGrubMenu(sysrootDir, loader === 'loader.1' ? 1 : 0);
}

/** Size of a file, for reports. */
export async function fileSize(p: string): Promise<number> {
  return (await stat(p)).size;
}
