import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, writeFileAtomic } from '../core/index.js';
import { KeyFile } from '../formats/keyfile.js';
import { RemoteBadName, RemoteBadOption, RemoteExists, RemoteNotFound } from './remote-errors.js';
import { loadEd25519Keys, type Ed25519Keys, type VerifyPolicy } from './sign/index.js';

/**
 * Remotes as ostree keeps them: `[remote "NAME"]` groups in the repo's `config`, plus one
 * group per file in `remotes.d/*.conf` (`/etc/ostree/remotes.d` for the system repo, or when
 * `core.add-remotes-config-dir=true`). Keys: url, contenturl, branches, gpg-verify (default
 * true), gpg-verify-summary, sign-verify, sign-verify-summary, verification-ed25519-key/-file,
 * gpgkeypath, tls-permissive, tls-ca-path, tls-client-cert-path, tls-client-key-path.
 */
const NAME_REGEXP = /^[\w\d][-._\w\d]*$/;

export interface RemoteConfig {
  readonly name: string;
  readonly url: string;
  /** Where the options came from: the repo config or a remotes.d file. */
  readonly file: string;
  readonly options: ReadonlyMap<string, string>;
}

export interface RemoteLocation {
  /** The repository directory. */
  readonly repo: string;
  /**
   * remotes.d directory to read (and write with `--sysroot`-style adds); default
   * `/etc/ostree/remotes.d` when the repo config says `add-remotes-config-dir=true`.
   */
  readonly remotesDir?: string;
}

export function validateRemoteName(name: string): void {
  if (!NAME_REGEXP.test(name)) throw new RemoteBadName(`Invalid remote name ${JSON.stringify(name)}`, { remote: name });
}

function groupName(name: string): string {
  return `remote "${name}"`;
}

async function readKeyFile(path: string): Promise<KeyFile | undefined> {
  try {
    return KeyFile.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function remotesDirOf(loc: RemoteLocation): Promise<string | undefined> {
  if (loc.remotesDir !== undefined) return loc.remotesDir;
  const config = await readKeyFile(join(loc.repo, 'config'));
  return config?.getBoolean('core', 'add-remotes-config-dir') === true ? '/etc/ostree/remotes.d' : undefined;
}

function fromGroup(kf: KeyFile, group: string, file: string): RemoteConfig | undefined {
  const m = /^remote "(.+)"$/.exec(group);
  if (m === null) return undefined;
  const options = new Map<string, string>();
  for (const k of kf.keys(group)) options.set(k, kf.getValue(group, k) ?? '');
  return { name: m[1]!, url: options.get('url') ?? '', file, options };
}

export async function listRemotes(loc: RemoteLocation): Promise<RemoteConfig[]> {
  const out = new Map<string, RemoteConfig>();
  const configPath = join(loc.repo, 'config');
  const config = await readKeyFile(configPath);
  for (const g of config?.groups() ?? []) {
    const r = fromGroup(config!, g, configPath);
    if (r !== undefined) out.set(r.name, r);
  }
  const dir = await remotesDirOf(loc);
  if (dir !== undefined) {
    let names: string[] = [];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.conf')).sort();
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    for (const n of names) {
      const kf = await readKeyFile(join(dir, n));
      for (const g of kf?.groups() ?? []) {
        const r = fromGroup(kf!, g, join(dir, n));
        if (r !== undefined && !out.has(r.name)) out.set(r.name, r);
      }
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function getRemote(loc: RemoteLocation, name: string): Promise<RemoteConfig> {
  const r = (await listRemotes(loc)).find((x) => x.name === name);
  if (r === undefined) throw new RemoteNotFound(`Remote "${name}" not found`, { remote: name });
  return r;
}

export interface AddRemoteOptions {
  /** `--set=KEY=VALUE` pairs, in order. */
  readonly set?: ReadonlyArray<readonly [string, string]>;
  readonly branches?: readonly string[];
  readonly noGpgVerify?: boolean;
  readonly noSignVerify?: boolean;
  readonly ifNotExists?: boolean;
  /** Replace an existing remote of the same name. */
  readonly force?: boolean;
  readonly collectionId?: string;
  /** `--sign-verify=ed25519=inline:KEY` / `=file:PATH` */
  readonly signVerify?: readonly string[];
  /** Write into remotes.d/NAME.conf instead of the repo config. */
  readonly toRemotesDir?: boolean;
}

/** `ostree remote add NAME URL [BRANCH…]`. Returns false when it existed and ifNotExists was set. */
export async function addRemote(loc: RemoteLocation, name: string, url: string, options: AddRemoteOptions = {}): Promise<boolean> {
  validateRemoteName(name);
  const existing = (await listRemotes(loc)).find((x) => x.name === name);
  if (existing !== undefined) {
    if (options.ifNotExists === true) return false;
    if (options.force !== true) throw new RemoteExists(`Remote configuration for "${name}" already exists: ${existing.file}`, { remote: name });
    await deleteRemote(loc, name);
  }
  const dir = options.toRemotesDir === true ? await remotesDirOf(loc) : undefined;
  const path = dir !== undefined ? join(dir, `${name}.conf`) : join(loc.repo, 'config');
  const kf = (await readKeyFile(path)) ?? KeyFile.parse('');
  const g = groupName(name);
  kf.setValue(g, 'url', url);
  if (options.branches !== undefined && options.branches.length > 0) kf.setStringList(g, 'branches', options.branches);
  if (options.collectionId !== undefined) kf.setValue(g, 'collection-id', options.collectionId);
  for (const [k, v] of options.set ?? []) kf.setValue(g, k, v);
  if (options.noGpgVerify === true) kf.setValue(g, 'gpg-verify', 'false');
  if (options.noSignVerify === true) kf.setValue(g, 'sign-verify', 'false');
  for (const spec of options.signVerify ?? []) {
    const m = /^ed25519=(inline|file):(.+)$/.exec(spec);
    if (m === null) throw new RemoteBadOption(`Invalid --sign-verify ${JSON.stringify(spec)}: expected ed25519=inline:KEY or ed25519=file:PATH`, { remote: name, option: spec });
    kf.setValue(g, m[1] === 'inline' ? 'verification-ed25519-key' : 'verification-ed25519-file', m[2]!);
    kf.setValue(g, 'sign-verify', 'true');
  }
  await writeFileAtomic(path, kf.toString());
  return true;
}

/** `ostree remote delete NAME`. Returns false when absent and ifExists was set. */
export async function deleteRemote(loc: RemoteLocation, name: string, options: { readonly ifExists?: boolean } = {}): Promise<boolean> {
  validateRemoteName(name);
  const existing = (await listRemotes(loc)).find((x) => x.name === name);
  if (existing === undefined) {
    if (options.ifExists === true) return false;
    throw new RemoteNotFound(`Remote "${name}" not found`, { remote: name });
  }
  const kf = (await readKeyFile(existing.file))!;
  kf.removeGroup(groupName(name));
  if (existing.file.endsWith('.conf') && kf.groups().length === 0) await rm(existing.file, { force: true });
  else await writeFileAtomic(existing.file, kf.toString());
  await rm(join(loc.repo, `${name}.trustedkeys.gpg`), { force: true });
  return true;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return value === 'true' || value === '1' || value === 'yes';
}

/** `sign-verify` is a boolean or a list of types (`ed25519;`); true means every known type. */
function signTypes(value: string | undefined): string[] {
  if (value === undefined) return [];
  const v = value.trim();
  if (v === 'true' || v === '1' || v === 'yes') return ['ed25519'];
  if (v === 'false' || v === '0' || v === 'no' || v === '') return [];
  return v.split(';').map((s) => s.trim()).filter((s) => s !== '');
}

export interface RemoteVerification {
  readonly commit: VerifyPolicy;
  readonly summary: VerifyPolicy;
  /** Keys tried, for error messages. */
  readonly ed25519: Ed25519Keys | undefined;
}

/**
 * The verification a pull from this remote requires. GPG keyrings: `<repo>/<name>.trustedkeys.gpg`,
 * `<remotesDir>/<name>.trustedkeys.gpg`, `gpgkeypath=` (files or directories of `*.gpg`), then
 * `trustedGpgDir` (ostree: /usr/share/ostree/trusted.gpg.d).
 */
export async function remoteVerification(
  loc: RemoteLocation,
  remote: RemoteConfig,
  options: { readonly ed25519SystemDirs?: readonly string[]; readonly trustedGpgDir?: string; readonly overrideGpgVerify?: boolean } = {},
): Promise<RemoteVerification> {
  const o = remote.options;
  const gpgCommit = options.overrideGpgVerify ?? bool(o.get('gpg-verify'), true);
  const gpgSummary = bool(o.get('gpg-verify-summary'), false);
  const commitTypes = signTypes(o.get('sign-verify'));
  const summaryTypes = signTypes(o.get('sign-verify-summary'));
  const keyrings: string[] = [join(loc.repo, `${remote.name}.trustedkeys.gpg`)];
  const dir = await remotesDirOf(loc);
  if (dir !== undefined) keyrings.push(join(dir, `${remote.name}.trustedkeys.gpg`));
  for (const p of (o.get('gpgkeypath') ?? '').split(/[;,]/).map((s) => s.trim()).filter((s) => s !== '')) {
    try {
      const names = await readdir(p);
      for (const n of names.sort()) if (n.endsWith('.gpg')) keyrings.push(join(p, n));
    } catch {
      keyrings.push(p);
    }
  }
  if (options.trustedGpgDir !== undefined) {
    try {
      for (const n of (await readdir(options.trustedGpgDir)).sort()) if (n.endsWith('.gpg')) keyrings.push(join(options.trustedGpgDir, n));
    } catch {
      /* no system keyrings */
    }
  }
  let ed25519: Ed25519Keys | undefined;
  if (commitTypes.length > 0 || summaryTypes.length > 0) {
    for (const t of [...commitTypes, ...summaryTypes]) {
      if (t !== 'ed25519') throw new RemoteBadOption(`Remote "${remote.name}" asks for signature type ${JSON.stringify(t)}, which is not supported`, { remote: remote.name, option: 'sign-verify' });
    }
    const key = o.get('verification-ed25519-key');
    const file = o.get('verification-ed25519-file');
    ed25519 = await loadEd25519Keys({
      keys: key === undefined ? [] : [key],
      files: file === undefined ? [] : [file],
      systemDirs: options.ed25519SystemDirs ?? [],
    });
  }
  const policy = (gpg: boolean, types: string[]): VerifyPolicy => ({
    ...(gpg ? { gpg: { keyrings } } : {}),
    ...(types.includes('ed25519') && ed25519 !== undefined ? { ed25519 } : {}),
  });
  return { commit: policy(gpgCommit, commitTypes), summary: policy(gpgSummary, summaryTypes), ed25519 };
}

export function remoteBranches(remote: RemoteConfig): string[] {
  const v = remote.options.get('branches');
  return v === undefined ? [] : v.split(';').filter((s) => s !== '');
}

/** HTTP client settings from a remote's `tls-*` keys (ostree's names), for the Fetcher. */
export async function remoteFetcherOptions(remote: RemoteConfig): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean }> {
  const o = remote.options;
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean } = {};
  if (bool(o.get('tls-permissive'), false)) out.insecure = true;
  const ca = o.get('tls-ca-path');
  if (ca !== undefined) out.ca = await readFile(ca);
  const cert = o.get('tls-client-cert-path');
  const key = o.get('tls-client-key-path');
  if (cert !== undefined && key !== undefined) {
    out.cert = await readFile(cert);
    out.key = await readFile(key);
  }
  return out;
}
