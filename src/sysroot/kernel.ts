/**
 * Finding the kernel in a deployment and computing its bootcsum, as libostree 2022.7 does
 * (get_kernel_from_tree): first `usr/lib/modules/KVER/vmlinuz` with `initramfs.img` (or
 * `initramfs`) and optional `devicetree`/`dtb/` and `.vmlinuz.hmac` beside it; bootcsum =
 * SHA-256(vmlinuz ‖ initramfs ‖ devicetree). Otherwise the legacy `usr/lib/ostree-boot/` or
 * `boot/` layout with `vmlinuz-*-SHA256` whose suffix is the bootcsum.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { compareNames, isErrno } from '../core/index.js';

export interface KernelLayout {
  /** Directory holding the sources, relative to the deployment root. */
  readonly srcDir: string;
  readonly kernelSrc: string;
  /** Name in /boot/ostree/STATEROOT-BOOTCSUM/: `vmlinuz-KVER`. */
  readonly kernelName: string;
  readonly initramfsSrc?: string;
  readonly initramfsName?: string;
  readonly devicetreeSrc?: string;
  readonly devicetreeName?: string;
  /** A `dtb` directory copied whole (BLS `fdtdir`). */
  readonly devicetreeDirSrc?: string;
  readonly hmacSrc?: string;
  readonly hmacName?: string;
  readonly bootcsum: string;
}

async function isRegular(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isFile();
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

async function hashFileInto(hash: ReturnType<typeof createHash>, file: string): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

async function hashDirInto(hash: ReturnType<typeof createHash>, dir: string): Promise<void> {
  const names = (await fsp.readdir(dir)).sort(compareNames);
  for (const name of names) {
    const p = path.join(dir, name);
    const st = await fsp.lstat(p);
    if (st.isDirectory()) await hashDirInto(hash, p);
    else if (st.isFile()) await hashFileInto(hash, p);
  }
}

async function fromModules(root: string, knownBootcsum: string | undefined): Promise<KernelLayout | undefined> {
  const modules = path.join(root, 'usr/lib/modules');
  let kvers: string[];
  try {
    kvers = (await fsp.readdir(modules)).sort(compareNames);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  for (const kver of kvers) {
    const dir = path.join(modules, kver);
    if (!(await isRegular(path.join(dir, 'vmlinuz')))) continue;
    const rel = `usr/lib/modules/${kver}`;
    // Hashing a real kernel + initramfs costs tens of ms; skipped when the caller knows the sum.
    const hashing = knownBootcsum === undefined;
    const hash = createHash('sha256');
    if (hashing) await hashFileInto(hash, path.join(dir, 'vmlinuz'));
    let initramfs: string | undefined;
    for (const name of ['initramfs.img', 'initramfs']) {
      if (await isRegular(path.join(dir, name))) {
        initramfs = name;
        break;
      }
    }
    if (initramfs !== undefined && hashing) await hashFileInto(hash, path.join(dir, initramfs));
    let devicetree: string | undefined;
    let dtbDir: string | undefined;
    if (await isRegular(path.join(dir, 'devicetree'))) {
      devicetree = 'devicetree';
      if (hashing) await hashFileInto(hash, path.join(dir, devicetree));
    } else if (await isDir(path.join(dir, 'dtb'))) {
      dtbDir = 'dtb';
      if (hashing) await hashDirInto(hash, path.join(dir, dtbDir));
    }
    const hmac = (await isRegular(path.join(dir, '.vmlinuz.hmac'))) ? '.vmlinuz.hmac' : undefined;
    return {
      srcDir: rel,
      kernelSrc: `${rel}/vmlinuz`,
      kernelName: `vmlinuz-${kver}`,
      ...(initramfs !== undefined ? { initramfsSrc: `${rel}/${initramfs}`, initramfsName: `initramfs-${kver}.img` } : {}),
      ...(devicetree !== undefined ? { devicetreeSrc: `${rel}/${devicetree}`, devicetreeName: `devicetree-${kver}` } : {}),
      ...(dtbDir !== undefined ? { devicetreeDirSrc: `${rel}/${dtbDir}` } : {}),
      ...(hmac !== undefined ? { hmacSrc: `${rel}/${hmac}`, hmacName: `.vmlinuz-${kver}.hmac` } : {}),
      bootcsum: knownBootcsum ?? hash.digest('hex'),
    };
  }
  return undefined;
}

const LEGACY_KERNEL_REGEXP = /^vmlinuz-(.*)-([0-9a-f]{64})$/;

async function fromLegacy(root: string): Promise<KernelLayout | undefined> {
  for (const rel of ['usr/lib/ostree-boot', 'boot']) {
    let names: string[];
    try {
      names = (await fsp.readdir(path.join(root, rel))).sort(compareNames);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue;
      throw err;
    }
    const kernel = names.find((n) => LEGACY_KERNEL_REGEXP.test(n));
    if (kernel === undefined) continue;
    const bootcsum = LEGACY_KERNEL_REGEXP.exec(kernel)![2]!;
    const initramfs = names.find((n) => (n.startsWith('initramfs-') || n.startsWith('initrd-')) && n.endsWith(`-${bootcsum}`));
    return {
      srcDir: rel,
      kernelSrc: `${rel}/${kernel}`,
      kernelName: kernel.slice(0, -(bootcsum.length + 1)),
      ...(initramfs !== undefined
        ? { initramfsSrc: `${rel}/${initramfs}`, initramfsName: initramfs.slice(0, -(bootcsum.length + 1)) }
        : {}),
      bootcsum,
    };
  }
  return undefined;
}

/** The kernel layout of the tree at `root`, or undefined when it has no kernel. */
export async function findKernel(root: string, options: { readonly bootcsum?: string } = {}): Promise<KernelLayout | undefined> {
  const modules = await fromModules(root, options.bootcsum);
  if (modules !== undefined && modules.initramfsSrc !== undefined) return modules;
  const legacy = await fromLegacy(root);
  if (legacy !== undefined && (modules === undefined || legacy.initramfsSrc !== undefined)) return legacy;
  return modules;
}
