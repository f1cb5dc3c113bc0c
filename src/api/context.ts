/** What a route handler gets: the request, its params and query, and the means to answer or hijack. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { hijackResponse, hijackSocket, readSocketBytes, type Hijacked } from './hijack.js';
import { JSON_BODY_LIMIT, parseJsonBody, readJson } from './http.js';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The API version of the request (the path prefix, or the current one when unversioned). */
  readonly version: string;
  /** Aborted when the client goes away before the handler is done. */
  readonly signal: AbortSignal;
  /** Whether the client asked for an upgrade (docker CLI attach/exec). */
  readonly upgrade: boolean;
  json(): Promise<unknown>;
  /** Reads and drops the request body (an upgraded request's body must not be taken for stdin). */
  skipBody(): Promise<void>;
  /** Takes the connection over for a raw stream (101 when upgraded, legacy 200 otherwise). */
  hijack(contentType: string): Hijacked;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void>;

export interface ContextInit {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly version: string;
  readonly signal: AbortSignal;
  /** Set for upgraded requests: the raw socket (its body is read from here). */
  readonly socket?: Socket;
}

export function makeContext(init: ContextInit): RouteContext & { readonly hijacked: boolean } {
  let hijacked = false;
  let bodyRead = false;
  return {
    req: init.req,
    res: init.res,
    params: init.params,
    query: init.query,
    version: init.version,
    signal: init.signal,
    upgrade: init.socket !== undefined,
    get hijacked() {
      return hijacked;
    },
    async json() {
      if (init.socket === undefined) return readJson(init.req);
      const length = bodyRead ? 0 : Number(init.req.headers['content-length'] ?? '0');
      bodyRead = true;
      return parseJsonBody(await readSocketBytes(init.socket, Number.isFinite(length) ? length : 0, JSON_BODY_LIMIT));
    },
    async skipBody() {
      if (init.socket === undefined || bodyRead) return;
      bodyRead = true;
      const length = Number(init.req.headers['content-length'] ?? '0');
      await readSocketBytes(init.socket, Number.isFinite(length) ? length : 0, JSON_BODY_LIMIT);
    },
    hijack(contentType) {
      hijacked = true;
      if (init.socket !== undefined) {
        init.res.detachSocket(init.socket);
        return hijackSocket(init.socket, contentType);
      }
      return hijackResponse(init.req, init.res, contentType);
    },
  };
}
