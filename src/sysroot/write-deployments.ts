/**
 * Making a new deployment list the boot configuration, atomically (libostree's
 * ostree_sysroot_write_deployments). Two ways, as in ostree:
 *
 * - Sub-bootversion swap, when only which deployment sits behind each boot entry changes (same
 *   count, same kernel, kargs and version per position): write `ostree/boot.B.(1-M)` links, sync,
 *   then rename a new `ostree/boot.B` symlink over the old one. The BLS entries stay untouched.
 * - Bootversion swap otherwise: write `boot/loader.(1-B)/entries`, kernels into
 *   `boot/ostree/STATEROOT-BOOTCSUM/`, the `ostree/boot.(1-B).M` links, a `boot/loader.tmp`
 *   symlink; sync; then the commit point: rename `boot/loader.tmp` over `boot/loader`.
 *
 * Before the commit point the bootloader still reads the old entries, and nothing those reference
 * has been touched, so a crash at any step boots the old default; after it, the new one.
 *
 * Syncing (a deliberate difference from ostree): ostree runs syncfs() on the sysroot, then a
 * FIFREEZE/FITHAW cycle on /boot's filesystem so GRUB, which reads ext4/xfs without replaying the
 * journal, sees the new files, then a global sync(). berth runs syncfs on the sysroot and on /boot
 * (`sync -f`), fsyncs every file and directory it writes under /boot, and freezes /boot only when it
 * is a separate mount point of a journalling filesystem (ext3/ext4/xfs) that is not the filesystem
 * berth itself runs from (so test sysroots in a directory, and hosts with /boot on /, are never
 * frozen: freezing the root filesystem can hang every writer on the machine, berth included).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { type BlsEntry, formatBlsEntry } from '../formats/bls-entry.js';
import { formatKargs, parseKargs, replaceKarg } from '../formats/bls-kargs.js';
import { exec, fsyncDir, isErrno, symlinkAtomic, writeFileAtomic } from '../core/index.js';
import { type Deployment, deploymentId, sameDeployment } from './deployment.js';
import { BootedDeploymentRemoval, NoKernel, SysrootCorrupt } from './errors.js';
import { findKernel, type KernelLayout } from './kernel.js';
import { usesGrubMenu, writeGrubMenu } from './grub-menu.js';
import { bootRecordPath, kargsWithoutOstree, type Sysroot } from './sysroot.js';

export interface WriteDeploymentsResult {
  readonly sysroot: Sysroot;
  readonly bootswap: boolean;
  /** e.g. `boot.1.1`, as ostree prints it. */
  readonly subbootdir: string;
}

function assignBootserials(list: readonly Deployment[]): Deployment[] {
  const counts = new Map<string, number>();
  return list.map((d) => {
    const n = counts.get(d.bootcsum) ?? 0;
    counts.set(d.bootcsum, n + 1);
    return { ...d, bootserial: n };
  });
}

async function versionOf(sysroot: Sysroot, d: Deployment): Promise<string | undefined> {
  return (await sysroot.commit(d.checksum))?.version;
}

async function bootconfigsEqual(sysroot: Sysroot, a: Deployment, b: Deployment): Promise<boolean> {
  if (a.bootcsum !== b.bootcsum) return false;
  if (kargsWithoutOstree(a.kargs) !== kargsWithoutOstree(b.kargs)) return false;
  return (await versionOf(sysroot, a)) === (await versionOf(sysroot, b));
}

async function readSubbootversion(sysroot: Sysroot, bootversion: 0 | 1): Promise<0 | 1> {
  if (bootversion === sysroot.bootversion) return sysroot.subbootversion;
  try {
    const t = await fsp.readlink(path.join(sysroot.path, `ostree/boot.${bootversion}`));
    return t === `boot.${bootversion}.1` ? 1 : 0;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
}

async function createBootlinks(sysroot: Sysroot, bootversion: 0 | 1, list: readonly Deployment[]): Promise<string> {
  const sub = (await readSubbootversion(sysroot, bootversion)) === 0 ? 1 : 0;
  const name = `boot.${bootversion}.${sub}`;
  const dir = path.join(sysroot.path, 'ostree', name);
  await sysroot.failpoint('bootlinks:create');
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  for (const d of list) {
    const parent = path.join(dir, d.stateroot, d.bootcsum);
    await fsp.mkdir(parent, { recursive: true, mode: 0o755 });
    await fsp.symlink(`../../../deploy/${d.stateroot}/deploy/${d.checksum}.${d.serial}`, path.join(parent, String(d.bootserial)));
  }
  return name;
}

async function swapBootlinks(sysroot: Sysroot, bootversion: 0 | 1, subbootdir: string): Promise<void> {
  await sysroot.failpoint('bootlinks:swap');
  await symlinkAtomic(subbootdir, path.join(sysroot.path, `ostree/boot.${bootversion}`));
}

/** Parses os-release like ostree does (KEY=VALUE, shell-unquoted). */
function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    let v = line.slice(eq + 1).trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    v = v.replace(/\\(["\\$`])/g, '$1');
    out.set(line.slice(0, eq), v);
  }
  return out;
}

async function osTitle(deployDir: string): Promise<string> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(deployDir, 'usr/lib/os-release'), 'utf8');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    text = await fsp.readFile(path.join(deployDir, 'etc/os-release'), 'utf8').catch((e: unknown) => {
      throw new SysrootCorrupt(`Reading /etc/os-release: ${(e as Error).message}`, { path: deployDir }, { cause: e });
    });
  }
  const os = parseOsRelease(text);
  const title = os.get('PRETTY_NAME') ?? os.get('ID');
  if (title === undefined) throw new SysrootCorrupt('No PRETTY_NAME or ID in /etc/os-release', { path: deployDir });
  return title;
}

/** Hardlink a kernel file into /boot (as ostree does when /boot is on the same fs), else copy + fsync. */
async function installIntoBoot(src: string, dest: string): Promise<void> {
  try {
    await fsp.access(dest);
    return;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  try {
    await fsp.link(src, dest);
    return;
  } catch (err) {
    if (!(isErrno(err, 'EXDEV') || isErrno(err, 'EMLINK') || isErrno(err, 'EPERM'))) throw err;
  }
  const tmp = `${dest}.tmp`;
  await fsp.copyFile(src, tmp);
  const h = await fsp.open(tmp, 'r+');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
  await fsp.chmod(tmp, 0o644);
  await fsp.rename(tmp, dest);
}

async function copyDirIntoBoot(src: string, dest: string): Promise<void> {
  await fsp.mkdir(dest, { recursive: true });
  for (const name of await fsp.readdir(src)) {
    const s = path.join(src, name);
    const st = await fsp.lstat(s);
    if (st.isDirectory()) await copyDirIntoBoot(s, path.join(dest, name));
    else if (st.isFile()) await installIntoBoot(s, path.join(dest, name));
  }
}

async function installDeploymentKernel(
  sysroot: Sysroot,
  newBootversion: 0 | 1,
  d: Deployment,
  index: number,
  count: number,
  showOsname: boolean,
): Promise<void> {
  const deployDir = sysroot.deploymentDir(d);
  const layout: KernelLayout | undefined = await findKernel(deployDir, { bootcsum: d.bootcsum });
  if (layout === undefined) throw new NoKernel(`No kernel found in deployment ${JSON.stringify(deploymentId(d))}`, { deployment: deploymentId(d) });
  const bootcsumdir = `ostree/${d.stateroot}-${d.bootcsum}`;
  const bootDir = path.join(sysroot.path, 'boot', bootcsumdir);
  await sysroot.failpoint(`bootswap:kernel:${index}`);
  await fsp.mkdir(bootDir, { recursive: true, mode: 0o775 });
  await installIntoBoot(path.join(deployDir, layout.kernelSrc), path.join(bootDir, layout.kernelName));
  if (layout.initramfsSrc !== undefined) {
    await installIntoBoot(path.join(deployDir, layout.initramfsSrc), path.join(bootDir, layout.initramfsName!));
  }
  if (layout.devicetreeSrc !== undefined) {
    await installIntoBoot(path.join(deployDir, layout.devicetreeSrc), path.join(bootDir, layout.devicetreeName!));
  } else if (layout.devicetreeDirSrc !== undefined) {
    await copyDirIntoBoot(path.join(deployDir, layout.devicetreeDirSrc), path.join(bootDir, layout.devicetreeDirSrc));
  }
  if (layout.hmacSrc !== undefined) {
    await installIntoBoot(path.join(deployDir, layout.hmacSrc), path.join(bootDir, layout.hmacName!));
  }
  await fsyncDir(bootDir);

  const version = (await sysroot.commit(d.checksum))?.version;
  let title = await osTitle(deployDir);
  if (version !== undefined && version !== '' && !title.includes(version)) title += ` ${version}`;
  title += ` (ostree${showOsname ? `:${d.stateroot}` : ''}:${index})`;
  let kargs = parseKargs(d.kargs);
  const fields: Array<readonly [string, string]> = [
    ['title', title],
    ['version', String(count - index)],
  ];
  const bootPath = `/ostree/boot.${newBootversion}/${d.stateroot}/${d.bootcsum}/${d.bootserial}`;
  if (layout.initramfsName === undefined) {
    kargs = replaceKarg(kargs, `init=${bootPath}/usr/lib/ostree/ostree-prepare-root`);
  }
  kargs = replaceKarg(kargs, `ostree=${bootPath}`);
  fields.push(['options', formatKargs(kargs)]);
  if (layout.devicetreeName !== undefined) fields.push(['devicetree', `/${bootcsumdir}/${layout.devicetreeName}`]);
  else if (layout.devicetreeDirSrc !== undefined) fields.push(['fdtdir', `/${bootcsumdir}/${layout.devicetreeDirSrc}`]);
  fields.push(['linux', `/${bootcsumdir}/${layout.kernelName}`]);
  if (layout.initramfsName !== undefined) fields.push(['initrd', `/${bootcsumdir}/${layout.initramfsName}`]);
  // ostree's bootconfig parser keeps insertion order: title, version, options, then the rest.
  const entry: BlsEntry = { fields };
  await sysroot.failpoint(`bootswap:entry:${index}`);
  await writeFileAtomic(
    path.join(sysroot.path, `boot/loader.${newBootversion}/entries/ostree-${count - index}-${d.stateroot}.conf`),
    formatBlsEntry(entry),
  );
}

/** /proc/self/mountinfo: the mount that holds `p` (longest mount point prefix). */
async function mountOf(p: string): Promise<{ mountPoint: string; fsType: string } | undefined> {
  const text = await fsp.readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  let best: { mountPoint: string; fsType: string } | undefined;
  for (const line of text.split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0 || parts.length < 5) continue;
    const mp = parts[4]!.replace(/\\040/g, ' ');
    if (p === mp || p.startsWith(mp === '/' ? '/' : `${mp}/`)) {
      if (best === undefined || mp.length > best.mountPoint.length) best = { mountPoint: mp, fsType: parts[sep + 1]! };
    }
  }
  return best;
}

const FREEZABLE_FS = new Set(['ext3', 'ext4', 'xfs']);

/** syncfs on sysroot and /boot; freeze/thaw /boot only when it is a separate journalling fs. */
export async function fullSystemSync(sysroot: Sysroot): Promise<void> {
  if (sysroot.options.sync === false) return;
  await sysroot.failpoint('sync');
  const boot = path.join(sysroot.path, 'boot');
  await exec(['sync', '-f', sysroot.path]);
  await exec(['sync', '-f', boot]);
  const bootMount = await mountOf(await fsp.realpath(boot));
  const selfMount = await mountOf(await fsp.realpath(process.execPath));
  if (
    bootMount !== undefined &&
    bootMount.mountPoint !== '/' &&
    bootMount.mountPoint === (await fsp.realpath(boot)) &&
    FREEZABLE_FS.has(bootMount.fsType) &&
    selfMount?.mountPoint !== bootMount.mountPoint
  ) {
    await exec(['fsfreeze', '--freeze', bootMount.mountPoint], { pkg: 'util-linux', timeoutMs: 30_000 });
    await exec(['fsfreeze', '--unfreeze', bootMount.mountPoint], { pkg: 'util-linux', timeoutMs: 30_000 });
  }
}

async function bumpMtime(sysroot: Sysroot): Promise<void> {
  const p = path.join(sysroot.path, 'ostree/deploy');
  const now = new Date();
  await fsp.utimes(p, now, now).catch(() => undefined);
}

export interface WriteDeploymentsOptions {
  /** Skip the cleanup that normally follows (ostree's do_postclean is on for admin deploy). */
  readonly noCleanup?: boolean;
}

/**
 * Makes `list` (non-staged deployments already on disk, index 0 = default) the boot
 * configuration. A staged deployment is kept only if it is first in `list`; otherwise it is
 * dropped (its state file and checkout removed), as in ostree.
 */
export async function writeDeployments(sysroot: Sysroot, requested: readonly Deployment[]): Promise<WriteDeploymentsResult> {
  const keepStaged = sysroot.staged !== undefined && requested[0] !== undefined && sameDeployment(requested[0], sysroot.staged);
  if (sysroot.staged !== undefined && !keepStaged) {
    const { dropStaged } = await import('./staging.js');
    await dropStaged(sysroot);
    sysroot = await sysroot.reload();
  }
  const current = sysroot.deployments.filter((d) => !d.staged);
  const list = assignBootserials(requested.filter((d) => !d.staged));

  let requiresBootswap = list.length !== current.length;
  let isNoop = !requiresBootswap;
  if (!requiresBootswap) {
    for (let i = 0; i < list.length; i++) {
      if (!(await bootconfigsEqual(sysroot, current[i]!, list[i]!))) {
        requiresBootswap = true;
        isNoop = false;
        break;
      }
      if (deploymentId(current[i]!) !== deploymentId(list[i]!) || current[i]!.bootserial !== list[i]!.bootserial) isNoop = false;
    }
  }
  if (isNoop) return { sysroot, bootswap: false, subbootdir: `boot.${sysroot.bootversion}.${sysroot.subbootversion}` };

  for (const d of list) {
    try {
      await fsp.access(sysroot.deploymentDir(d));
    } catch {
      throw new SysrootCorrupt(`Unable to find expected deployment root: ${sysroot.deploymentDir(d)}`, { path: sysroot.deploymentDir(d) });
    }
  }
  if (sysroot.booted !== undefined && !list.some((d) => sameDeployment(d, sysroot.booted))) {
    throw new BootedDeploymentRemoval('Attempting to remove booted deployment', { deployment: deploymentId(sysroot.booted) });
  }

  // The booted deployment is found through the bootlink named by `ostree=`, which this write
  // may replace; remember it for the rest of this boot (ostree compares inodes of "/" instead).
  if (sysroot.booted !== undefined) {
    const record = bootRecordPath(sysroot.runDir);
    await fsp.mkdir(path.dirname(record), { recursive: true });
    await writeFileAtomic(record, `${deploymentId(sysroot.booted)}\n`, { durable: false });
  }

  let subbootdir: string;
  if (!requiresBootswap) {
    subbootdir = await createBootlinks(sysroot, sysroot.bootversion, list);
    await fullSystemSync(sysroot);
    await swapBootlinks(sysroot, sysroot.bootversion, subbootdir);
    await fsyncDir(path.join(sysroot.path, 'ostree'));
  } else {
    const newBootversion: 0 | 1 = sysroot.bootversion === 0 ? 1 : 0;
    const entriesDir = path.join(sysroot.path, `boot/loader.${newBootversion}/entries`);
    await sysroot.failpoint('bootswap:entries-dir');
    await fsp.rm(entriesDir, { recursive: true, force: true });
    await fsp.mkdir(entriesDir, { recursive: true, mode: 0o755 });
    const showOsname = list.some((d) => d.stateroot !== list[0]!.stateroot);
    for (let i = 0; i < list.length; i++) {
      await installDeploymentKernel(sysroot, newBootversion, list[i]!, i, list.length, showOsname);
    }
    await fsyncDir(entriesDir);
    if (await usesGrubMenu(sysroot.path)) {
      await sysroot.failpoint('bootswap:grub-menu');
      await writeGrubMenu(sysroot.path, newBootversion);
    }
    subbootdir = await createBootlinks(sysroot, newBootversion, list);
    await swapBootlinks(sysroot, newBootversion, subbootdir);
    await sysroot.failpoint('bootswap:loader-tmp');
    await fsp.symlink('.', path.join(sysroot.path, 'boot/boot')).catch((err: unknown) => {
      if (!isErrno(err, 'EEXIST')) throw err;
    });
    const tmp = path.join(sysroot.path, 'boot/loader.tmp');
    await fsp.rm(tmp, { force: true });
    await fsp.symlink(`loader.${newBootversion}`, tmp);
    await fullSystemSync(sysroot);
    // The commit point.
    await sysroot.failpoint('bootswap:commit');
    await fsp.rename(tmp, path.join(sysroot.path, 'boot/loader'));
    await fsyncDir(path.join(sysroot.path, 'boot'));
  }
  await sysroot.failpoint('write:finish');
  await bumpMtime(sysroot);
  const next = await sysroot.reload();
  sysroot.log(
    `Bootloader updated; bootconfig swap: ${requiresBootswap ? 'yes' : 'no'}; bootversion: ${subbootdir}, deployment count change: ${list.length - current.length}`,
  );
  return { sysroot: next, bootswap: requiresBootswap, subbootdir };
}
