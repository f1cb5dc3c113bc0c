/**
 * The RPM backend: `dnf --installroot` from the yum repositories that the treefile's `repos`
 * names, read from `*.repo` files beside the treefile (rpm-ostree ignores the host's
 * /etc/yum.repos.d, and so does berth). The rpm database goes to /usr/lib/sysimage/rpm, where
 * current rpm-ostree keeps it, with /usr/share/rpm a link for older clients.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec, joinWithin, trustExtraCasInFetch } from '../core/index.js';
import { decodeRpmPackage, KeyFile, type Treefile } from '../formats/index.js';
import { ComposeInstallFailed, ComposeInvalid } from './errors.js';
import type { PackageRecord } from './gvariant-text.js';

export const RPMDB_PATH = '/usr/lib/sysimage/rpm';

export interface RepoDefinition {
  readonly id: string;
  readonly baseurl: string;
  readonly file: string;
}

/** The `[id]` sections of every `*.repo` file in `dir`. */
export async function readRepoFiles(dir: string): Promise<RepoDefinition[]> {
  const out: RepoDefinition[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (!name.endsWith('.repo')) continue;
    const file = path.join(dir, name);
    const kf = KeyFile.parse(await readFile(file, 'utf8'));
    for (const group of kf.groups()) {
      const baseurl = kf.getValue(group, 'baseurl')?.split(/\s+/)[0];
      if (baseurl !== undefined) out.push({ id: group, baseurl, file });
    }
  }
  return out;
}

function selectRepos(t: Treefile, defs: readonly RepoDefinition[]): RepoDefinition[] {
  return t.repos.map((id) => {
    const def = defs.find((d) => d.id === id);
    if (def === undefined) {
      const src = t.sources.get('repos');
      throw new ComposeInvalid(`${src ? `${src.file}:${src.line}: ` : ''}repos: No repository ${JSON.stringify(id)} in the .repo files beside the treefile`, { key: 'repos' });
    }
    return def;
  });
}

/**
 * Identity of the repositories' content: for local (file://) repositories, the NEVRA and header
 * digest of every package, read with berth's RPM header reader; otherwise repomd.xml's digest.
 */
export async function rpmRepoDigests(t: Treefile, treefileDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const def of selectRepos(t, await readRepoFiles(treefileDir))) {
    const h = createHash('sha256');
    if (def.baseurl.startsWith('file://')) {
      const dir = decodeURIComponent(new URL(def.baseurl).pathname);
      const rpms = (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.rpm')).sort();
      for (const name of rpms) {
        const bytes = await readFile(path.join(dir, name));
        const hdr = decodeRpmPackage(bytes).header;
        h.update(`${hdr.name}-${hdr.epoch ?? 0}:${hdr.version}-${hdr.release}.${hdr.arch} ${createHash('sha256').update(bytes).digest('hex')}\n`);
      }
    } else {
      if (def.baseurl.startsWith('https:')) trustExtraCasInFetch();
      const r = await fetch(new URL('repodata/repomd.xml', def.baseurl.endsWith('/') ? def.baseurl : `${def.baseurl}/`));
      if (!r.ok) throw new ComposeInstallFailed(`Repository ${def.id}: HTTP ${r.status} for repomd.xml`, { backend: 'rpm' });
      h.update(new Uint8Array(await r.arrayBuffer()));
    }
    out[def.id] = h.digest('hex');
  }
  return out;
}

export interface RpmInstallOptions {
  readonly treefile: Treefile;
  readonly target: string;
  readonly treefileDir: string;
  readonly cacheDir: string;
}

export async function installRpm(o: RpmInstallOptions): Promise<void> {
  const t = o.treefile;
  const repos = selectRepos(t, await readRepoFiles(o.treefileDir));
  const home = path.join(o.cacheDir, 'home');
  await mkdir(home, { recursive: true });
  // Debian's rpm puts the database in ~/.rpmdb by default; dnf has no --dbpath, so a private HOME
  // carries the macro (and rpm reads it for scriptlets too).
  await writeFile(path.join(home, '.rpmmacros'), `%_dbpath ${RPMDB_PATH}\n`);
  await mkdir(joinWithin(o.target, 'dev'), { recursive: true });
  await exec(['mknod', '-m', '666', joinWithin(o.target, 'dev/null'), 'c', '1', '3'], { check: false });
  await mkdir(joinWithin(o.target, RPMDB_PATH.slice(1)), { recursive: true });
  const argv = [
    'dnf', '-y', '-q', '--refresh', `--installroot=${o.target}`, `--releasever=${t.releasever ?? '1'}`,
    `--setopt=reposdir=${o.treefileDir}`, `--setopt=cachedir=${path.join(o.cacheDir, 'dnf')}`,
    `--setopt=install_weak_deps=${t.recommends ? 'True' : 'False'}`, '--setopt=keepcache=True',
    '--disablerepo=*', ...repos.map((r) => `--enablerepo=${r.id}`),
    ...(t.documentation ? [] : ['--setopt=tsflags=nodocs']),
    ...(t.excludePackages.length > 0 ? [`--exclude=${t.excludePackages.join(',')}`] : []),
    'install', ...t.packages,
  ];
  const r = await exec(argv, { check: false, pkg: 'dnf', env: { ...process.env, HOME: home, LC_ALL: 'C.UTF-8' }, timeoutMs: 30 * 60_000 });
  if (r.exitCode !== 0) {
    throw new ComposeInstallFailed(`dnf failed (exit ${r.exitCode}): ${r.stderr.toString().trim().split('\n').slice(-10).join('\n')}`, { backend: 'rpm' });
  }
  await mkdir(joinWithin(o.target, 'usr/lib/rpm/macros.d'), { recursive: true });
  await writeFile(joinWithin(o.target, 'usr/lib/rpm/macros.d/macros.berth-rpmdb'), `%_dbpath ${RPMDB_PATH}\n`);
  await mkdir(joinWithin(o.target, 'usr/share'), { recursive: true });
  await symlink('../lib/sysimage/rpm', joinWithin(o.target, 'usr/share/rpm')).catch(() => undefined);
}

/** NEVRAs from the tree's rpm database. */
export async function rpmPackageList(root: string): Promise<PackageRecord[]> {
  const r = await exec(['rpm', '--root', root, '--dbpath', RPMDB_PATH, '-qa', '--qf', '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n'], { pkg: 'rpm' });
  return r.stdout
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, epoch, version, release, arch] = l.split('\t');
      return { name: name!, epoch: Number(epoch), version: version!, release: release!, arch: arch! };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
