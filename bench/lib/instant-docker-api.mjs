// A Docker Engine API stand-in that answers `docker run --rm` instantly (create, attach, wait, start) on a Unix
// socket: what the docker CLI itself costs per run, with a daemon that does no work at all.
//   node bench/lib/instant-docker-api.mjs SOCKET   (prints "ready"; exits on SIGTERM)
import http from 'node:http';
import { rmSync } from 'node:fs';

const socketPath = process.argv[2];
rmSync(socketPath, { force: true });
const ID = 'f'.repeat(64);
let waiters = [];
let attached = [];
const exited = () => {
  for (const s of attached) s.end();
  for (const w of waiters) w.end('{"StatusCode":0}\n');
  attached = [];
  waiters = [];
};
const server = http.createServer((req, res) => {
  const path = (req.url ?? '').replace(/^\/v[0-9.]+/, '');
  res.setHeader('Api-Version', '1.50');
  if (path.startsWith('/_ping')) return void res.end('OK');
  if (path.startsWith('/containers/create')) {
    req.resume();
    return void req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ Id: ID, Warnings: [] })));
  }
  if (path.includes('/wait')) {
    res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    return void waiters.push(res);
  }
  if (path.includes('/start')) {
    res.writeHead(204).end();
    return void setImmediate(exited);
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `not in this stand-in: ${req.method} ${path}` }));
});
server.on('upgrade', (_req, socket) => {
  socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  attached.push(socket);
});
server.listen(socketPath, () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
