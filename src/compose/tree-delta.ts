/**
 * The package side of an incremental Debian compose: which packages a fresh `mmdebstrap` of the
 * treefile would install, and bringing a cached root filesystem to exactly that set.
 *
 * mmdebstrap installs in two steps: the Essential:yes packages of the suite (dpkg, no apt
 * resolution of the includes), then one `apt-get install` of the variant's priority packages
 * plus `--include`, resolved against the essential packages' dpkg status. berth captures that
 * status (an essential hook) when it builds a root the full way, so the second step can be
 * replayed with `apt-get --simulate` against the same package indices: the prediction of what a
 * full compose installs. A full build checks the prediction against what mmdebstrap really
 * installed before the root is cached; an incremental build installs exactly the predicted
 * packages that the cached root lacks (names and versions pinned, .deb files given to apt, no
 * resolution left to chance) and checks the result against the prediction again.
 */
import { link, mkdir, readFile, rm, stat, copyFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec, isErrno, joinWithin } from '../core/index.js';
import { parseDeb822, type Treefile } from '../formats/index.js';
import { runInRoot } from './chroot.js';
import { ComposeInstallFailed } from './errors.js';
import { privateAptOptions } from './inputhash.js';

/** name → "version arch" (one architecture per name: compose installs native packages). */
export type PackageSet = ReadonlyMap<string, string>;

/** Installed packages of a dpkg status file; undefined when some package is not fully installed. */
export function installedPackages(statusText: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const p of parseDeb822(statusText, { comments: false, file: 'status' })) {
    const name = p.get('Package');
    const version = p.get('Version');
    if (name === undefined || version === undefined) continue;
    const status = p.get('Status')?.split(/\s+/) ?? [];
    if (status[2] === 'not-installed' || status[2] === 'config-files') continue;
    if (status[0] !== 'install' || status[1] !== 'ok' || status[2] !== 'installed') return undefined;
    if (out.has(name)) return undefined;
    out.set(name, `${version} ${p.get('Architecture') ?? 'all'}`);
  }
  return out;
}

/**
 * The `apt-get install` arguments mmdebstrap adds for a variant (its run_install), or undefined
 * for variants whose package set berth does not predict (apt, custom, extract).
 */
export function variantPatterns(variant: string, suite: string, arch: string): string[] | undefined {
  const narrow = (p: string): string => `?narrow(?or(?archive(^${suite}$),?codename(^${suite}$)),?architecture(${arch}),${p})`;
  switch (variant) {
    case 'essential':
      return [];
    case 'minbase':
    case 'required':
      return [narrow('?and(?priority(required),?not(?essential))')];
    case 'buildd':
      return ['build-essential', narrow('?and(?priority(required),?not(?essential))')];
    case 'important':
      return [narrow('?and(?or(?priority(required),?priority(important)),?not(?essential))')];
    case 'standard':
      return [narrow('?and(?or(~prequired,~pimportant,~pstandard),?not(?essential))')];
    default:
      return undefined;
  }
}

export interface PredictOptions {
  readonly treefile: Treefile;
  readonly suite: string;
  readonly arch: string;
  /** The private apt state of aptIndexDigests (its package lists are the compose's inputs). */
  readonly aptStateDir: string;
  /** dpkg status right after mmdebstrap's essential step. */
  readonly essentialStatus: string;
  /** Directory with the exclude-packages preferences, if any. */
  readonly preferencesDir?: string;
}

/** The package set a full compose installs, or undefined when berth cannot predict it. */
export async function predictPackages(o: PredictOptions): Promise<PackageSet | undefined> {
  const essential = installedPackages(await readFile(o.essentialStatus, 'utf8'));
  const patterns = variantPatterns(o.treefile.aptVariant, o.suite, o.arch);
  if (essential === undefined || patterns === undefined) return undefined;
  const request = [...patterns, ...o.treefile.packages];
  if (request.length === 0) return new Map(essential);
  const r = await exec(['apt-get', ...simulationOptions(o), '-s', '-q', 'install', ...request], {
    check: false, pkg: 'apt', timeoutMs: 10 * 60_000, env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.exitCode !== 0) return undefined;
  return applySimulation(essential, r.stdout.toString('utf8'));
}

/**
 * `installed` after what `apt-get --simulate` printed ("Inst NAME [OLD] (VERSION ARCHIVE [ARCH])");
 * undefined when it would remove packages (the prediction then does not hold).
 */
export function applySimulation(installed: PackageSet, aptOutput: string): Map<string, string> | undefined {
  const out = new Map(installed);
  for (const line of aptOutput.split('\n')) {
    if (line.startsWith('Remv ') || line.startsWith('Purg ')) return undefined;
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) [^[]*\[([^\]]+)\]\)/.exec(line);
    if (m === null) continue;
    out.set(m[1]!.replace(/:.*$/, ''), `${m[2]!} ${m[3]!}`);
  }
  return out;
}

function simulationOptions(o: PredictOptions): string[] {
  return [
    ...privateAptOptions(path.resolve(o.aptStateDir), 'predict-'),
    // What mmdebstrap's own apt configuration says (its 00mmdebstrap and apt.conf).
    '-o', `Dir::State::status=${path.resolve(o.essentialStatus)}`,
    '-o', `APT::Architectures=${o.arch}`,
    '-o', 'pkgCacheGen::ForceEssential=,',
    '-o', `APT::Install-Recommends=${o.treefile.recommends ? 'true' : 'false'}`,
    ...(o.preferencesDir !== undefined ? ['-o', `Dir::Etc::PreferencesParts=${path.resolve(o.preferencesDir)}`] : []),
  ];
}

/** Packages of `next` missing from `current`; undefined when `current` has one `next` lacks or at another version. */
export function additions(current: PackageSet, next: PackageSet): Map<string, string> | undefined {
  for (const [name, v] of current) if (next.get(name) !== v) return undefined;
  const out = new Map<string, string>();
  for (const [name, v] of next) if (!current.has(name)) out.set(name, v);
  return out;
}

export function samePackages(a: PackageSet, b: PackageSet): boolean {
  if (a.size !== b.size) return false;
  for (const [name, v] of a) if (b.get(name) !== v) return false;
  return true;
}

/** apt's archive file name: name_version_arch.deb, the epoch colon escaped. */
export function debFileName(name: string, versionArch: string): string {
  const [version, arch] = versionArch.split(' ') as [string, string];
  return `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

export interface ApplyOptions {
  readonly root: string;
  /** Packages to add: name → "version arch". */
  readonly add: PackageSet;
  readonly aptStateDir: string;
  /** The .deb cache shared with mmdebstrap (downloads land here). */
  readonly debsDir: string;
  readonly timeoutMs?: number;
}

/**
 * Installs exactly `add` into `root`: missing .deb files are downloaded (pinned versions) into
 * the cache with the compose's private apt state, linked into the root and installed by the
 * root's own apt inside a private namespace without network, daemons kept from starting as
 * mmdebstrap does (policy-rc.d, a stand-in start-stop-daemon).
 */
export async function installAdditions(o: ApplyOptions): Promise<void> {
  if (o.add.size === 0) return;
  await mkdir(o.debsDir, { recursive: true });
  const missing: string[] = [];
  for (const [name, v] of o.add) {
    if (!(await fileExists(path.join(o.debsDir, debFileName(name, v))))) missing.push(`${name}=${v.split(' ')[0]!}`);
  }
  if (missing.length > 0) {
    const r = await exec(['apt-get', ...privateAptOptions(path.resolve(o.aptStateDir)), '-q', 'download', ...missing], {
      check: false, pkg: 'apt', cwd: o.debsDir, timeoutMs: 30 * 60_000, env: { ...process.env, LC_ALL: 'C' },
    });
    if (r.exitCode !== 0) {
      throw new ComposeInstallFailed(`apt-get download failed: ${r.stderr.toString('utf8').trim().split('\n').slice(-5).join(' | ')}`, { backend: 'debian' });
    }
  }
  if (await fileExists(joinWithin(o.root, 'usr/sbin/policy-rc.d'))) {
    throw new ComposeInstallFailed('The cached root has a policy-rc.d of its own', { backend: 'debian' });
  }
  const inside = 'var/cache/apt/archives/berth-delta';
  const staging = joinWithin(o.root, inside);
  await mkdir(staging, { recursive: true });
  const files: string[] = [];
  try {
    for (const [name, v] of o.add) {
      const file = debFileName(name, v);
      await linkOrCopy(path.join(o.debsDir, file), path.join(staging, file));
      files.push(`/${inside}/${file}`);
    }
    await runInRoot(o.root, ['/bin/sh', '-c', APPLY_SCRIPT, 'berth-delta', ...files], {
      env: { DEBIAN_FRONTEND: 'noninteractive', DEBCONF_NONINTERACTIVE_SEEN: 'true', INITRD: 'No', LANGUAGE: 'C.UTF-8', LANG: 'C.UTF-8' },
      timeoutMs: o.timeoutMs ?? 30 * 60_000,
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

const APPLY_SCRIPT = `set -e
mkdir -p /var/cache/apt/archives/partial /var/lib/apt/lists/partial
ssd=
[ -f /usr/sbin/start-stop-daemon ] && ssd=/usr/sbin/start-stop-daemon
[ -z "$ssd" ] && [ -f /sbin/start-stop-daemon ] && ssd=/sbin/start-stop-daemon
restore() {
  rm -f /usr/sbin/policy-rc.d
  if [ -n "$ssd" ] && [ -e "$ssd.REAL" ]; then mv -f "$ssd.REAL" "$ssd"; fi
}
trap restore EXIT
printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
if [ -n "$ssd" ]; then
  mv "$ssd" "$ssd.REAL"
  printf '#!/bin/sh\\necho "Warning: Fake start-stop-daemon called, doing nothing" >&2\\n' > "$ssd"
  chmod 755 "$ssd"
fi
apt-get install --yes -q -o Dpkg::Use-Pty=0 -o APT::Sandbox::User=root "$@"
`;

async function fileExists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).size > 0;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

/** Hardlinks a file nobody writes to afterwards (copies across file systems). */
export async function linkOrCopy(src: string, dest: string): Promise<void> {
  try {
    await link(src, dest);
  } catch (err) {
    if (!isErrno(err, 'EXDEV') && !isErrno(err, 'EPERM')) throw err;
    await copyFile(src, dest);
  }
}
