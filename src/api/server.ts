/**
 * The Docker Engine API server on a Unix socket. One HTTP/1.1 server; plain requests come through
 * 'request', attach/exec start through 'upgrade' (docker CLI asks for `Upgrade: tcp`). Both reach the
 * same versioned router. Long-lived responses (logs -f, events, wait) are normal here, so Node's
 * request timeouts are off.
 */
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { isErrno } from '../core/index.js';
import { makeContext, type RouteHandler } from './context.js';
import { ApiBadRequest, ApiNotFound, ApiSocketInUse, sendError } from './errors.js';
import { Router, splitVersion } from './router.js';

const SERVER_OPTIONS = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 60_000 } as const;

export type ApiLog = (entry: Readonly<Record<string, unknown>>) => void;

export interface ApiServerOptions {
  readonly router: Router<RouteHandler>;
  /** One entry per request (method, path, status, ms) and per failure. */
  readonly log?: ApiLog;
  /** `Server:` header value, e.g. `berth/0.1.0 (linux)`. */
  readonly serverHeader?: string;
}

export interface ListenOptions {
  /** @default 0o660 (root and the socket's group) */
  readonly mode?: number;
  /** Numeric gid to own the socket, so a group can be granted access. */
  readonly gid?: number;
}

export class ApiServer {
  readonly #server: Server;
  readonly #router: Router<RouteHandler>;
  readonly #log: ApiLog;
  readonly #serverHeader: string;
  readonly #sockets = new Set<Socket>();
  readonly #tcp: Server[] = [];
  #path: string | undefined;

  constructor(options: ApiServerOptions) {
    this.#router = options.router;
    this.#log = options.log ?? (() => undefined);
    this.#serverHeader = options.serverHeader ?? 'berth (linux)';
    this.#server = createServer(SERVER_OPTIONS);
    this.#wire(this.#server);
  }

  #wire(server: Server): void {
    server.timeout = 0;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#dispatch(req, res, undefined));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      const res = new ServerResponse(req);
      res.assignSocket(socket);
      res.shouldKeepAlive = false;
      res.once('finish', () => socket.end());
      void this.#dispatch(req, res, socket);
    });
  }

  /**
   * Listens on TCP, only with TLS and only for clients presenting a certificate signed by `ca`
   * (dockerd's --tlsverify): the API is root on the host. Returns the bound address (port 0 = kernel's choice).
   */
  async listenTls(options: { host: string; port: number; cert: Buffer; key: Buffer; ca: Buffer }): Promise<AddressInfo> {
    const server = createTlsServer({
      ...SERVER_OPTIONS, cert: options.cert, key: options.key, ca: options.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
    });
    this.#wire(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    this.#tcp.push(server);
    return server.address() as AddressInfo;
  }

  /** Listens on a Unix socket path, replacing a stale socket file (refusing a live one). */
  async listen(path: string, options: ListenOptions = {}): Promise<void> {
    await removeStaleSocket(path);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(path, () => {
        this.#server.removeListener('error', reject);
        resolve();
      });
    });
    this.#path = path;
    await chmod(path, options.mode ?? 0o660);
    if (options.gid !== undefined) await chown(path, process.getuid?.() ?? 0, options.gid);
  }

  /** Stops accepting, ends idle keep-alive connections, and cuts long-lived streams. */
  async close(): Promise<void> {
    const closed = Promise.all([this.#server, ...this.#tcp].map((srv) => new Promise<void>((resolve) => {
      if (!srv.listening) return resolve();
      srv.close(() => resolve());
      srv.closeIdleConnections();
    })));
    for (const s of this.#sockets) s.destroy();
    await closed;
    if (this.#path !== undefined) await unlink(this.#path).catch(() => undefined);
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, socket: Socket | undefined): Promise<void> {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const controller = new AbortController();
    if (socket !== undefined) socket.once('close', () => controller.abort());
    else res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    res.setHeader('Server', this.#serverHeader);
    res.setHeader('Api-Version', '1.50');
    res.setHeader('Ostype', 'linux');
    let path = req.url ?? '/';
    let hijacked = false;
    try {
      const url = new URL(path, 'http://localhost');
      path = url.pathname;
      const { version, path: route } = splitVersion(url.pathname);
      const match = this.#router.match(method, route);
      if (match === undefined || match === 'method') {
        throw new ApiNotFound('page not found', { method, path: route });
      }
      const ctx = makeContext({
        req, res, params: match.params, query: url.searchParams, version, signal: controller.signal,
        ...(socket !== undefined ? { socket } : {}),
      });
      await match.route.handler(ctx);
      hijacked = ctx.hijacked;
      this.#logRequest(method, path, hijacked ? 101 : res.statusCode, started);
    } catch (err) {
      if (hijacked || controller.signal.aborted) {
        this.#log({ level: 'warn', msg: 'Request failed after the response started', method, path, error: String(err) });
        res.destroy();
        return;
      }
      const e = sendError(res, err instanceof URIError ? new ApiBadRequest(err.message, {}) : err);
      this.#logRequest(method, path, e.status, started, e.status >= 500 ? err : undefined);
    }
  }

  #logRequest(method: string, path: string, status: number, started: bigint, err?: unknown): void {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const entry: Record<string, unknown> = { level: err ? 'error' : 'debug', msg: 'api request', method, path, status, ms: Math.round(ms * 10) / 10 };
    if (err !== undefined) entry.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.#log(entry);
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) throw new ApiBadRequest(`${JSON.stringify(path)} exists and is not a socket`, { path });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  const live = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new ApiSocketInUse(`Another daemon is listening on ${JSON.stringify(path)}`, { path });
  await unlink(path);
}
