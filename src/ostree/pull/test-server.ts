// Test helper only: a plain static file server (no Range, no ETag), the kind of server any
// ostree remote may sit behind, with a request log to count what a pull fetched.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface StaticServer {
  readonly url: string;
  readonly log: Array<{ path: string; status: number; bytes: number }>;
  close(): Promise<void>;
}

export async function plainStaticServer(root: string): Promise<StaticServer> {
  const log: StaticServer['log'] = [];
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.(\/|$))+/, '');
    readFile(join(root, path)).then(
      (body) => {
        log.push({ path, status: 200, bytes: body.length });
        res.writeHead(200, { 'Content-Length': body.length }).end(body);
      },
      () => {
        log.push({ path, status: 404, bytes: 0 });
        res.writeHead(404).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
