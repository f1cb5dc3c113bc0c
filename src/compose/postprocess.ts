/**
 * Turns an installed root filesystem into an OSTree-ready tree the way rpm-ostree's compose
 * postprocessing does (composepost.rs, rpmostree-postprocess.cxx), adapted to Debian:
 *
 * 1. treefile edits: remove-files, add-files, units, default-target, then the postprocess scripts
 *    (in a private namespace without network, like rpm-ostree's bubblewrap);
 * 2. kernel: `vmlinuz` and a dracut initramfs (with ostree-prepare-root) in /usr/lib/modules/KVER;
 *    /boot left empty;
 * 3. /etc → /usr/etc, with an empty machine-id (machineid-compat) and passwd/group kept also as
 *    /usr/lib/passwd and /usr/lib/group plus a sysusers.d file, so an update that adds a system user
 *    reaches hosts whose /etc/passwd was edited (Debian has no nss-altfiles);
 * 4. the package database under /usr/lib/sysimage (dpkg) with /var/lib/dpkg a tmpfiles.d link;
 * 5. /var emptied into tmpfiles.d `d`/`L` lines; top-level dirs become links into /var
 *    (home, opt, srv, mnt, root → var/roothome, usr/local → ../var/usrlocal), media → run/media,
 *    /sysroot and /ostree → sysroot/ostree.
 */
import { chmod, copyFile, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { compareNames, isErrno, joinWithin } from '../core/index.js';
import type { Treefile } from '../formats/index.js';
import { runInRoot } from './chroot.js';
import { ComposeInvalid, ComposePostprocessFailed } from './errors.js';
import { dracutInputsDigest, stagedFiles, type InitramfsRecord } from './tree-initramfs.js';

/** What berth's initramfs always gets; the treefile's `initramfs-args` are appended. */
export const BASE_DRACUT_ARGS: readonly string[] = ['--no-hostonly', '--reproducible', '--add', 'ostree'];

export interface PostprocessOptions {
  readonly root: string;
  readonly treefile: Treefile;
  readonly onStep?: (step: string) => void;
  /** The previous compose's initramfs: copied instead of running dracut when its inputs are unchanged (tree-initramfs.ts). */
  readonly previousInitramfs?: { readonly record: InitramfsRecord; readonly image: string };
}

export interface PostprocessReport {
  readonly kernelVersion?: string;
  /** What the initramfs was built from (to reuse it next time), and whether it was reused. */
  readonly initramfs?: { readonly record: InitramfsRecord; readonly reused: boolean };
  /** Regular files found under /var that tmpfiles.d cannot express; they are dropped. */
  readonly droppedVarFiles: readonly string[];
}

function rel(p: string): string {
  const clean = path.posix.normalize(p.replace(/^\/+/, ''));
  if (clean === '..' || clean.startsWith('../')) throw new ComposeInvalid(`Path ${JSON.stringify(p)} leaves the tree`, { key: 'path' });
  return clean;
}

async function present(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

async function emptyDir(dir: string, mode = 0o755): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { mode });
  await chmod(dir, mode);
}

async function replaceWithLink(root: string, name: string, target: string): Promise<void> {
  const p = joinWithin(root, name);
  await rm(p, { recursive: true, force: true });
  await mkdir(path.dirname(p), { recursive: true });
  await symlink(target, p);
}

export async function postprocessTree(o: PostprocessOptions): Promise<PostprocessReport> {
  const { root, treefile: t } = o;
  const step = (s: string): void => o.onStep?.(s);
  const where = (key: string): string => {
    const s = t.sources.get(key);
    return s ? `${s.file}:${s.line}: ${key}: ` : `${key}: `;
  };

  step('treefile edits');
  for (const p of t.removeFiles) await rm(joinWithin(root, rel(p)), { recursive: true, force: true });
  for (const { src, dest } of t.addFiles) {
    const target = joinWithin(root, rel(dest));
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await copyFile(src, target);
      await chmod(target, (await stat(src)).mode & 0o7777);
    } catch (err) {
      throw new ComposeInvalid(`${where('add-files')}Cannot copy ${JSON.stringify(src)}: ${(err as Error).message}`, { key: 'add-files' }, { cause: err });
    }
  }
  for (const unit of t.units) {
    if (!(await present(joinWithin(root, 'usr/lib/systemd/system', unit))) && !(await present(joinWithin(root, 'etc/systemd/system', unit)))) {
      throw new ComposeInvalid(`${where('units')}No unit ${JSON.stringify(unit)} in the tree`, { key: 'units' });
    }
    const wants = joinWithin(root, 'etc/systemd/system/multi-user.target.wants');
    await mkdir(wants, { recursive: true });
    await rm(path.join(wants, unit), { force: true });
    await symlink(`/usr/lib/systemd/system/${unit}`, path.join(wants, unit));
  }
  if (t.defaultTarget !== undefined) {
    if (!(await present(joinWithin(root, 'usr/lib/systemd/system', t.defaultTarget)))) {
      throw new ComposeInvalid(`${where('default-target')}No unit ${JSON.stringify(t.defaultTarget)} in the tree`, { key: 'default-target' });
    }
    await rm(joinWithin(root, 'etc/systemd/system/default.target'), { force: true });
    await replaceWithLink(root, 'usr/lib/systemd/system/default.target', t.defaultTarget);
  }

  const scripts = [...t.postprocess];
  if (t.postprocessScript !== undefined) scripts.push(await readFile(t.postprocessScript, 'utf8'));
  for (const [i, script] of scripts.entries()) {
    step(`postprocess script ${i + 1}/${scripts.length}`);
    const name = `.berth-postprocess-${i}`;
    const file = joinWithin(root, name);
    await writeFile(file, script.startsWith('#!') ? script : `#!/bin/sh\nset -e\n${script}`, { mode: 0o755 });
    try {
      await runInRoot(root, [`/${name}`]);
    } catch (err) {
      throw new ComposePostprocessFailed(`Postprocess script ${i + 1} failed: ${(err as Error).message}`, { step: 'postprocess' }, { cause: err });
    } finally {
      await rm(file, { force: true });
    }
  }

  const kernel = await placeKernel(o, step);
  const kernelVersion = kernel?.kver;
  await buildCaches(root, step);

  step('filesystem layout');
  for (const name of await readdir(root)) {
    if (/^(vmlinuz|initrd\.img)(\.old)?$/.test(name)) await rm(joinWithin(root, name), { force: true });
  }
  await emptyDir(joinWithin(root, 'boot'));
  for (const d of ['dev', 'proc', 'sys', 'run']) await emptyDir(joinWithin(root, d));
  if (t.tmpIsDir) await emptyDir(joinWithin(root, 'tmp'), 0o1777);
  else await replaceWithLink(root, 'tmp', 'sysroot/tmp');

  step('/etc to /usr/etc');
  await rm(joinWithin(root, 'etc/apt/sources.list.d'), { recursive: true, force: true });
  await mkdir(joinWithin(root, 'etc/apt/sources.list.d'), { recursive: true });
  await rm(joinWithin(root, 'etc/apt/preferences.d/berth-exclude'), { force: true });
  if (t.machineidCompat) await writeFile(joinWithin(root, 'etc/machine-id'), '');
  else await rm(joinWithin(root, 'etc/machine-id'), { force: true });
  await writeFile(joinWithin(root, 'etc/fstab'), '# The root filesystem is mounted by ostree-prepare-root; /var by ostree-system-generator\n');
  await splitPasswd(root);
  if (await present(joinWithin(root, 'usr/etc'))) {
    throw new ComposePostprocessFailed('The tree already has /usr/etc', { step: 'etc' });
  }
  await rename(joinWithin(root, 'etc'), joinWithin(root, 'usr/etc'));

  step('/var to tmpfiles.d');
  const tmpfiles: string[] = ['# Generated by berth compose from the /var content of the packages'];
  if (await present(joinWithin(root, 'var/lib/dpkg'))) {
    await mkdir(joinWithin(root, 'usr/lib/sysimage'), { recursive: true });
    await rename(joinWithin(root, 'var/lib/dpkg'), joinWithin(root, 'usr/lib/sysimage/dpkg'));
  }
  const names = await userNames(root);
  const droppedVarFiles = await varToTmpfiles(root, tmpfiles, names);
  if (await present(joinWithin(root, 'usr/lib/sysimage/dpkg'))) tmpfiles.push('L /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg');
  await emptyDir(joinWithin(root, 'var'));
  await mkdir(joinWithin(root, 'usr/lib/tmpfiles.d'), { recursive: true });
  await writeFile(joinWithin(root, 'usr/lib/tmpfiles.d/berth-autovar.conf'), `${tmpfiles.join('\n')}\n`);

  step('top-level links');
  for (const d of ['home', 'opt', 'srv', 'mnt']) await replaceWithLink(root, d, `var/${d}`);
  await replaceWithLink(root, 'root', 'var/roothome');
  await replaceWithLink(root, 'media', 'run/media');
  await replaceWithLink(root, 'usr/local', '../var/usrlocal');
  await emptyDir(joinWithin(root, 'sysroot'));
  await replaceWithLink(root, 'ostree', 'sysroot/ostree');
  await writeFile(joinWithin(root, 'usr/lib/tmpfiles.d/berth-integration.conf'), INTEGRATION_TMPFILES);

  step('checking the tree');
  await dropUnstorable(root);
  return { ...(kernel !== undefined ? { kernelVersion: kernel.kver, initramfs: { record: kernel.record, reused: kernel.reused } } : {}), droppedVarFiles };
}

/**
 * Caches that systemd rebuilds after every update (ConditionNeedsUpdate=, true whenever the
 * deployment's /usr is newer than /etc/.updated, i.e. on each new deployment) are built here,
 * into the image: the dynamic-linker cache and the hardware database. Drop-ins then stop
 * ldconfig.service and systemd-hwdb-update.service from redoing them at boot, and let the journal
 * catalog be built once per /var. Under qemu TCG this saves minutes per boot.
 */
async function buildCaches(root: string, step: (s: string) => void): Promise<void> {
  if (!(await present(joinWithin(root, 'usr/lib/systemd/systemd')))) return;
  step('caches (ld.so.cache, hwdb)');
  if (await present(joinWithin(root, 'usr/sbin/ldconfig'))) await runInRoot(root, ['/usr/sbin/ldconfig']);
  if (await present(joinWithin(root, 'usr/bin/systemd-hwdb'))) {
    await runInRoot(root, ['/usr/bin/systemd-hwdb', 'update', '--usr']);
    await rm(joinWithin(root, 'etc/udev/hwdb.bin'), { force: true });
  }
  const dropins: [string, string][] = [
    // An empty Condition…= drops every condition of the unit, so each drop-in names the one it keeps:
    // run only when the cache the image ships is missing.
    ['ldconfig.service', 'ConditionNeedsUpdate=\nConditionFileNotEmpty=!/etc/ld.so.cache\n'],
    ['systemd-hwdb-update.service', 'ConditionNeedsUpdate=\nConditionPathExists=!/usr/lib/udev/hwdb.bin\n'],
    ['systemd-journal-catalog-update.service', 'ConditionNeedsUpdate=\nConditionPathExists=!/var/lib/systemd/catalog/database\n'],
  ];
  for (const [unit, body] of dropins) {
    const dir = joinWithin(root, 'usr/lib/systemd/system', `${unit}.d`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'berth-compose.conf'), `# berth compose built this cache into the image\n[Unit]\n${body}`);
  }
}

const INTEGRATION_TMPFILES = `# The layout berth's composed hosts share with rpm-ostree's (rpm-ostree-0-integration.conf)
d /var/home 0755 root root - -
d /var/roothome 0700 root root - -
C /var/roothome/.bashrc - - - - /usr/etc/skel/.bashrc
C /var/roothome/.profile - - - - /usr/etc/skel/.profile
d /var/opt 0755 root root - -
d /var/srv 0755 root root - -
d /var/mnt 0755 root root - -
d /run/media 0755 root root - -
d /var/usrlocal 0755 root root - -
d /var/usrlocal/bin 0755 root root - -
d /var/usrlocal/etc 0755 root root - -
d /var/usrlocal/games 0755 root root - -
d /var/usrlocal/include 0755 root root - -
d /var/usrlocal/lib 0755 root root - -
d /var/usrlocal/man 0755 root root - -
d /var/usrlocal/sbin 0755 root root - -
d /var/usrlocal/share 0755 root root - -
d /var/usrlocal/src 0755 root root - -
`;

async function placeKernel(o: PostprocessOptions, step: (s: string) => void): Promise<{ kver: string; record: InitramfsRecord; reused: boolean } | undefined> {
  const { root, treefile: t } = o;
  const modules = joinWithin(root, 'usr/lib/modules');
  let kvers: string[] = [];
  try {
    kvers = (await readdir(modules)).sort(compareNames);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const withKernel: string[] = [];
  for (const kver of kvers) {
    if ((await present(joinWithin(root, 'boot', `vmlinuz-${kver}`))) || (await present(path.join(modules, kver, 'vmlinuz')))) withKernel.push(kver);
  }
  if (withKernel.length === 0) return undefined;
  if (withKernel.length > 1) {
    throw new ComposePostprocessFailed(`The tree has ${withKernel.length} kernels (${withKernel.join(', ')}); a host has exactly one`, { step: 'kernel' });
  }
  if (t.bootLocation === 'kernel-install') {
    throw new ComposeInvalid('boot-location "kernel-install" is not supported by the Debian backend', { key: 'boot-location' });
  }
  const kver = withKernel[0]!;
  const dir = path.join(modules, kver);
  if (!(await present(path.join(dir, 'vmlinuz')))) await copyFile(joinWithin(root, 'boot', `vmlinuz-${kver}`), path.join(dir, 'vmlinuz'));
  await chmod(path.join(dir, 'vmlinuz'), 0o644);
  if (!(await present(joinWithin(root, 'usr/bin/dracut')))) {
    throw new ComposePostprocessFailed('The tree has a kernel but no dracut; add "dracut" and "ostree-boot" to packages', { step: 'initramfs' });
  }
  const args = [...BASE_DRACUT_ARGS, ...(t.initramfsArgs ?? [])];
  const image = path.join(dir, 'initramfs.img');
  await rm(image, { force: true });
  // The digest covers depmod's output as the previous compose left it; equal means depmod, a
  // function of the same modules and settings, would write the same files again: skip it too.
  const previous = o.previousInitramfs;
  if (previous !== undefined && previous.record.kver === kver && JSON.stringify(previous.record.args) === JSON.stringify(args)) {
    step(`initramfs for ${kver}: comparing dracut's inputs with the previous compose`);
    const digest = await dracutInputsDigest(root, kver, args, previous.record.files);
    if (digest === previous.record.digest) {
      step(`initramfs for ${kver}: inputs unchanged, previous initramfs reused`);
      await copyFile(previous.image, image);
      await chmod(image, 0o644);
      return { kver, record: previous.record, reused: true };
    }
  }
  try {
    await runInRoot(root, ['depmod', '-a', kver]);
  } catch (err) {
    throw new ComposePostprocessFailed(`depmod failed: ${(err as Error).message}`, { step: 'initramfs' }, { cause: err });
  }
  step(`initramfs for ${kver} (dracut)`);
  // --keep leaves dracut's staging directory: its file list is what the next compose compares.
  const tmp = '.berth-dracut';
  await rm(joinWithin(root, tmp), { recursive: true, force: true });
  await mkdir(joinWithin(root, tmp), { mode: 0o700 });
  let files: string[];
  try {
    await runInRoot(root, ['dracut', ...args, '--keep', '--tmpdir', `/${tmp}`, '--force', `/usr/lib/modules/${kver}/initramfs.img`, kver]);
    const staged = (await readdir(joinWithin(root, tmp))).filter((n) => n.startsWith('dracut.'));
    if (staged.length !== 1) throw new Error(`expected one dracut staging directory, found ${staged.length}`);
    files = await stagedFiles(joinWithin(root, tmp, staged[0]!, 'initramfs'));
  } catch (err) {
    throw new ComposePostprocessFailed(`dracut failed: ${(err as Error).message}`, { step: 'initramfs' }, { cause: err });
  } finally {
    await rm(joinWithin(root, tmp), { recursive: true, force: true });
  }
  await chmod(image, 0o644);
  const digest = await dracutInputsDigest(root, kver, args, files);
  return { kver, record: { kver, args, files, digest }, reused: false };
}

// ---------------------------------------------------------------------------------------------

interface PasswdEntry {
  readonly name: string;
  readonly id: number;
  readonly fields: readonly string[];
}

export function parsePasswdLike(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]!))
    .map((f) => ({ name: f[0]!, id: Number(f[2]), fields: f }));
}

/**
 * rpm-ostree moves system users to /usr/lib/passwd (read through nss-altfiles). Debian has no
 * nss-altfiles, so /etc keeps the full files and /usr gets the image's copy plus a sysusers.d
 * file: systemd-sysusers then adds users a new image brings to an /etc/passwd edited locally.
 */
async function splitPasswd(root: string): Promise<void> {
  const passwd = await readFile(joinWithin(root, 'etc/passwd'), 'utf8').catch(() => undefined);
  const group = await readFile(joinWithin(root, 'etc/group'), 'utf8').catch(() => undefined);
  if (passwd === undefined || group === undefined) return;
  await writeFile(joinWithin(root, 'usr/lib/passwd'), passwd);
  await writeFile(joinWithin(root, 'usr/lib/group'), group);
  const lines = ['# Users and groups of the composed image (berth compose); applied by systemd-sysusers'];
  const users = parsePasswdLike(passwd);
  const userNamesSet = new Set(users.map((u) => u.name));
  for (const g of parsePasswdLike(group)) {
    if (g.id === 0 || userNamesSet.has(g.name)) continue;
    lines.push(`g ${g.name} ${g.id}`);
  }
  for (const u of users) {
    if (u.id === 0) continue;
    const gid = u.fields[3] ?? String(u.id);
    const gecos = (u.fields[4] ?? '').split(',')[0]!.replace(/"/g, '') || '-';
    lines.push(`u ${u.name} ${u.id}:${gid} "${gecos}" ${u.fields[5] || '-'} ${u.fields[6] || '-'}`);
  }
  await mkdir(joinWithin(root, 'usr/lib/sysusers.d'), { recursive: true });
  await writeFile(joinWithin(root, 'usr/lib/sysusers.d/00-berth-image.conf'), `${lines.join('\n')}\n`);
  // systemd-sysusers.service only runs when /usr is newer than /etc (ConditionNeedsUpdate);
  // OSTree trees have mtime 0, so run it on every boot (it is idempotent).
  const dropin = joinWithin(root, 'usr/lib/systemd/system/systemd-sysusers.service.d');
  await mkdir(dropin, { recursive: true });
  await writeFile(path.join(dropin, 'berth.conf'), '[Unit]\nConditionNeedsUpdate=\n');
}

async function userNames(root: string): Promise<{ users: Map<number, string>; groups: Map<number, string> }> {
  const read = async (name: string): Promise<Map<number, string>> => {
    const text = await readFile(joinWithin(root, 'usr/etc', name), 'utf8').catch(() => '');
    return new Map(parsePasswdLike(text).map((e) => [e.id, e.name]));
  };
  return { users: await read('passwd'), groups: await read('group') };
}

const VOLATILE_VAR_REGEXP = /^var\/(cache\/apt|lib\/apt\/lists|log\/apt|cache\/ldconfig|cache\/debconf)(\/|$)/;

async function varToTmpfiles(root: string, lines: string[], names: { users: Map<number, string>; groups: Map<number, string> }): Promise<string[]> {
  const dropped: string[] = [];
  const walk = async (relDir: string): Promise<void> => {
    const entries = (await readdir(joinWithin(root, relDir))).sort(compareNames);
    for (const name of entries) {
      const relPath = `${relDir}/${name}`;
      if (VOLATILE_VAR_REGEXP.test(relPath)) continue;
      const st = await lstat(joinWithin(root, relPath));
      if (st.isDirectory()) {
        const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
        lines.push(`d /${relPath} ${mode} ${names.users.get(st.uid) ?? st.uid} ${names.groups.get(st.gid) ?? st.gid} - -`);
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        lines.push(`L /${relPath} - - - - ${await readlink(joinWithin(root, relPath))}`);
      } else dropped.push(`/${relPath}`);
    }
  };
  if (await present(joinWithin(root, 'var'))) await walk('var');
  return dropped;
}

/** OSTree stores regular files, symlinks and directories only; rpm-ostree drops the rest too. */
async function dropUnstorable(root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const p = path.join(dir, name);
      const st = await lstat(p);
      if (st.isDirectory()) await walk(p);
      else if (!st.isFile() && !st.isSymbolicLink()) await rm(p, { force: true });
    }
  };
  await walk(root);
}
