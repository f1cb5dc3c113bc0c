import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { requireBuiltin } from '../../core/index.js';

/**
 * GETs of many small files over a few keep-alive HTTP/1.1 connections, pipelined: each connection carries
 * up to `depth` requests at once, written together in one write and answered in order (RFC 9112 §9.3.2;
 * static web servers — nginx, Apache, Python's http.server, Node's — all answer pipelined GETs). An update
 * pull fetches ~1,400 objects of a few KB; through `node:http` each cost ~0.65 ms of CPU (request and
 * response objects, streams, one write and one read per request), here a header string and a slice.
 *
 * A connection that closes with requests unanswered (a server's keep-alive limit, `Connection: close`)
 * hands them to another connection without counting an attempt, a bounded number of times. Errors
 * (refused connection, reset, malformed response, low speed) reject the requests in flight on that
 * connection; the Fetcher retries them.
 */
export interface Http1Options {
  readonly connections: number;
  /** Requests in flight per connection (1: plain keep-alive). */
  readonly depth: number;
  readonly userAgent: string;
  /** No byte for this long while requests are in flight: the connection is cut with `lowSpeedError()`. */
  readonly lowSpeedMs: number;
  readonly lowSpeedError: (url: string) => Error;
  /** TLS options for https (ca, cert, key, rejectUnauthorized). */
  readonly tls?: ConnectionOptions;
}

export interface Http1Response {
  readonly status: number;
  readonly body: Buffer;
}

interface Pending {
  readonly path: string;
  readonly maxBytes: number | undefined;
  readonly resolve: (r: Http1Response) => void;
  readonly reject: (err: Error) => void;
  /** Moves after a connection answered nothing. */
  requeued: number;
  /** All moves to another connection. */
  moved: number;
}

/** Moves a request to another connection at most this often when its connection answered nothing, then fails it. */
const MAX_REQUEUE = 3;
/** …and at most this often in all (every move follows a response on that connection, so this is generous). */
const MAX_MOVES = 64;
const CRLF2 = Buffer.from('\r\n\r\n');

export class Http1Client {
  readonly #origin: URL;
  readonly #options: Http1Options;
  readonly #waiting: Pending[] = [];
  readonly #conns = new Set<Connection>();
  #closed = false;
  /** Drops to 1 when the server ends connections with pipelined requests unanswered (no keep-alive). */
  #depth: number;

  constructor(origin: URL, options: Http1Options) {
    this.#origin = origin;
    this.#options = options;
    this.#depth = Math.max(1, options.depth);
  }

  /** One GET of `path` (absolute, already escaped). Resolves with any status; rejects on transport errors. */
  get(path: string, maxBytes?: number): Promise<Http1Response> {
    if (this.#closed) return Promise.reject(new Error('HTTP client closed'));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ path, maxBytes, resolve, reject, requeued: 0, moved: 0 });
      this.#pump();
    });
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#conns) c.destroy(new Error('HTTP client closed'));
    for (const p of this.#waiting.splice(0)) p.reject(new Error('HTTP client closed'));
  }

  /** Hands waiting requests to idle connections first, opening new ones up to the limit, then fills them. */
  #pump(): void {
    while (this.#waiting.length > 0 && !this.#closed) {
      let best: Connection | undefined;
      let open = 0;
      for (const c of this.#conns) {
        if (!c.usable) continue;
        open++;
        if (c.inFlight < this.#depth && (best === undefined || c.inFlight < best.inFlight)) best = c;
      }
      if ((best === undefined || best.inFlight > 0) && open < this.#options.connections) best = this.#open();
      if (best === undefined) return; // every connection is full: the next response pumps again
      const room = this.#depth - best.inFlight;
      // spread a short queue over the connections instead of filling the first one
      const share = Math.max(1, Math.min(room, Math.ceil(this.#waiting.length / this.#options.connections)));
      best.send(this.#waiting.splice(0, share));
    }
  }

  #open(): Connection {
    const conn = new Connection(this.#origin, this.#options, {
      done: () => this.#pump(),
      gone: (unanswered, err, answered) => {
        this.#conns.delete(conn);
        // one response per connection: the server does not keep connections alive, pipelining only loses requests
        if (err === undefined && answered === 1 && unanswered.length > 0) this.#depth = 1;
        // a reused connection the server dropped while our requests were on the way (its idle timeout)
        const dropped = err !== undefined && answered > 0 && /^(ECONNRESET|EPIPE)$/.test((err as NodeJS.ErrnoException).code ?? '');
        const again: Pending[] = [];
        for (const p of unanswered) {
          // a connection that answered something made progress: its leftovers move on without counting
          if ((err === undefined || dropped) && (answered > 0 || p.requeued < MAX_REQUEUE) && p.moved < MAX_MOVES && !this.#closed) {
            if (answered === 0) p.requeued++;
            p.moved++;
            again.push(p);
          } else p.reject(err ?? new Error(`Connection to ${this.#origin.host} closed before the response`));
        }
        this.#waiting.unshift(...again);
        if (!this.#closed) this.#pump();
      },
    });
    this.#conns.add(conn);
    return conn;
  }
}

type BodyState =
  | { readonly kind: 'length'; remaining: number }
  | { readonly kind: 'chunked'; step: 'size' | 'data' | 'data-end' | 'trailer'; remaining: number }
  | { readonly kind: 'close' };

/** One connection: requests written in order, responses parsed in order from the byte stream. */
class Connection {
  readonly #socket: Socket | TLSSocket;
  readonly #options: Http1Options;
  readonly #origin: URL;
  readonly #events: ConnectionEvents;
  readonly #inFlight: Pending[] = [];
  /** Bytes of a response head (or chunk-size line) not complete yet. */
  #pendingHead: Buffer | undefined;
  #body: BodyState | undefined;
  #status = 0;
  #parts: Buffer[] = [];
  #size = 0;
  #ended = false;
  #answered = 0;
  /** No more requests: the server said `Connection: close`, or the connection failed. */
  usable = true;

  constructor(origin: URL, options: Http1Options, events: ConnectionEvents) {
    this.#origin = origin;
    this.#options = options;
    this.#events = events;
    const port = Number(origin.port || (origin.protocol === 'https:' ? 443 : 80));
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    if (origin.protocol === 'https:') {
      const tls = requireBuiltin<typeof import('node:tls')>('node:tls');
      const servername = /^[\d.]+$|:/.test(host) ? undefined : host;
      this.#socket = tls.connect({ host, port, ...(servername !== undefined ? { servername } : {}), ALPNProtocols: ['http/1.1'], ...options.tls });
    } else this.#socket = netConnect({ host, port });
    this.#socket.setNoDelay(true);
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('timeout', () => this.destroy(options.lowSpeedError(new URL(this.#inFlight[0]?.path ?? '/', origin).href)));
    this.#socket.on('error', (err) => this.destroy(err));
    this.#socket.on('end', () => {
      if (this.#body?.kind === 'close' && this.#inFlight.length > 0) this.#complete(); // body delimited by the end
      this.destroy(undefined);
    });
    this.#socket.on('close', () => this.destroy(undefined));
  }

  get inFlight(): number {
    return this.#inFlight.length;
  }

  send(batch: Pending[]): void {
    let text = '';
    for (const p of batch) {
      text += `GET ${p.path} HTTP/1.1\r\nHost: ${this.#origin.host}\r\nUser-Agent: ${this.#options.userAgent}\r\nAccept-Encoding: identity\r\n\r\n`;
      this.#inFlight.push(p);
    }
    if (this.#inFlight.length === batch.length) this.#socket.setTimeout(this.#options.lowSpeedMs);
    this.#socket.write(text, 'latin1');
  }

  /** Ends the connection; requests not answered go back (err undefined) or fail (err). */
  destroy(err: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.usable = false;
    this.#socket.destroy();
    this.#events.gone(this.#inFlight.splice(0), err, this.#answered);
  }

  #onData(chunk: Buffer): void {
    try {
      let data = chunk;
      while (data.length > 0 && !this.#ended) data = this.#consume(data);
    } catch (err) {
      if (err instanceof TooLarge) this.#inFlight.shift()?.reject(err); // only that request fails; the others go elsewhere
      this.destroy(err instanceof TooLarge ? undefined : (err as Error));
    }
  }

  /** Takes what it can from `data` for the current response; returns the rest. */
  #consume(data: Buffer): Buffer {
    const head = this.#inFlight[0];
    if (head === undefined) throw new Error(`Unexpected data from ${this.#origin.host}`);
    const body = this.#body;
    if (body === undefined) return this.#consumeHead(data, head);
    if (body.kind === 'close') {
      this.#take(data, head);
      return EMPTY;
    }
    if (body.kind === 'length') {
      const n = Math.min(body.remaining, data.length);
      this.#take(data.subarray(0, n), head);
      body.remaining -= n;
      if (body.remaining === 0) this.#complete();
      return data.subarray(n);
    }
    // chunked
    if (body.step === 'data') {
      const n = Math.min(body.remaining, data.length);
      this.#take(data.subarray(0, n), head);
      body.remaining -= n;
      if (body.remaining === 0) body.step = 'data-end';
      return data.subarray(n);
    }
    const line = this.#line(data);
    if (line === undefined) return EMPTY;
    if (body.step === 'data-end') {
      if (line.text !== '') throw new Error(`Bad chunk from ${this.#origin.host}`);
      body.step = 'size';
    } else if (body.step === 'size') {
      const n = Number.parseInt(line.text.split(';')[0]!.trim(), 16);
      if (!Number.isFinite(n) || n < 0) throw new Error(`Bad chunk size from ${this.#origin.host}`);
      body.step = n === 0 ? 'trailer' : 'data';
      body.remaining = n;
    } else if (line.text === '') this.#complete(); // the empty line after the trailers
    return line.rest;
  }

  /** A CRLF-terminated line (chunk size, trailer), buffered across reads. */
  #line(data: Buffer): { text: string; rest: Buffer } | undefined {
    const buf = this.#pendingHead === undefined ? data : Buffer.concat([this.#pendingHead, data]);
    const end = buf.indexOf('\r\n');
    if (end < 0) {
      if (buf.length > 8192) throw new Error(`Line from ${this.#origin.host} too long`);
      this.#pendingHead = buf;
      return undefined;
    }
    this.#pendingHead = undefined;
    return { text: buf.toString('latin1', 0, end), rest: buf.subarray(end + 2) };
  }

  #consumeHead(data: Buffer, head: Pending): Buffer {
    const buf = this.#pendingHead === undefined ? data : Buffer.concat([this.#pendingHead, data]);
    const headEnd = buf.indexOf(CRLF2);
    if (headEnd < 0) {
      if (buf.length > 64 * 1024) throw new Error(`Response header from ${this.#origin.host} too large`);
      this.#pendingHead = buf;
      return EMPTY;
    }
    this.#pendingHead = undefined;
    const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (m === null) throw new Error(`Malformed response from ${this.#origin.host}: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const status = Number(m[2]);
    let length: number | undefined;
    let chunked = false;
    let close = m[1] === '0';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value)) throw new Error(`Bad Content-Length from ${this.#origin.host}`);
        length = Number(value);
      } else if (name === 'transfer-encoding') chunked = value.split(',').some((v) => v.trim() === 'chunked');
      else if (name === 'connection') {
        if (value.includes('close')) close = true;
        else if (value.includes('keep-alive')) close = false;
      }
    }
    const rest = buf.subarray(headEnd + 4);
    if (status >= 100 && status < 200) return rest; // interim response: the final one follows
    if (close) this.usable = false;
    this.#status = status;
    this.#parts = [];
    this.#size = 0;
    if (status === 204 || status === 304) length = 0;
    if (chunked) this.#body = { kind: 'chunked', step: 'size', remaining: 0 };
    else if (length !== undefined) {
      if (head.maxBytes !== undefined && length > head.maxBytes && status < 300) throw new TooLarge(head.maxBytes);
      this.#body = { kind: 'length', remaining: length };
      if (length === 0) this.#complete();
    } else {
      this.usable = false;
      this.#body = { kind: 'close' };
    }
    return rest;
  }

  #take(part: Buffer, head: Pending): void {
    if (part.length === 0) return;
    this.#size += part.length;
    if (head.maxBytes !== undefined && this.#size > head.maxBytes && this.#status < 300) throw new TooLarge(head.maxBytes);
    this.#parts.push(part);
  }

  #complete(): void {
    // Node's http server answers requests past its maxRequestsPerSocket with 503 and Connection: close. On a
    // connection that served others that is a keep-alive limit, not an error: the request moves on.
    if (this.#status === 503 && !this.usable && this.#answered > 0) {
      this.#parts = [];
      this.#body = undefined;
      this.destroy(undefined);
      return;
    }
    const p = this.#inFlight.shift()!;
    this.#answered++;
    const body = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#body = undefined;
    if (this.#inFlight.length === 0) this.#socket.setTimeout(0);
    p.resolve({ status: this.#status, body });
    if (!this.usable && this.#inFlight.length === 0) this.destroy(undefined);
    else this.#events.done();
  }
}

interface ConnectionEvents {
  done(): void;
  gone(unanswered: Pending[], err: Error | undefined, answered: number): void;
}

const EMPTY = Buffer.alloc(0);

class TooLarge extends Error {
  constructor(limit: number) {
    super(`Response is larger than ${limit} bytes`);
  }
}
