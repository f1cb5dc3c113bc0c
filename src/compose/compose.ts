/**
 * `compose tree`: treefile → packages → OSTree-ready tree → commit, rpm-ostree's flow
 * (rpmostree-compose-builtin-tree.cxx) with a Debian (mmdebstrap) and an RPM (dnf) backend.
 *
 * Phases, reported through `onPhase`: treefile, sources, inputhash (may end the compose as a
 * no-op), install, postprocess, commit.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { joinWithin } from '../core/index.js';
import { parseDebVersion, parseDpkgStatus, type Treefile } from '../formats/index.js';
import { resolveAptSources } from './apt-sources.js';
import { installDebian, mmdebstrapArgv } from './debian.js';
import { ComposeInvalid, ComposePasswdChanged } from './errors.js';
import { jsonToGVariantText, pkglistToGVariantText, quoteGVariantString, type PackageRecord } from './gvariant-text.js';
import { aptIndexDigests, computeInputHash } from './inputhash.js';
import { parsePasswdLike, postprocessTree } from './postprocess.js';
import { ComposeRepo } from './repo.js';
import { installRpm, rpmPackageList, rpmRepoDigests } from './rpm.js';
import { loadTreefile } from './treefile-load.js';
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
      { sources: 'SOURCES', ...(t.excludePackages.length > 0 ? { preferences: 'PREFERENCES' } : {}) },
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
  try {
    await rm(root, { recursive: true, force: true });
    phase('install', `${backend}: ${t.packages.length} requested packages`);
    if (backend === 'debian') {
      await installDebian({ treefile: t, target: root, sources: aptSources!, cacheDir: path.join(cacheDir, 'debs'), workDir: work, ...(o.verbose ? { verbose: true } : {}) });
    } else {
      await installRpm({ treefile: t, target: root, treefileDir: path.dirname(loaded.files[0]!), cacheDir: path.join(cacheDir, 'rpm') });
    }
    lap('install');

    phase('postprocess', '');
    if (t.preservePasswd === false && t.checkPasswd?.type === 'previous') {
      throw new ComposeInvalid('check-passwd type "previous" needs preserve-passwd', { key: 'check-passwd' });
    }
    const report = await postprocessTree({ root, treefile: t, onStep: (s) => phase('postprocess', s) });
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
    return { checksum, ref: t.ref, ...(version !== undefined ? { version } : {}), inputhash, noop: false, packages: packages.length, timings };
  } finally {
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

