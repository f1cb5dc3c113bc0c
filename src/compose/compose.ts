/**
 * `compose tree`: treefile → packages → OSTree-ready tree → commit, rpm-ostree's flow
 * (rpmostree-compose-builtin-tree.cxx) with a Debian (mmdebstrap) and an RPM (dnf) backend.
 *
 * Phases, reported through `onPhase`: treefile, sources, inputhash (may end the compose as a
 * no-op), install, postprocess, commit.
 *
 * Incremental Debian composes: the root as mmdebstrap left it is cached (tree-cache.ts); when the
 * next compose's package set (predicted with apt, tree-delta.ts) only adds packages to it at the
 * same package indices, compose copies the cached root, installs the additions and checks the
 * result against the prediction; the initramfs is reused when dracut's inputs are unchanged
 * (tree-initramfs.ts). Anything else is a full install.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec, joinWithin } from '../core/index.js';
import { parseDebVersion, parseDpkgStatus, type Treefile } from '../formats/index.js';
import { resolveAptSources } from './apt-sources.js';
import { installDebian, mmdebstrapArgv, writeExcludePreferences } from './debian.js';
import { ComposeInvalid, ComposePasswdChanged } from './errors.js';
import { jsonToGVariantText, pkglistToGVariantText, quoteGVariantString, type PackageRecord } from './gvariant-text.js';
import { aptIndexDigests, canonicalJson, computeInputHash } from './inputhash.js';
import { parsePasswdLike, postprocessTree } from './postprocess.js';
import { ComposeRepo } from './repo.js';
import { installRpm, rpmPackageList, rpmRepoDigests } from './rpm.js';
import { loadTreefile } from './treefile-load.js';
import { copyTree, rootfsCacheKey, RootfsCache, type RootfsCacheEntry } from './tree-cache.js';
import { additions, installAdditions, installedPackages, linkOrCopy, predictPackages, samePackages, type PackageSet } from './tree-delta.js';
import { nextVersion } from './version.js';

export type ComposePhase = 'treefile' | 'sources' | 'inputhash' | 'install' | 'postprocess' | 'commit';

export interface ComposeTreeOptions {
  readonly treefile: string;
  readonly repo: string;
  /** Package cache and apt state; default `<repo>/../compose-cache`. */
  readonly cacheDir?: string;
  /** Where the root filesystem is built (default a temp dir inside the cache dir). */
  readonly workDir?: string;
  /** Recompose even when the input hash matches the previous commit. */
  readonly forceNocache?: boolean;
  /** Stop after computing the input hash. */
  readonly dryRun?: boolean;
  /** Explicit version; otherwise automatic-version-prefix, else none. */
  readonly version?: string;
  readonly addMetadata?: ReadonlyMap<string, string>;
  readonly basearch?: string;
  readonly now?: () => Date;
  readonly onPhase?: (phase: ComposePhase, detail: string) => void;
  readonly verbose?: boolean;
  /** Keep the built root filesystem (for debugging); default false. */
  readonly keepWorkDir?: boolean;
  /**
   * Debian: start from the previous compose's root (CACHEDIR/rootfs) when the new package set
   * only adds packages to it, and reuse its initramfs when dracut's inputs are unchanged
   * (default true; false always installs from scratch).
   */
  readonly incremental?: boolean;
}

/** How the packages got into the tree. */
export interface ComposeInstallReport {
  /** `incremental`: the cached root of the previous compose plus the added packages. */
  readonly path: 'full' | 'incremental';
  /** Why a full install was needed (incremental) or happened. */
  readonly reason?: string;
  /** Packages the incremental path added (name=version). */
  readonly added?: readonly string[];
  /** Whether the previous compose's initramfs was reused. */
  readonly initramfsReused?: boolean;
  /** Whether this compose's root is cached for the next one. */
  readonly cached?: boolean;
}

export interface ComposeResult {
  /** The new commit, or the previous one when nothing changed. */
  readonly checksum?: string;
  readonly ref: string;
  readonly version?: string;
  readonly inputhash: string;
  readonly noop: boolean;
  readonly packages: number;
  readonly timings: Readonly<Record<string, number>>;
  /** Absent for no-ops and dry runs. */
  readonly install?: ComposeInstallReport;
}

export function backendOf(t: Treefile): 'debian' | 'rpm' {
  if (t.aptSuite !== undefined || t.aptSources !== undefined) return 'debian';
  if (t.repos.length > 0) return 'rpm';
  throw new ComposeInvalid('The treefile names no package source: set apt-suite/apt-sources (Debian) or repos (RPM)', { key: 'repos' });
}

export async function composeTree(o: ComposeTreeOptions): Promise<ComposeResult> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const phase = (p: ComposePhase, detail: string): void => {
    o.onPhase?.(p, detail);
  };
  const lap = (name: string): void => {
    const t = performance.now();
    timings[name] = Math.round(t - mark);
    mark = t;
  };
  const now = o.now ?? (() => new Date());
  /** Parts of a phase, reported beside it (`install.copy` …) without moving the phase clock. */
  const part = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = (timings[name] ?? 0) + Math.round(performance.now() - t0);
    }
  };

  phase('treefile', o.treefile);
  const loaded = await loadTreefile(o.treefile, o.basearch !== undefined ? { basearch: o.basearch } : {});
  const t = loaded.treefile;
  const backend = backendOf(t);
  const repo = await ComposeRepo.ensure(o.repo);
  const cacheDir = path.resolve(o.cacheDir ?? path.join(path.dirname(repo.path), 'compose-cache'));
  await mkdir(cacheDir, { recursive: true });
  lap('treefile');

  phase('sources', backend);
  let indexDigests: Record<string, string>;
  let backendArgs: string[];
  let aptSources: { deb822: string; suite: string } | undefined;
  if (backend === 'debian') {
    aptSources = await resolveAptSources(t);
    indexDigests = await aptIndexDigests(aptSources.deb822, path.join(cacheDir, 'apt-state'));
    backendArgs = mmdebstrapArgv(
      { treefile: t, target: 'TARGET', sources: aptSources, cacheDir: 'CACHE', workDir: 'WORK' },
      { sources: 'SOURCES', essentialStatus: 'WORK/essential-status', ...(t.excludePackages.length > 0 ? { preferences: 'PREFERENCES' } : {}) },
    );
  } else {
    indexDigests = await rpmRepoDigests(t, path.dirname(loaded.files[0]!));
    backendArgs = ['dnf', ...t.packages];
  }
  lap('sources');

  phase('inputhash', '');
  const inputhash = await computeInputHash({ flat: loaded.flat, treefile: t, backend, backendArgs, indexDigests });
  const previousChecksum = await repo.resolveRev(t.ref);
  const previous = previousChecksum === undefined ? undefined : await repo.readCommit(previousChecksum);
  lap('inputhash');
  if (previous !== undefined && previous.inputhash === inputhash && !o.forceNocache) {
    phase('inputhash', 'No apparent changes since previous commit; use --force-nocache to override');
    return {
      checksum: previous.checksum,
      ref: t.ref,
      ...(previous.version !== undefined ? { version: previous.version } : {}),
      inputhash,
      noop: true,
      packages: previous.packages?.length ?? 0,
      timings,
    };
  }
  if (o.dryRun) return { ref: t.ref, inputhash, noop: false, packages: 0, timings };

  const work = o.workDir ?? (await mkdtemp(path.join(cacheDir, 'build-')));
  const root = path.join(work, 'rootfs');
  const rootfsCache = backend === 'debian' && o.incremental !== false ? new RootfsCache(cacheDir) : undefined;
  let staging: string | undefined;
  try {
    await rm(root, { recursive: true, force: true });
    let install: { path: 'full' | 'incremental'; reason?: string; added?: string[]; cached?: boolean } = { path: 'full' };
    let entry: RootfsCacheEntry | undefined;
    let cacheState: { key: string; packages: PackageSet } | undefined;
    if (backend === 'debian') {
      const aptStateDir = path.join(cacheDir, 'apt-state');
      const debsDir = path.join(cacheDir, 'debs');
      const essentialStatus = path.join(work, 'essential-status');
      const arch = (await exec(['dpkg', '--print-architecture'], { pkg: 'dpkg' })).stdout.toString().trim();
      const preferencesDir = await writeExcludePreferences(work, t);
      const predict = (status: string): Promise<PackageSet | undefined> =>
        predictPackages({ treefile: t, suite: aptSources!.suite, arch, aptStateDir, essentialStatus: status, ...(preferencesDir !== undefined ? { preferencesDir } : {}) });
      const key = await rootfsCacheKey({ arch, args: backendArgs.filter((a) => !a.startsWith('--include=')), sources: aptSources!.deb822, exclude: t.excludePackages });
      let reason = o.incremental === false ? 'incremental composes are off' : 'no cached root';
      entry = rootfsCache === undefined ? undefined : await rootfsCache.load(key, (r) => (reason = r));
      if (entry !== undefined) {
        // The prediction is a function of the essential status, the requests, the indices and what the key covers.
        const sameIndices = canonicalJson(entry.state.indexDigests) === canonicalJson(indexDigests);
        const sameRequests = canonicalJson(entry.state.requested) === canonicalJson(t.packages);
        const predicted = !sameIndices ? undefined : sameRequests ? entry.state.packages : await part('install.predict', () => predict(entry!.essentialStatus));
        const add = predicted === undefined ? undefined : additions(entry.state.packages, predicted);
        if (!sameIndices) reason = 'the package indices changed since the cached root was built';
        else if (predicted === undefined) reason = 'apt could not predict the package set';
        else if (add === undefined) reason = 'packages were removed or changed version';
        else {
          const added = [...add].map(([n, v]) => `${n}=${v.split(' ')[0]!}`);
          phase('install', `incremental: the cached root plus ${added.length} package(s)${added.length > 0 ? `: ${added.join(' ')}` : ''}`);
          try {
            await part('install.copy', () => copyTree(entry!.rootfs, root));
            await part('install.apt', () => installAdditions({ root, add, aptStateDir, debsDir }));
            const got = installedPackages(await readFile(joinWithin(root, 'var/lib/dpkg/status'), 'utf8'));
            if (got === undefined || !samePackages(got, predicted!)) throw new Error('the installed packages differ from the predicted ones');
            await copyFile(entry.essentialStatus, essentialStatus);
            install = { path: 'incremental', added };
            cacheState = { key, packages: predicted! };
          } catch (err) {
            reason = `the incremental install failed: ${(err as Error).message.split('\n')[0]!}`;
            await rm(root, { recursive: true, force: true });
          }
        }
      }
      if (install.path === 'full') {
        phase('install', `debian: ${t.packages.length} requested packages, full install (${reason})`);
        install = { path: 'full', reason };
        await installDebian({ treefile: t, target: root, sources: aptSources!, cacheDir: debsDir, workDir: work, essentialStatus, ...(o.verbose ? { verbose: true } : {}) });
        if (rootfsCache !== undefined) {
          const got = installedPackages(await readFile(joinWithin(root, 'var/lib/dpkg/status'), 'utf8'));
          const predicted = await part('install.predict', () => predict(essentialStatus));
          if (got !== undefined && predicted !== undefined && samePackages(got, predicted)) cacheState = { key, packages: got };
          else phase('install', "not caching the root: apt's prediction of the package set differs from what mmdebstrap installed");
        }
      }
      if (rootfsCache !== undefined && cacheState !== undefined) {
        phase('install', 'caching the root for the next compose');
        staging = await rootfsCache.stage();
        await part('install.copy', () => copyTree(root, path.join(staging!, 'rootfs')));
        await copyFile(essentialStatus, path.join(staging, 'essential-status'));
      }
    } else {
      phase('install', `${backend}: ${t.packages.length} requested packages`);
      await installRpm({ treefile: t, target: root, treefileDir: path.dirname(loaded.files[0]!), cacheDir: path.join(cacheDir, 'rpm') });
    }
    lap('install');

    phase('postprocess', '');
    if (t.preservePasswd === false && t.checkPasswd?.type === 'previous') {
      throw new ComposeInvalid('check-passwd type "previous" needs preserve-passwd', { key: 'check-passwd' });
    }
    const previousInitramfs = entry?.state.initramfs !== undefined && entry.initramfsImage !== undefined ? { record: entry.state.initramfs, image: entry.initramfsImage } : undefined;
    const report = await postprocessTree({ root, treefile: t, onStep: (s) => phase('postprocess', s), ...(previousInitramfs !== undefined ? { previousInitramfs } : {}) });
    if (previous !== undefined) await checkPasswd(t, repo, previous.checksum, root);
    const packages = backend === 'debian' ? await debianPackageList(root) : await rpmPackageList(root);
    const version = o.version ?? (t.automaticVersionPrefix !== undefined ? nextVersion(t.automaticVersionPrefix, t.automaticVersionSuffix, previous?.version, now()) : undefined);
    if (t.mutateOsRelease !== undefined && version !== undefined) await mutateOsRelease(root, t.mutateOsRelease, version);
    lap('postprocess');

    phase('commit', t.ref);
    const metadata = new Map<string, string>();
    for (const [k, v] of Object.entries(t.addCommitMetadata)) metadata.set(k, jsonToGVariantText(v));
    if (version !== undefined) metadata.set('version', quoteGVariantString(version));
    metadata.set('rpmostree.inputhash', quoteGVariantString(inputhash));
    metadata.set('rpmostree.rpmdb.pkglist', pkglistToGVariantText(packages));
    if (t.initramfsArgs !== undefined) metadata.set('rpmostree.initramfs-args', jsonToGVariantText([...t.initramfsArgs]));
    if (t.kernelArgs.length > 0) metadata.set('berth.kargs', jsonToGVariantText([...t.kernelArgs]));
    if (t.containerCmd !== undefined) metadata.set('ostree.container-cmd', jsonToGVariantText([...t.containerCmd]));
    metadata.set('berth.compose.backend', quoteGVariantString(backend));
    if (aptSources !== undefined) metadata.set('berth.apt.suite', quoteGVariantString(aptSources.suite));
    if (report.kernelVersion !== undefined) metadata.set('ostree.linux', quoteGVariantString(report.kernelVersion));
    for (const [k, v] of o.addMetadata ?? []) metadata.set(k, v);
    const checksum = await repo.commitTree(root, {
      ref: t.ref,
      subject: version !== undefined ? `${t.ref} ${version}` : t.ref,
      metadata,
      bootable: report.kernelVersion !== undefined,
    });
    lap('commit');

    if (rootfsCache !== undefined && staging !== undefined && cacheState !== undefined) {
      if (report.initramfs !== undefined) {
        await linkOrCopy(joinWithin(root, 'usr/lib/modules', report.initramfs.record.kver, 'initramfs.img'), path.join(staging, 'initramfs.img'));
      }
      await rootfsCache.publish(staging, { key: cacheState.key, indexDigests, packages: cacheState.packages, requested: t.packages, ...(report.initramfs !== undefined ? { initramfs: report.initramfs.record } : {}) });
      staging = undefined;
      install = { ...install, cached: true };
      lap('cache');
    }
    const installReport: ComposeInstallReport = { ...install, ...(report.initramfs !== undefined ? { initramfsReused: report.initramfs.reused } : {}) };
    return { checksum, ref: t.ref, ...(version !== undefined ? { version } : {}), inputhash, noop: false, packages: packages.length, timings, install: installReport };
  } finally {
    if (staging !== undefined) await rootfsCache?.discard(staging);
    if (!o.keepWorkDir) await rm(work, { recursive: true, force: true });
  }
}

export async function debianPackageList(root: string): Promise<PackageRecord[]> {
  const status = await readFile(joinWithin(root, 'usr/lib/sysimage/dpkg/status'), 'utf8');
  return parseDpkgStatus(status).map((p) => {
    const v = parseDebVersion(p.version);
    return { name: p.name, epoch: v.epoch, version: v.upstream, release: v.revision, arch: p.architecture };
  });
}

/** check-passwd / check-groups `previous`: a name kept from the previous commit keeps its id. */
async function checkPasswd(t: Treefile, repo: ComposeRepo, previous: string, root: string): Promise<void> {
  const checks: [string, Treefile['checkPasswd']][] = [['passwd', t.checkPasswd], ['group', t.checkGroups]];
  for (const [file, check] of checks) {
    if (check === undefined || check.type === 'none') continue;
    const next = new Map(parsePasswdLike(await readFile(joinWithin(root, 'usr/lib', file), 'utf8').catch(() => '')).map((e) => [e.name, e.id]));
    let expected: Map<string, number>;
    if (check.type === 'previous') {
      const text = (await repo.catFile(previous, `/usr/lib/${file}`)) ?? (await repo.catFile(previous, `/usr/etc/${file}`)) ?? '';
      expected = new Map(parsePasswdLike(text).map((e) => [e.name, e.id]));
    } else if (check.type === 'data') {
      expected = new Map(Object.entries(check.entries ?? {}).map(([k, v]) => [k, typeof v === 'number' ? v : v[0]!]));
    } else {
      const src = t.sources.get(file === 'passwd' ? 'check-passwd' : 'check-groups');
      const base = src ? path.dirname(src.file) : '.';
      const text = await readFile(path.resolve(base, check.filename ?? ''), 'utf8');
      expected = new Map(parsePasswdLike(text).map((e) => [e.name, e.id]));
    }
    for (const [name, id] of next) {
      const want = expected.get(name);
      if (want !== undefined && want !== id) {
        throw new ComposePasswdChanged(`${file === 'passwd' ? 'User' : 'Group'} ${JSON.stringify(name)} changed id from ${want} to ${id}`, { name, previous: want, next: id });
      }
    }
  }
}

/** rpm-ostree's mutate-os-release: put the compose version where the base version was, add OSTREE_VERSION. */
async function mutateOsRelease(root: string, base: string, version: string): Promise<void> {
  const file = joinWithin(root, 'usr/lib/os-release');
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n').filter((l) => !l.startsWith('OSTREE_VERSION='));
  const out = lines.map((l) => (/^(VERSION|PRETTY_NAME)=/.test(l) ? l.split(base).join(`${base} (${version})`) : l));
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  out.push(`OSTREE_VERSION='${version}'`);
  await rm(file, { force: true });
  await writeFile(file, `${out.join('\n')}\n`);
}

/** Exposed for `compose` verbs that only want the treefile checked. */
export async function checkTreefile(file: string, basearch?: string): Promise<Treefile> {
  return (await loadTreefile(file, basearch !== undefined ? { basearch } : {})).treefile;
}

