import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';

/**
 * `berth repo serve DIR`: an archive repository over plain HTTP, as any static web server
 * would serve it, plus what makes pulls cheap: Range requests (resumed downloads), strong
 * ETags with If-None-Match, and cache headers — content-addressed paths (`objects/`, `deltas/`)
 * are immutable, everything else (`summary`, `refs/`, `config`, `delta-indexes/`) must be
 * revalidated. Only GET and HEAD; nothing outside DIR; no directory listings.
 */
export interface ServeOptions {
  readonly root: string;
  /** Default 127.0.0.1: loopback unless asked otherwise. */
  readonly host?: string;
  /** Default 0: a free port chosen by the kernel. */
  readonly port?: number;
  /** One line per request (method, path, status, bytes). */
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const IMMUTABLE_REGEXP = /^\/(objects|deltas)\//;

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined; // multi-range or junk: ignore, send the whole file
  const [, a, b] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export async function handleRepoRequest(root: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return 405;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400).end();
    return 400;
  }
  const base = resolve(root);
  const full = resolve(join(base, pathname));
  if (pathname.includes('\0') || (full !== base && !full.startsWith(base + sep)) || pathname.split('/').some((p) => p.startsWith('.') && p !== '')) {
    res.writeHead(404).end();
    return 404;
  }
  let st;
  try {
    st = await stat(full);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : 'Not found\n');
    return 404;
  }
  if (!st.isFile()) {
    res.writeHead(404).end();
    return 404;
  }
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`;
  const headers: Record<string, string> = {
    ETag: etag,
    'Last-Modified': st.mtime.toUTCString(),
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Cache-Control': IMMUTABLE_REGEXP.test(pathname) ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').map((s) => s.trim()).includes(etag)) {
    res.writeHead(304, headers).end();
    return 304;
  }
  let start = 0;
  let end = st.size - 1;
  let status = 200;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (rangeHeader !== undefined && (ifRange === undefined || ifRange === etag)) {
    const r = parseRange(rangeHeader, st.size);
    if (r === 'invalid') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${st.size}` }).end();
      return 416;
    }
    if (r !== undefined) {
      start = r.start;
      end = r.end;
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    }
  }
  headers['Content-Length'] = String(st.size === 0 ? 0 : end - start + 1);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || st.size === 0) {
    res.end();
    return status;
  }
  await new Promise<void>((resolveDone) => {
    const stream = createReadStream(full, { start, end });
    stream.on('error', () => {
      res.destroy();
      resolveDone();
    });
    res.on('close', () => {
      stream.destroy();
      resolveDone();
    });
    stream.pipe(res);
  });
  return status;
}

export async function serveRepo(options: ServeOptions): Promise<RunningServer> {
  const root = resolve(options.root);
  const server = createServer((req, res) => {
    handleRepoRequest(root, req, res)
      .then((status) => options.log?.(`${req.method} ${req.url} ${status}`))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    port: addr.port,
    url: `http://${host}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
