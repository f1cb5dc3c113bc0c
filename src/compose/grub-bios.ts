/**
 * GRUB for BIOS firmware, installed into a disk image file without a loop device — what
 * `grub-bios-setup` does for a GPT disk with a BIOS boot partition:
 *
 * - `grub-mkimage -O i386-pc` builds core.img (diskboot + kernel + modules + an embedded config
 *   that finds the root filesystem by label) and it is written to the BIOS boot partition;
 * - boot.img goes into the protective MBR (keeping the BPB area and the partition table), with
 *   the LBA of core.img at 0x5c and the drive-check jump at 0x66 replaced by NOPs for hard disks;
 * - core.img's first sector (diskboot) gets the blocklist of the remaining sectors at 0x1f4.
 *
 * GRUB's modules go to /boot/grub/i386-pc of the root filesystem, where `normal` loads them.
 * Offsets are those of grub 2.06's include/grub/i386/pc/boot.h; Debian's grub-pc-bin ships them.
 */
import { cp, mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exec } from '../core/index.js';
import { ComposeImageFailed } from './errors.js';

export const GRUB_I386_PC_DIR = '/usr/lib/grub/i386-pc';
const SECTOR = 512;
const KERNEL_SECTOR_OFFSET = 0x5c;
const DRIVE_CHECK_OFFSET = 0x66;
const BPB_START = 0x3;
const BPB_END = 0x5a;
const PART_TABLE_START = 0x1b8;
const BLOCKLIST_OFFSET = SECTOR - 12;
const KERNEL_SEGMENT_FIRST = 0x820;
const CORE_MODULES = ['biosdisk', 'part_gpt', 'ext2', 'search', 'search_label', 'normal', 'configfile', 'linux', 'echo', 'test'];

/** Copies GRUB's i386-pc modules into `<root>/boot/grub/i386-pc` (before the filesystem is made). */
export async function stageGrubModules(root: string): Promise<void> {
  const dest = path.join(root, 'boot/grub/i386-pc');
  await mkdir(dest, { recursive: true });
  for (const name of await readdir(GRUB_I386_PC_DIR)) {
    if (/\.(mod|lst)$/.test(name)) await cp(path.join(GRUB_I386_PC_DIR, name), path.join(dest, name));
  }
}

/** Patches boot.img for the disk's MBR (pure, for tests). */
export function patchBootSector(bootImg: Uint8Array, existingMbr: Uint8Array, coreLba: number): Uint8Array {
  if (bootImg.length !== SECTOR || existingMbr.length !== SECTOR) throw new RangeError('boot.img and the MBR are one sector each');
  const out = Uint8Array.from(bootImg);
  out.set(existingMbr.subarray(BPB_START, BPB_END), BPB_START);
  out.set(existingMbr.subarray(PART_TABLE_START, SECTOR), PART_TABLE_START);
  new DataView(out.buffer).setBigUint64(KERNEL_SECTOR_OFFSET, BigInt(coreLba), true);
  out[DRIVE_CHECK_OFFSET] = 0x90;
  out[DRIVE_CHECK_OFFSET + 1] = 0x90;
  return out;
}

/** Fills diskboot's blocklist: the rest of core.img follows its first sector contiguously. */
export function patchCoreBlocklist(core: Uint8Array, coreLba: number): Uint8Array {
  const sectors = Math.ceil(core.length / SECTOR);
  const out = new Uint8Array(sectors * SECTOR);
  out.set(core);
  const view = new DataView(out.buffer);
  view.setBigUint64(BLOCKLIST_OFFSET, BigInt(coreLba + 1), true);
  view.setUint16(BLOCKLIST_OFFSET + 8, sectors - 1, true);
  view.setUint16(BLOCKLIST_OFFSET + 10, KERNEL_SEGMENT_FIRST, true);
  return out;
}

export interface InstallGrubOptions {
  readonly image: string;
  /** First sector and size (sectors) of the BIOS boot partition. */
  readonly biosPartition: { readonly start: number; readonly size: number };
  readonly rootLabel: string;
}

export async function installGrubBios(o: InstallGrubOptions): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'berth-grub-'));
  try {
    const early = path.join(work, 'early.cfg');
    await writeFile(early, `search --no-floppy --label --set=root ${o.rootLabel}\nset prefix=($root)/boot/grub\n`);
    const coreFile = path.join(work, 'core.img');
    await exec(['grub-mkimage', '-O', 'i386-pc', '-d', GRUB_I386_PC_DIR, '-o', coreFile, '-c', early, '-p', '/boot/grub', ...CORE_MODULES], { pkg: 'grub-pc-bin' });
    const core = patchCoreBlocklist(await readFile(coreFile), o.biosPartition.start);
    if (core.length > o.biosPartition.size * SECTOR) {
      throw new ComposeImageFailed(`GRUB core image (${core.length} bytes) does not fit the BIOS boot partition`, { step: 'bootloader' });
    }
    const fh = await open(o.image, 'r+');
    try {
      const mbr = new Uint8Array(SECTOR);
      await fh.read(mbr, 0, SECTOR, 0);
      const boot = patchBootSector(await readFile(path.join(GRUB_I386_PC_DIR, 'boot.img')), mbr, o.biosPartition.start);
      await fh.write(core, 0, core.length, o.biosPartition.start * SECTOR);
      await fh.write(boot, 0, SECTOR, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
