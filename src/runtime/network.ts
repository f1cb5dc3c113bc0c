/**
 * Bridge networking with iproute2: one Linux bridge (gateway = first address of the subnet), one named
 * network namespace per container (/run/netns/<name>, handed to the runtime by path), a veth pair per
 * container. Addresses come from the subnet, recorded one file per address (O_EXCL create = allocation).
 *
 * Deliberately absent: a default route in the container and any NAT/masquerade. Containers reach the host
 * (gateway address) and each other on the bridge; nothing is routed off the machine.
 */
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { exec } from '../core/index.js';
import { AddressPoolExhausted, NetworkSetupFailed } from './errors.js';

export interface Subnet {
  readonly network: number; // as uint32
  readonly prefix: number;
}

export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new RangeError(`Invalid subnet ${JSON.stringify(cidr)}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 8 || prefix > 30) throw new RangeError(`Invalid subnet ${JSON.stringify(cidr)}`);
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ip & mask) >>> 0, prefix };
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function gatewayOf(s: Subnet): string {
  return formatIp(s.network + 1);
}

/** Host-side veth name (≤ 15 chars) for a container id. */
export function vethName(id: string): string {
  return `vb${id.slice(0, 11)}`;
}

export function netnsName(id: string): string {
  return `berth-${id.slice(0, 16)}`;
}

async function ipBatch(commands: readonly string[], netns?: string): Promise<void> {
  const argv = netns ? ['ip', '-n', netns, '-batch', '-'] : ['ip', '-batch', '-'];
  await exec(argv, { input: `${commands.join('\n')}\n`, pkg: 'iproute2' });
}

async function linkExists(name: string): Promise<boolean> {
  const r = await exec(['ip', 'link', 'show', 'dev', name], { check: false, pkg: 'iproute2' });
  return r.exitCode === 0;
}

/** Creates the bridge with the gateway address if missing (idempotent). */
export async function ensureBridge(name: string, subnet: string): Promise<void> {
  const s = parseSubnet(subnet);
  if (await linkExists(name)) return;
  try {
    await ipBatch([
      `link add name ${name} type bridge`,
      `addr add ${gatewayOf(s)}/${s.prefix} dev ${name}`,
      `link set ${name} up`,
    ]);
  } catch (err) {
    if (await linkExists(name)) return; // created concurrently
    throw new NetworkSetupFailed(`Creating bridge ${JSON.stringify(name)}: ${(err as Error).message}`, { id: '', step: 'bridge' }, { cause: err });
  }
}

export async function removeBridge(name: string): Promise<void> {
  await exec(['ip', 'link', 'del', 'dev', name], { check: false, pkg: 'iproute2' });
}

/** Reserve an address for `id` under `ipamDir` (one file per address). */
export async function allocateAddress(ipamDir: string, subnet: string, id: string): Promise<string> {
  const s = parseSubnet(subnet);
  await mkdir(ipamDir, { recursive: true });
  const size = 2 ** (32 - s.prefix);
  const taken = new Set(await readdir(ipamDir));
  // Start after the gateway; skip the broadcast address.
  const offset = Number.parseInt(id.slice(0, 6), 16) % Math.max(1, size - 3);
  for (let i = 0; i < size - 3; i++) {
    const ip = formatIp(s.network + 2 + ((offset + i) % (size - 3)));
    if (taken.has(ip)) continue;
    try {
      const fh = await open(`${ipamDir}/${ip}`, 'wx');
      await fh.writeFile(id);
      await fh.close();
      return ip;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new AddressPoolExhausted(`No free address in ${JSON.stringify(subnet)}`, { subnet });
}

export async function releaseAddress(ipamDir: string, ip: string, id: string): Promise<void> {
  try {
    if ((await readFile(`${ipamDir}/${ip}`, 'utf8')) === id) await unlink(`${ipamDir}/${ip}`);
  } catch {
    /* already released */
  }
}

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

async function netnsExists(name: string): Promise<boolean> {
  return stat(netnsPath(name)).then(() => true, () => false);
}

export interface EndpointConfig {
  readonly id: string;
  readonly netns: string;
  /** Undefined for --network none (loopback only). */
  readonly bridge?: { readonly name: string; readonly subnet: string; readonly ip: string; readonly mac: string };
}

/** A MAC in the locally administered range derived from the IP, as docker does (02:42:…). */
export function macForIp(ip: string): string {
  const parts = ip.split('.').map((p) => Number(p).toString(16).padStart(2, '0'));
  return ['02', '42', ...parts].join(':');
}

/** Creates the namespace, the veth pair and addresses (idempotent: a present namespace is kept). */
export async function setupEndpoint(cfg: EndpointConfig): Promise<void> {
  if (await netnsExists(cfg.netns)) return;
  try {
    // Two processes: one batch on the host side (namespace, veth, bridge port), one inside the namespace.
    const host = [`netns add ${cfg.netns}`];
    const inner = ['link set lo up'];
    if (cfg.bridge) {
      const b = cfg.bridge;
      const s = parseSubnet(b.subnet);
      const hostSide = vethName(cfg.id);
      const peer = `vc${cfg.id.slice(0, 11)}`;
      host.push(
        `link add ${hostSide} type veth peer name ${peer}`,
        `link set ${peer} netns ${cfg.netns}`,
        `link set ${hostSide} master ${b.name}`,
        `link set ${hostSide} up`,
      );
      inner.push(`link set ${peer} name eth0`, `link set eth0 address ${b.mac}`, `addr add ${b.ip}/${s.prefix} dev eth0`, 'link set eth0 up');
    }
    await ipBatch(host);
    await ipBatch(inner, cfg.netns);
  } catch (err) {
    await teardownEndpoint(cfg.id, cfg.netns);
    throw new NetworkSetupFailed(`Setting up the network of container ${cfg.id.slice(0, 12)}: ${(err as Error).message}`, { id: cfg.id, step: 'endpoint' }, { cause: err });
  }
}

/** Removes the veth pair (when there is one) and the namespace, in one `ip -force -batch` (errors skipped). */
export async function teardownEndpoint(id: string, netns: string, veth = true): Promise<void> {
  const cmds = [...(veth ? [`link del dev ${vethName(id)}`] : []), `netns del ${netns}`];
  await exec(['ip', '-force', '-batch', '-'], { input: `${cmds.join('\n')}\n`, check: false, pkg: 'iproute2' });
}

export interface InterfaceCounters {
  readonly rxBytes: number;
  readonly txBytes: number;
}

/** Byte counters of eth0 inside the namespace (for stats). */
export async function endpointCounters(netns: string): Promise<InterfaceCounters> {
  const r = await exec(['ip', '-n', netns, '-s', '-j', 'link', 'show', 'dev', 'eth0'], { check: false, pkg: 'iproute2' });
  if (r.exitCode !== 0) return { rxBytes: 0, txBytes: 0 };
  const j = JSON.parse(r.stdout.toString('utf8')) as Array<{ stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } } }>;
  return { rxBytes: j[0]?.stats64?.rx?.bytes ?? 0, txBytes: j[0]?.stats64?.tx?.bytes ?? 0 };
}
