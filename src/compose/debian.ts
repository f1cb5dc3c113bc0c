/**
 * The Debian package backend: `mmdebstrap` builds the root filesystem from the resolved apt
 * sources, with a package cache directory synced in and out (its documented sync-in/sync-out
 * hooks), so a recompose downloads only what changed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec } from '../core/index.js';
import type { Treefile } from '../formats/index.js';
import { ComposeInstallFailed, ComposeInvalid } from './errors.js';

export interface DebianInstallOptions {
  readonly treefile: Treefile;
  /** Directory to create (must not exist). */
  readonly target: string;
  /** deb822 sources and the suite (from resolveAptSources). */
  readonly sources: { readonly deb822: string; readonly suite: string };
  /** Kept .deb files; created if missing. */
  readonly cacheDir: string;
  /** Scratch directory for the sources and preferences files. */
  readonly workDir: string;
  /** Where to save the dpkg status after the essential step (predicting package sets, tree-delta.ts). */
  readonly essentialStatus?: string;
  /** Let mmdebstrap's own progress lines through to this process's stderr. */
  readonly verbose?: boolean;
  readonly timeoutMs?: number;
}

/** Builds the mmdebstrap argv; exported for tests. */
export function mmdebstrapArgv(o: DebianInstallOptions, files: { sources: string; preferences?: string; essentialStatus?: string }): string[] {
  const t = o.treefile;
  for (const p of t.packages) {
    if (/\s/.test(p)) {
      throw new ComposeInvalid(`Package ${JSON.stringify(p)}: apt takes "name=version", not a version query`, { key: 'packages' });
    }
  }
  const argv = ['mmdebstrap', `--mode=${process.getuid?.() === 0 ? 'root' : 'unshare'}`, `--variant=${t.aptVariant}`];
  if (t.packages.length > 0) argv.push(`--include=${t.packages.join(',')}`);
  argv.push(
    '--skip=essential/unlink',
    `--setup-hook=mkdir -p "$1"/var/cache/apt/archives/`,
    `--setup-hook=sync-in ${o.cacheDir} /var/cache/apt/archives/`,
    `--customize-hook=sync-out /var/cache/apt/archives ${o.cacheDir}`,
  );
  if (files.essentialStatus !== undefined) argv.push(`--essential-hook=download /var/lib/dpkg/status ${files.essentialStatus}`);
  if (files.preferences !== undefined) {
    argv.push(`--setup-hook=mkdir -p "$1"/etc/apt/preferences.d`, `--setup-hook=upload ${files.preferences} /etc/apt/preferences.d/berth-exclude`);
  }
  argv.push(`--aptopt=APT::Install-Recommends "${t.recommends ? 'true' : 'false'}"`);
  // A failed compose is thrown away whole, so dpkg's per-file fsync buys nothing here.
  argv.push('--dpkgopt=force-unsafe-io');
  if (!t.documentation) {
    for (const d of ['doc', 'man', 'info', 'help']) argv.push(`--dpkgopt=path-exclude=/usr/share/${d}/*`);
    argv.push('--dpkgopt=path-include=/usr/share/doc/*/copyright');
  }
  if (t.installLangs !== undefined) {
    argv.push('--dpkgopt=path-exclude=/usr/share/locale/*');
    for (const lang of t.installLangs) argv.push(`--dpkgopt=path-include=/usr/share/locale/${lang}*/*`);
    argv.push('--dpkgopt=path-include=/usr/share/locale/locale.alias');
  }
  argv.push(o.sources.suite, o.target, files.sources);
  return argv;
}

/** Runs mmdebstrap; the kernel's own initramfs hook is skipped (INITRD=No), compose runs dracut itself. */
export async function installDebian(o: DebianInstallOptions): Promise<void> {
  await mkdir(o.cacheDir, { recursive: true });
  await mkdir(o.workDir, { recursive: true });
  const sources = path.join(o.workDir, 'berth.sources');
  await writeFile(sources, o.sources.deb822);
  const preferencesDir = await writeExcludePreferences(o.workDir, o.treefile);
  const preferences = preferencesDir !== undefined ? path.join(preferencesDir, 'berth-exclude.pref') : undefined;
  const argv = mmdebstrapArgv(o, {
    sources,
    ...(preferences !== undefined ? { preferences } : {}),
    ...(o.essentialStatus !== undefined ? { essentialStatus: o.essentialStatus } : {}),
  });
  const r = await exec(argv, {
    check: false,
    pkg: 'mmdebstrap',
    env: { ...process.env, INITRD: 'No', DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8' },
    timeoutMs: o.timeoutMs ?? 45 * 60_000,
    ...(o.verbose ? { stdio: ['ignore', 'inherit', 'inherit'] as const } : {}),
  });
  if (r.exitCode !== 0) {
    const tail = r.stderr.toString('utf8').trim().split('\n').slice(-15).join('\n');
    throw new ComposeInstallFailed(`mmdebstrap failed (${r.signal ?? `exit ${r.exitCode}`})${tail ? `:\n${tail}` : ''}`, { backend: 'debian' });
  }
}

/** exclude-packages as apt preferences (pinned below zero) in `WORKDIR/preferences.d`; undefined when there are none. */
export async function writeExcludePreferences(workDir: string, t: Treefile): Promise<string | undefined> {
  if (t.excludePackages.length === 0) return undefined;
  const dir = path.join(workDir, 'preferences.d');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'berth-exclude.pref'), t.excludePackages.map((p) => `Package: ${p}\nPin: release *\nPin-Priority: -1\n`).join('\n'));
  return dir;
}
