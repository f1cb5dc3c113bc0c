/** /_ping, /version, /info, /events, /auth, /system/df. */
import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { readFile } from 'node:fs/promises';
import type { EngineEvent } from '../../engine/index.js';
import type { ApiBackend, RegistryAuth } from '../backend.js';
import type { RouteContext, RouteHandler } from '../context.js';
import { ApiBadRequest, ApiNotImplemented } from '../errors.js';
import { queryFilters, sendJson } from '../http.js';
import { JsonLines } from '../jsonl.js';
import { API_VERSION, type Router } from '../router.js';
import { toInfoJson, toVersionJson, type HostFacts } from '../translate/system.js';
import { toEventJson } from '../translate/events.js';
import { toImageSummaryJson } from '../translate/images.js';
import { toContainerSummaryJson } from '../translate/containers.js';
import { toVolumeJson } from '../translate/volumes.js';

const GOARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', s390x: 's390x', ppc64: 'ppc64le' };
const MACHINE: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'i686', s390x: 's390x', ppc64: 'ppc64le' };

let osRelease: { name: string; version: string } | undefined;
async function readOsRelease(): Promise<{ name: string; version: string }> {
  if (osRelease !== undefined) return osRelease;
  let text = '';
  try {
    text = await readFile('/etc/os-release', 'utf8');
  } catch {
    text = '';
  }
  const get = (k: string): string => (new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '').replace(/^"|"$/g, '');
  osRelease = { name: get('PRETTY_NAME') || 'Linux', version: get('VERSION_ID') };
  return osRelease;
}

export async function hostFacts(): Promise<HostFacts> {
  const os = await readOsRelease();
  return {
    hostname: hostname(),
    kernelVersion: release(),
    operatingSystem: os.name,
    osVersion: os.version,
    architecture: GOARCH[arch()] ?? arch(),
    machine: MACHINE[arch()] ?? arch(),
    ncpu: cpus().length,
    memTotal: totalmem(),
    nodeVersion: process.versions.node,
    systemTime: new Date().toISOString(),
  };
}

function ping(ctx: RouteContext): Promise<void> {
  const res = ctx.res;
  res.writeHead(200, {
    'Api-Version': API_VERSION,
    'Builder-Version': '1',
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Swarm: 'inactive',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': ctx.req.method === 'HEAD' ? '0' : '2',
  });
  res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  return Promise.resolve();
}

/** Docker's X-Registry-Auth / X-Registry-Config header: base64url JSON of an AuthConfig. */
export function decodeRegistryAuth(header: string | string[] | undefined): RegistryAuth | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch (err) {
    throw new ApiBadRequest('Invalid X-Registry-Auth header', {}, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  return fromAuthConfig(parsed as Record<string, unknown>);
}

function fromAuthConfig(a: Record<string, unknown>): RegistryAuth {
  const str = (k: string): string | undefined => (typeof a[k] === 'string' && a[k] !== '' ? (a[k] as string) : undefined);
  const out: { -readonly [K in keyof RegistryAuth]: RegistryAuth[K] } = {};
  const u = str('username');
  const p = str('password');
  const s = str('serveraddress');
  const i = str('identitytoken');
  const r = str('registrytoken');
  if (u !== undefined) out.username = u;
  if (p !== undefined) out.password = p;
  if (s !== undefined) out.serverAddress = s;
  if (i !== undefined) out.identityToken = i;
  if (r !== undefined) out.registryToken = r;
  return out;
}

export function addSystemRoutes(router: Router<RouteHandler>, backend: ApiBackend): void {
  router.add('GET', '/_ping', ping);
  router.add('HEAD', '/_ping', ping);
  router.add('GET', '/version', async (ctx) => {
    sendJson(ctx.res, 200, toVersionJson(backend.daemon, await hostFacts()));
  });
  router.add('GET', '/info', async (ctx) => {
    const list = await backend.containers.list({ all: true });
    const running = list.filter((c) => c.state === 'running' || c.state === 'restarting').length;
    const paused = list.filter((c) => c.state === 'paused').length;
    const images = backend.images !== undefined ? (await backend.images.list()).length : 0;
    sendJson(ctx.res, 200, toInfoJson(backend.daemon, await hostFacts(), {
      containers: { total: list.length, running, paused, stopped: list.length - running - paused },
      images,
    }));
  });
  router.add('GET', '/events', async (ctx) => {
    const since = parseTime(ctx.query.get('since'));
    const until = parseTime(ctx.query.get('until'));
    const filters = queryFilters(ctx.query);
    const out = new JsonLines(ctx.res);
    out.start();
    const controller = new AbortController();
    ctx.signal.addEventListener('abort', () => controller.abort());
    const stream: AsyncIterable<EngineEvent> = backend.containers.events({
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      filters,
      signal: controller.signal,
    });
    try {
      for await (const event of stream) out.write(toEventJson(event));
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    out.end();
  });
  router.add('POST', '/auth', async (ctx) => {
    const body = await ctx.json();
    if (typeof body !== 'object' || body === null) throw new ApiBadRequest('Missing auth config', {});
    if (backend.images === undefined) throw new ApiNotImplemented('Registry login is not available', { feature: 'auth' });
    const result = await backend.images.login(fromAuthConfig(body as Record<string, unknown>));
    sendJson(ctx.res, 200, {
      Status: result.status,
      ...(result.identityToken !== undefined ? { IdentityToken: result.identityToken } : {}),
    });
  });
  router.add('GET', '/system/df', async (ctx) => {
    const containers = await backend.containers.list({ all: true });
    const images = backend.images !== undefined ? await backend.images.list() : [];
    const volumes = backend.volumes !== undefined ? await backend.volumes.list() : [];
    const usedBy = new Map<string, number>();
    for (const c of containers) usedBy.set(c.imageId, (usedBy.get(c.imageId) ?? 0) + 1);
    sendJson(ctx.res, 200, {
      LayersSize: images.reduce((n, i) => n + i.size, 0),
      Images: images.map((i) => ({ ...toImageSummaryJson(i), Containers: usedBy.get(i.id) ?? 0 })),
      Containers: containers.map((c) => ({ ...toContainerSummaryJson(c), SizeRw: 0, SizeRootFs: 0 })),
      Volumes: volumes.map((v) => toVolumeJson(v)),
      BuildCache: [],
    });
  });
}

/** Docker's time arguments: unix seconds (fractional allowed) or RFC 3339. */
export function parseTime(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ApiBadRequest(`Invalid time ${JSON.stringify(value)}`, { value });
  return ms / 1000;
}
