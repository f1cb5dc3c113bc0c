import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { isErrno, writeFileAtomic } from '../../core/index.js';

/**
 * Registry credentials in docker's config.json format (`{"auths":{"<registry>":{"auth":"<base64 user:pass>"}}}`),
 * so `skopeo --authfile`, podman's auth.json readers and docker itself read what `berth login` wrote.
 * Location: an explicit path, else $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json. Other keys in the file are kept untouched.
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
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

export async function readCredentials(registry: string, file: string): Promise<Credentials | undefined> {
  const auths = (await readAuthFile(file)).auths ?? {};
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

export async function storeCredentials(registry: string, credentials: Credentials, file: string): Promise<void> {
  const json = await readAuthFile(file);
  const auths = { ...(json.auths ?? {}) };
  auths[registry] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify({ ...json, auths }, null, '\t')}\n`, { mode: 0o600 });
}

/** Returns false when there was nothing to remove. */
export async function removeCredentials(registry: string, file: string): Promise<boolean> {
  const json = await readAuthFile(file);
  const auths = { ...(json.auths ?? {}) };
  let removed = false;
  for (const key of keysFor(registry)) {
    if (key in auths) {
      delete auths[key];
      removed = true;
    }
  }
  if (removed) await writeFileAtomic(file, `${JSON.stringify({ ...json, auths }, null, '\t')}\n`, { mode: 0o600 });
  return removed;
}
