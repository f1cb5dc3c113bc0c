/**
 * The userland proxy behind `-p`: listens on the host address and forwards to the container's bridge
 * address (docker-proxy's role). It runs inside the container's monitor, so it lives exactly as long as
 * the container; nothing touches iptables.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { PortInUse } from './errors.js';

export interface ProxySpec {
  readonly hostIp: string;
  /** 0 = let the kernel choose; the chosen port is in the returned spec. */
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
  /** Where to forward (the container's bridge IP). */
  readonly targetIp: string;
}

export interface PortProxy {
  readonly spec: ProxySpec;
  close(): void;
}

const UDP_IDLE_MS = 30_000;

async function tcpProxy(spec: ProxySpec): Promise<PortProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: spec.targetIp, port: spec.containerPort });
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE'
        ? new PortInUse(`Bind for ${spec.hostIp}:${spec.hostPort} failed: port is already allocated`, { hostIp: spec.hostIp, hostPort: spec.hostPort }, { cause: err })
        : err));
    server.listen({ host: spec.hostIp, port: spec.hostPort, exclusive: true }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    spec: { ...spec, hostPort: port },
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

async function udpProxy(spec: ProxySpec): Promise<PortProxy> {
  const type = net.isIPv6(spec.hostIp) ? 'udp6' : 'udp4';
  const sock = dgram.createSocket(type);
  const peers = new Map<string, { up: dgram.Socket; timer: NodeJS.Timeout }>();
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let peer = peers.get(key);
    if (peer === undefined) {
      const up = dgram.createSocket('udp4');
      up.on('message', (reply) => sock.send(reply, rinfo.port, rinfo.address));
      up.on('error', () => undefined);
      peer = { up, timer: setTimeout(() => undefined, 0) };
      peers.set(key, peer);
    }
    clearTimeout(peer.timer);
    const p = peer;
    p.timer = setTimeout(() => {
      p.up.close();
      peers.delete(key);
    }, UDP_IDLE_MS);
    p.up.send(msg, spec.containerPort, spec.targetIp);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE'
        ? new PortInUse(`Bind for ${spec.hostIp}:${spec.hostPort}/udp failed: port is already allocated`, { hostIp: spec.hostIp, hostPort: spec.hostPort }, { cause: err })
        : err));
    sock.bind({ address: spec.hostIp, port: spec.hostPort, exclusive: true }, () => resolve());
  });
  return {
    spec: { ...spec, hostPort: sock.address().port },
    close() {
      for (const p of peers.values()) {
        clearTimeout(p.timer);
        p.up.close();
      }
      sock.close();
    },
  };
}

/** Listen on every spec; on failure, close those already open and rethrow. */
export async function startPortProxies(specs: readonly ProxySpec[]): Promise<PortProxy[]> {
  const open: PortProxy[] = [];
  try {
    for (const s of specs) open.push(await (s.protocol === 'udp' ? udpProxy(s) : tcpProxy(s)));
  } catch (err) {
    for (const p of open) p.close();
    throw err;
  }
  return open;
}
