import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { exec, isErrno, writeFileAtomic } from '../../core/index.js';
import { CredentialHelperFailed } from '../errors.js';

/**
 * Registry credentials in docker's config.json format (`{"auths":{"<registry>":{"auth":"<base64 user:pass>"}}}`),
 * so `skopeo --authfile`, podman's auth.json readers and docker itself read what `berth login` wrote.
 * Location: an explicit path, else $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json. Other keys in the file are kept untouched.
 *
 * Credential helpers as docker runs them: `credHelpers.<registry>` or else `credsStore` names NAME, and
 * `docker-credential-NAME get|store|erase` (found on PATH) keeps the secret; the file only gets an empty
 * `auths` entry so `docker login`'s listing still shows the registry. A helper's "not found" falls back
 * to the file's own entry, as docker does.
 */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export function authFilePath(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  if (explicit) return explicit;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.DOCKER_CONFIG) return path.join(env.DOCKER_CONFIG, 'config.json');
  return path.join(env.HOME ?? os.homedir(), '.docker', 'config.json');
}

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

async function readAuthFile(file: string): Promise<AuthFile> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as AuthFile;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return {};
    throw err;
  }
}

/** Keys docker may have used for a registry: "host:port", "https://host:port", "http://host:port/v1/". */
function keysFor(registry: string): string[] {
  const hub = registry === 'docker.io' || registry === 'index.docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io'] : [];
  return [registry, ...hub, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

/** The helper docker would use for `registry` (per-registry helper first, then the default store). */
function helperFor(json: AuthFile, registry: string): string | undefined {
  for (const key of keysFor(registry)) {
    const name = json.credHelpers?.[key];
    if (typeof name === 'string' && name !== '') return name;
  }
  return typeof json.credsStore === 'string' && json.credsStore !== '' ? json.credsStore : undefined;
}

/** docker's name for Docker Hub in helpers and auths; other registries are keyed by host[:port]. */
function serverUrl(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'https://index.docker.io/v1/' : registry;
}

const HELPER_TIMEOUT_MS = 30_000;

async function runHelper(name: string, action: 'get' | 'store' | 'erase', input: string, registry: string, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; stdout: string }> {
  const binary = `docker-credential-${name}`;
  let r;
  try {
    r = await exec([binary, action], { input, check: false, env, timeoutMs: HELPER_TIMEOUT_MS });
  } catch (err) {
    throw new CredentialHelperFailed(`Credential helper ${binary} could not be run: ${(err as Error).message}`, { helper: binary, action, registry }, { cause: err });
  }
  const stdout = r.stdout.toString('utf8').trim();
  if (r.exitCode === 0) return { ok: true, stdout };
  // The helper protocol reports a missing entry on stdout with a non-zero exit.
  if (action !== 'store' && /credentials not found/i.test(stdout)) return { ok: false, stdout };
  throw new CredentialHelperFailed(`Credential helper ${binary} ${action} failed for ${registry}: ${(stdout || r.stderr.toString('utf8').trim() || `exit ${r.exitCode}`)}`, { helper: binary, action, registry });
}

function fromFileEntry(auths: NonNullable<AuthFile['auths']>, registry: string): Credentials | undefined {
  for (const key of keysFor(registry)) {
    const entry = auths[key];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

export async function readCredentials(registry: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const json = await readAuthFile(file);
  const helper = helperFor(json, registry);
  if (helper !== undefined) {
    const r = await runHelper(helper, 'get', serverUrl(registry), registry, env);
    if (r.ok) {
      let parsed: { Username?: unknown; Secret?: unknown };
      try {
        parsed = JSON.parse(r.stdout) as typeof parsed;
      } catch {
        throw new CredentialHelperFailed(`Credential helper docker-credential-${helper} answered something that is not JSON`, { helper: `docker-credential-${helper}`, action: 'get', registry });
      }
      if (typeof parsed.Username === 'string' && typeof parsed.Secret === 'string' && parsed.Secret !== '') {
        return { username: parsed.Username, password: parsed.Secret };
      }
    }
  }
  return fromFileEntry(json.auths ?? {}, registry);
}

export async function storeCredentials(registry: string, credentials: Credentials, file: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const json = await readAuthFile(file);
  const auths = { ...(json.auths ?? {}) };
  const helper = helperFor(json, registry);
  if (helper !== undefined) {
    const payload = JSON.stringify({ ServerURL: serverUrl(registry), Username: credentials.username, Secret: credentials.password });
    await runHelper(helper, 'store', payload, registry, env);
    auths[serverUrl(registry)] = {};
  } else {
    auths[registry] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  }
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify({ ...json, auths }, null, '\t')}\n`, { mode: 0o600 });
}

/** Returns false when there was nothing to remove. */
export async function removeCredentials(registry: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const json = await readAuthFile(file);
  const auths = { ...(json.auths ?? {}) };
  let removed = false;
  const helper = helperFor(json, registry);
  if (helper !== undefined) removed = (await runHelper(helper, 'erase', serverUrl(registry), registry, env)).ok;
  for (const key of keysFor(registry)) {
    if (key in auths) {
      delete auths[key];
      removed = true;
    }
  }
  if (removed) await writeFileAtomic(file, `${JSON.stringify({ ...json, auths }, null, '\t')}\n`, { mode: 0o600 });
  return removed;
}
