import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { extraCaCertificates, isErrno, requireBuiltin } from '../../core/index.js';
import { PullFetchFailed, PullLowSpeed } from './errors.js';
import { Http1Client } from './http1.js';

/**
 * Fetches files of a remote repository by relative path (`summary`, `objects/ab/cd….filez`,
 * `deltas/…/0`) over keep-alive HTTP(S) connections, a bounded number at once, retrying
 * transient failures with exponential backoff. A transfer that delivers nothing for
 * `lowSpeedTimeoutMs` is cut and retried. Large downloads go to a `.part` file and continue with
 * a Range request where they stopped, also across runs. `file://` URLs read the directory.
 */
export interface FetcherOptions {
  /** Concurrent connections (ostree: 8 object requests). */
  readonly maxConnections?: number;
  /** GETs in flight per connection, pipelined (default 4; 1 waits for each response). */
  readonly pipelineDepth?: number;
  /** Attempts per request, first included (default 5). */
  readonly attempts?: number;
  /** First retry delay; doubles each time (default 200 ms). */
  readonly backoffMs?: number;
  /** No byte for this long aborts the attempt (default 30 s). */
  readonly lowSpeedTimeoutMs?: number;
  /** Extra CA certificates (PEM) for https (`tls-ca-path`). */
  readonly ca?: string | Buffer;
  /** Skip certificate verification (`tls-permissive=true`). */
  readonly insecure?: boolean;
  /** Client certificate and key (PEM) (`tls-client-cert-path`, `tls-client-key-path`). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface FetchStats {
  requests: number;
  bytes: number;
  retries: number;
}

class Semaphore {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}

class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, url: string) {
    super(`Server returned HTTP ${status} for ${url}`);
    this.status = status;
  }
}

const USER_AGENT = 'berth-ostree/1';
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export class Fetcher {
  readonly baseUrl: URL;
  readonly stats: FetchStats = { requests: 0, bytes: 0, retries: 0 };
  readonly #options: FetcherOptions;
  readonly #agent: HttpAgent | HttpsAgent | undefined;
  readonly #sem: Semaphore;
  #httpsRequest: typeof httpRequest | undefined;
  /** Whole-file GETs (get()); download() keeps node:http for Range and streaming to disk. */
  readonly #http1: Http1Client | undefined;

  constructor(baseUrl: string, options: FetcherOptions = {}) {
    this.baseUrl = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    this.#options = options;
    const maxSockets = options.maxConnections ?? 8;
    this.#sem = new Semaphore(maxSockets);
    let tls: ConnectionOptions | undefined;
    if (this.baseUrl.protocol === 'http:') this.#agent = new HttpAgent({ keepAlive: true, maxSockets });
    else if (this.baseUrl.protocol === 'https:') {
      // node:https (and TLS) load only for https remotes; `tls-ca-path` replaces the roots, as with ostree's curl.
      const https = requireBuiltin<typeof import('node:https')>('node:https');
      this.#httpsRequest = https.request;
      const extra = options.ca === undefined ? extraCaCertificates() : undefined;
      const ca = options.ca ?? (extra !== undefined ? [...extra] : undefined);
      tls = {
        ...(ca !== undefined ? { ca } : {}),
        ...(options.cert !== undefined ? { cert: options.cert } : {}),
        ...(options.key !== undefined ? { key: options.key } : {}),
        rejectUnauthorized: options.insecure !== true,
      };
      this.#agent = new https.Agent({ keepAlive: true, maxSockets, ...tls });
    } else if (this.baseUrl.protocol !== 'file:') throw new RangeError(`Unsupported URL scheme ${JSON.stringify(this.baseUrl.protocol)}`);
    if (this.#agent !== undefined) {
      const lowSpeedMs = options.lowSpeedTimeoutMs ?? 30_000;
      this.#http1 = new Http1Client(this.baseUrl, {
        connections: maxSockets,
        depth: Math.max(1, options.pipelineDepth ?? 4),
        userAgent: USER_AGENT,
        lowSpeedMs,
        lowSpeedError: (url) => new PullLowSpeed(`No data from ${url} for ${Math.round(lowSpeedMs / 1000)} s`, { url, seconds: lowSpeedMs / 1000 }),
        ...(tls !== undefined ? { tls } : {}),
      });
      options.signal?.addEventListener('abort', () => this.#http1?.close(), { once: true });
    }
  }

  close(): void {
    this.#agent?.destroy();
    this.#http1?.close();
  }

  url(path: string): URL {
    return new URL(path, this.baseUrl);
  }

  /** The whole file, or undefined on 404 when `optional`. */
  async get(path: string, options: { readonly optional?: boolean; readonly maxBytes?: number } = {}): Promise<Uint8Array | undefined> {
    const url = this.url(path);
    if (url.protocol === 'file:') {
      try {
        const b = new Uint8Array(await readFile(fileURLToPath(url)));
        this.stats.requests++;
        this.stats.bytes += b.length;
        return b;
      } catch (err) {
        if (isErrno(err, 'ENOENT') && options.optional === true) return undefined;
        if (isErrno(err, 'ENOENT')) throw new PullFetchFailed(`Server returned HTTP 404 for ${url.href}`, { url: url.href, status: 404, attempts: 1 }, { cause: err });
        throw err;
      }
    }
    const http1 = this.#http1!;
    const result = await this.#withRetries(url, async () => {
      this.stats.requests++;
      const res = await http1.get(url.pathname + url.search, options.maxBytes);
      this.stats.bytes += res.body.length;
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw new HttpStatusError(res.status, url.href);
      return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
    }, false);
    if (result === undefined && options.optional !== true) {
      throw new PullFetchFailed(`Server returned HTTP 404 for ${url.href}`, { url: url.href, status: 404, attempts: 1 });
    }
    return result;
  }

  /**
   * Downloads to `dest` through `dest.part`, resuming from what `.part` already holds with a
   * Range request. Returns false on 404 when `optional`.
   */
  async download(path: string, dest: string, options: { readonly optional?: boolean } = {}): Promise<boolean> {
    const url = this.url(path);
    if (url.protocol === 'file:') {
      const b = await this.get(path, options);
      if (b === undefined) return false;
      const fh = await open(dest, 'w');
      await fh.writeFile(b);
      await fh.close();
      return true;
    }
    const part = `${dest}.part`;
    const found = await this.#withRetries(url, async () => {
      let have = 0;
      try {
        have = (await stat(part)).size;
      } catch {
        have = 0;
      }
      const fh = await open(part, have > 0 ? 'a' : 'w');
      let status: number;
      try {
        let writes = Promise.resolve();
        status = await this.#request(url, have > 0 ? have : undefined, (chunk, st) => {
          if (st === 200 && have > 0) {
            // the server ignored Range: start over
            have = 0;
            writes = writes.then(() => fh.truncate(0));
          }
          writes = writes.then(async () => {
            await fh.write(chunk);
          });
        });
        await writes;
      } finally {
        await fh.close();
      }
      if (status === 404) {
        await rm(part, { force: true });
        return false;
      }
      if (status === 416) {
        await rm(part, { force: true }); // stale partial beyond the end: retry from zero
        throw new HttpStatusError(503, url.href);
      }
      await rename(part, dest);
      return true;
    });
    if (!found && options.optional !== true) throw new PullFetchFailed(`Server returned HTTP 404 for ${url.href}`, { url: url.href, status: 404, attempts: 1 });
    return found;
  }

  /** `gated`: hold one of the connection slots during the attempt (the pipelined client queues by itself). */
  async #withRetries<T>(url: URL, attempt: () => Promise<T>, gated = true): Promise<T> {
    const attempts = Math.max(1, this.#options.attempts ?? 5);
    const sleep = this.#options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let delay = this.#options.backoffMs ?? 200;
    let lastErr: unknown;
    for (let i = 0; i < attempts; i++) {
      this.#options.signal?.throwIfAborted();
      if (gated) await this.#sem.acquire();
      try {
        return await attempt();
      } catch (err) {
        lastErr = err;
        const status = err instanceof HttpStatusError ? err.status : undefined;
        if (status !== undefined && !RETRYABLE_STATUS.has(status)) break;
        if (this.#options.signal?.aborted === true) break;
      } finally {
        if (gated) this.#sem.release();
      }
      if (i + 1 < attempts) {
        this.stats.retries++;
        await sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
    if (PullLowSpeed.is(lastErr)) throw lastErr;
    const status = lastErr instanceof HttpStatusError ? lastErr.status : undefined;
    const why = lastErr instanceof Error ? lastErr.message : String(lastErr);
    throw new PullFetchFailed(`Fetching ${url.href} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${why}`, { url: url.href, status, attempts }, { cause: lastErr });
  }

  /** One request; resolves with the status once the body is consumed (404 body is dropped). */
  #request(url: URL, rangeFrom: number | undefined, onData: (chunk: Buffer, status: number) => void): Promise<number> {
    const lowSpeedMs = this.#options.lowSpeedTimeoutMs ?? 30_000;
    return new Promise<number>((resolve, reject) => {
      const req = (url.protocol === 'https:' && this.#httpsRequest !== undefined ? this.#httpsRequest : httpRequest)(url, {
        agent: this.#agent,
        headers: { 'User-Agent': USER_AGENT, ...(rangeFrom !== undefined ? { Range: `bytes=${rangeFrom}-` } : {}) },
        ...(this.#options.signal !== undefined ? { signal: this.#options.signal } : {}),
      });
      this.stats.requests++;
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          req.destroy(new PullLowSpeed(`No data from ${url.href} for ${Math.round(lowSpeedMs / 1000)} s`, { url: url.href, seconds: lowSpeedMs / 1000 }));
        }, lowSpeedMs);
      };
      const done = (fn: () => void): void => {
        if (timer !== undefined) clearTimeout(timer);
        fn();
      };
      arm();
      req.on('error', (err) => done(() => reject(err)));
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status === 404 || status === 416) {
          res.resume();
          res.on('end', () => done(() => resolve(status)));
          return;
        }
        if (status !== 200 && status !== 206) {
          res.resume();
          done(() => reject(new HttpStatusError(status, url.href)));
          return;
        }
        res.on('data', (chunk: Buffer) => {
          arm();
          this.stats.bytes += chunk.length;
          try {
            onData(chunk, status);
          } catch (err) {
            req.destroy(err as Error);
          }
        });
        res.on('end', () => done(() => resolve(status)));
        res.on('error', (err) => done(() => reject(err)));
      });
      req.end();
    });
  }
}
