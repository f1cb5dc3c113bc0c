import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { trustExtraCasInFetch } from '../../core/index.js';
import { MANIFEST_ACCEPT, sha256Digest } from '../../formats/oci/index.js';
import { DigestMismatch, RegistryError, RegistryNotFound, RegistryUnauthorized, RegistryUnreachable } from '../errors.js';
import type { Credentials } from './auth-config.js';
import { parseChallenges, type Challenge } from './www-authenticate.js';

/**
 * A client for one registry speaking the distribution API v2 (docker-registry, Harbor, …).
 * Auth: anonymous first; on 401 it follows the challenge — Bearer (token from the realm, with basic
 * credentials when it has some, cached per scope) or Basic. Manifests are fetched with every Accept
 * type and their bytes verified against the digest asked for or announced. Redirects are followed by
 * hand so the registry's Authorization never goes to another host.
 */
export interface RegistryClientOptions {
  /** "127.0.0.1:5000", "example.com" */
  readonly registry: string;
  readonly credentials?: Credentials;
  /** Plain HTTP (default: for localhost and 127.0.0.0/8, as docker treats them as insecure). */
  readonly insecure?: boolean;
  /** Base URL override ("http://127.0.0.1:5000"), e.g. a mirror. */
  readonly endpoint?: string;
  readonly userAgent?: string;
  readonly signal?: AbortSignal;
}

export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

export type Action = 'pull' | 'push' | 'pull,push';

export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | Uint8Array;
  readonly scope?: { repo: string; actions: Action; from?: string };
  /** Statuses returned to the caller instead of thrown. */
  readonly accept?: readonly number[];
}

export class RegistryClient {
  readonly registry: string;
  readonly base: string;
  readonly #credentials: Credentials | undefined;
  readonly #userAgent: string;
  readonly #signal: AbortSignal | undefined;
  readonly #tokens = new Map<string, string>();
  #challenge: Challenge | undefined;
  #challengeKnown = false;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    const insecure = options.insecure ?? isLoopbackRegistry(options.registry);
    this.base = (options.endpoint ?? `${insecure ? 'http' : 'https'}://${options.registry}`).replace(/\/$/, '');
    this.#credentials = options.credentials;
    this.#userAgent = options.userAgent ?? 'berth/0.1';
    this.#signal = options.signal;
  }

  /** GET /v2/: checks reachability and (with credentials) that they are accepted. */
  async ping(): Promise<void> {
    const res = await this.#request('/v2/', { accept: [200] });
    await res.arrayBuffer();
  }

  /** Checks the credentials against the registry (what `login` does): basic or a token for the registry itself. */
  async checkLogin(): Promise<void> {
    const res = await this.#raw(`${this.base}/v2/`, { method: 'GET', headers: {} });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 200) return;
    if (res.status !== 401) throw await this.#error(res, `${this.base}/v2/`);
    this.#learnChallenge(res);
    const auth = await this.#authorization(undefined, true);
    const again = await this.#raw(`${this.base}/v2/`, { method: 'GET', headers: auth ? { authorization: auth } : {} });
    await again.arrayBuffer().catch(() => undefined);
    if (again.status === 401 || again.status === 403) {
      throw new RegistryUnauthorized(`Login to ${this.registry} failed: unauthorized`, { registry: this.registry, status: again.status });
    }
    if (again.status !== 200) throw await this.#error(again, `${this.base}/v2/`);
  }

  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const url = `/v2/${repo}/manifests/${reference}`;
    const res = await this.#request(url, { headers: { accept: MANIFEST_ACCEPT.join(', ') }, scope: { repo, actions: 'pull' } });
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    const expected = reference.startsWith('sha256:') ? reference : res.headers.get('docker-content-digest') ?? undefined;
    if (expected !== undefined && expected.startsWith('sha256:') && expected !== digest) {
      throw new DigestMismatch(`Manifest ${repo}:${reference} has digest ${digest}, expected ${expected}`, { expected, actual: digest, size: bytes.length });
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { bytes, mediaType, digest };
  }

  /** Size of a blob in `repo`, or undefined when the registry does not have it there. */
  async statBlob(repo: string, digest: string, actions: Action = 'pull'): Promise<number | undefined> {
    const res = await this.#request(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD', scope: { repo, actions }, accept: [200, 404] });
    if (res.status === 404) return undefined;
    return Number(res.headers.get('content-length') ?? '0');
  }

  /** A blob's bytes from `start` on; `partial` is false when the registry ignored the Range and sent it whole. */
  async getBlob(repo: string, digest: string, start = 0): Promise<{ stream: Readable; partial: boolean; size: number }> {
    const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
    const res = await this.#request(`/v2/${repo}/blobs/${digest}`, { headers, scope: { repo, actions: 'pull' }, accept: [200, 206] });
    if (res.body === null) throw new RegistryError(`Empty body for blob ${digest}`, { status: res.status, url: digest });
    const stream = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    const partial = res.status === 206;
    const length = Number(res.headers.get('content-length') ?? '-1');
    return { stream, partial, size: partial ? start + length : length };
  }

  /** Cross-repository mount: true when the registry linked the blob from `fromRepo` (201), false when it wants an upload. */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    const res = await this.#request(`/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`, {
      method: 'POST',
      headers: { 'content-length': '0' },
      scope: { repo, actions: 'pull,push', from: fromRepo },
      accept: [201, 202],
    });
    await res.arrayBuffer();
    if (res.status === 201) return true;
    // 202: an upload session was opened instead; it is abandoned (registries expire it).
    return false;
  }

  /**
   * Uploads a blob: monolithic (POST, then one PUT with the bytes) when `chunkSize` is not set or
   * the blob fits in one chunk, else chunked (PATCH with Content-Range per chunk, then PUT). The
   * Location of every answer is followed verbatim (its _state changes at each step).
   */
  async uploadBlob(
    repo: string,
    blob: { digest: string; size: number },
    readChunk: (offset: number, length: number) => Promise<Buffer>,
    options: { chunkSize?: number; onProgress?: (sent: number) => void } = {},
  ): Promise<void> {
    const scope = { repo, actions: 'pull,push' as const };
    const start = await this.#request(`/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' }, scope, accept: [202] });
    await start.arrayBuffer();
    let location = this.#location(start, `/v2/${repo}/blobs/uploads/`);
    const chunkSize = options.chunkSize ?? Infinity;
    if (blob.size <= chunkSize) {
      const body = await readChunk(0, blob.size);
      const res = await this.#request(withQuery(location, 'digest', blob.digest), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
        body,
        scope,
        accept: [201],
      });
      await res.arrayBuffer();
      options.onProgress?.(blob.size);
      return;
    }
    let offset = 0;
    while (offset < blob.size) {
      const length = Math.min(chunkSize, blob.size - offset);
      const body = await readChunk(offset, length);
      const res = await this.#request(location, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
          'content-range': `${offset}-${offset + body.length - 1}`,
        },
        body,
        scope,
        accept: [202],
      });
      await res.arrayBuffer();
      location = this.#location(res, location);
      offset += body.length;
      options.onProgress?.(offset);
    }
    const done = await this.#request(withQuery(location, 'digest', blob.digest), {
      method: 'PUT',
      headers: { 'content-length': '0' },
      scope,
      accept: [201],
    });
    await done.arrayBuffer();
  }

  /** PUT the exact manifest bytes; returns the digest the registry answered (checked against ours). */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.#request(`/v2/${repo}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
      scope: { repo, actions: 'pull,push' },
      accept: [201, 200],
    });
    await res.arrayBuffer();
    const digest = sha256Digest(bytes);
    const answered = res.headers.get('docker-content-digest');
    if (answered && answered !== digest) {
      throw new DigestMismatch(`Registry stored manifest as ${answered}, expected ${digest}`, { expected: digest, actual: answered, size: bytes.length });
    }
    return digest;
  }

  async listTags(repo: string): Promise<string[]> {
    const res = await this.#request(`/v2/${repo}/tags/list`, { scope: { repo, actions: 'pull' } });
    const json = (await res.json()) as { tags?: string[] | null };
    return json.tags ?? [];
  }

  // ---- plumbing ----------------------------------------------------------------------------

  #location(res: Response, requestPath: string): string {
    const loc = res.headers.get('location');
    if (!loc) throw new RegistryError(`Registry gave no upload Location for ${requestPath}`, { status: res.status, url: requestPath });
    return new URL(loc, this.base + (requestPath.startsWith('http') ? '' : requestPath)).toString();
  }

  #learnChallenge(res: Response): void {
    const header = res.headers.get('www-authenticate');
    const challenges = header ? parseChallenges(header) : [];
    this.#challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    this.#challengeKnown = true;
  }

  async #authorization(scope: RequestOptions['scope'], fresh = false): Promise<string | undefined> {
    const ch = this.#challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      if (!this.#credentials) return undefined;
      return `Basic ${Buffer.from(`${this.#credentials.username}:${this.#credentials.password}`).toString('base64')}`;
    }
    if (ch.scheme !== 'bearer' || !ch.params.realm) return undefined;
    const scopes: string[] = [];
    if (scope) {
      scopes.push(`repository:${scope.repo}:${scope.actions}`);
      if (scope.from) scopes.push(`repository:${scope.from}:pull`);
    }
    const key = scopes.join(' ');
    if (!fresh && this.#tokens.has(key)) return `Bearer ${this.#tokens.get(key)}`;
    const url = new URL(ch.params.realm);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.#userAgent };
    if (this.#credentials) {
      headers.authorization = `Basic ${Buffer.from(`${this.#credentials.username}:${this.#credentials.password}`).toString('base64')}`;
    }
    let res: Response;
    try {
      if (url.protocol === 'https:') trustExtraCasInFetch();
      res = await fetch(url, { headers, ...(this.#signal ? { signal: this.#signal } : {}) });
    } catch (err) {
      throw new RegistryUnreachable(`Cannot reach the token service ${JSON.stringify(url.origin)}: ${(err as Error).message}`, { registry: this.registry }, { cause: err });
    }
    if (res.status === 401 || res.status === 403) {
      await res.arrayBuffer();
      throw new RegistryUnauthorized(`Authentication to ${this.registry} failed: the token service answered ${res.status}`, {
        registry: this.registry,
        status: res.status,
      });
    }
    if (!res.ok) throw await this.#error(res, url.toString());
    const json = (await res.json()) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new RegistryError(`Token service of ${this.registry} returned no token`, { status: res.status, url: url.toString() });
    this.#tokens.set(key, token);
    return `Bearer ${token}`;
  }

  async #raw(url: string, init: { method: string; headers: Record<string, string>; body?: Buffer | Uint8Array }): Promise<Response> {
    let target = url;
    let sendAuth = true;
    const origin = new URL(this.base).origin;
    for (let hop = 0; hop < 6; hop++) {
      const headers = { 'user-agent': this.#userAgent, ...init.headers };
      if (!sendAuth) delete (headers as Record<string, string>).authorization;
      let res: Response;
      try {
        if (target.startsWith('https:')) trustExtraCasInFetch();
        res = await fetch(target, {
          method: init.method,
          headers,
          redirect: 'manual',
          ...(init.body !== undefined ? { body: init.body } : {}),
          ...(this.#signal ? { signal: this.#signal } : {}),
        });
      } catch (err) {
        throw new RegistryUnreachable(`Cannot reach registry ${this.registry} (${target}): ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, {
          registry: this.registry,
        }, { cause: err });
      }
      if ([301, 302, 303, 307, 308].includes(res.status) && res.headers.get('location') && (init.method === 'GET' || init.method === 'HEAD')) {
        await res.arrayBuffer().catch(() => undefined);
        target = new URL(res.headers.get('location')!, target).toString();
        if (new URL(target).origin !== origin) sendAuth = false; // never leak the registry's credentials
        continue;
      }
      return res;
    }
    throw new RegistryError(`Too many redirects from ${url}`, { status: 310, url });
  }

  async #request(pathOrUrl: string, options: RequestOptions = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const method = options.method ?? 'GET';
    const accept = options.accept ?? [200];
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (this.#challengeKnown) {
        const auth = await this.#authorization(options.scope, attempt > 0);
        if (auth) headers.authorization = auth;
      }
      const res = await this.#raw(url, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
      if (res.status === 401 && attempt === 0) {
        await res.arrayBuffer().catch(() => undefined);
        const hadChallenge = this.#challengeKnown;
        this.#learnChallenge(res);
        if (!this.#challenge || (hadChallenge && !this.#credentials && this.#challenge.scheme === 'basic')) break;
        continue;
      }
      if (accept.includes(res.status)) return res;
      if (res.status === 401 || res.status === 403) {
        await res.arrayBuffer().catch(() => undefined);
        throw new RegistryUnauthorized(
          `${method} ${pathOrUrl}: ${this.#credentials ? 'access denied' : 'authentication required'} by ${this.registry}${this.#credentials ? '' : ' (berth login?)'}`,
          { registry: this.registry, status: res.status },
        );
      }
      throw await this.#error(res, url);
    }
    throw new RegistryUnauthorized(`${method} ${pathOrUrl}: authentication required by ${this.registry} (berth login?)`, {
      registry: this.registry,
      status: 401,
    });
  }

  async #error(res: Response, url: string): Promise<Error> {
    let code: string | undefined;
    let message = '';
    try {
      const text = await res.text();
      const json = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
      code = json.errors?.[0]?.code;
      message = json.errors?.map((e) => `${e.code ?? ''}: ${e.message ?? ''}`).join('; ') ?? text.slice(0, 200);
    } catch {
      /* not JSON */
    }
    const where = url.replace(this.base, this.registry);
    if (res.status === 404) {
      return new RegistryNotFound(`Not found: ${where}${message ? ` (${message})` : ''}`, { url: where, ...(code ? { code } : {}) });
    }
    return new RegistryError(`Registry ${this.registry} answered ${res.status} for ${where}${message ? `: ${message}` : ''}`, {
      status: res.status,
      url: where,
      ...(code ? { code } : {}),
    });
  }
}

function withQuery(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.append(key, value);
  return u.toString();
}
