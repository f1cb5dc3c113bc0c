/** /volumes/… and /networks/… (networks are the engine's fixed bridge, host and none). */
import type { ApiBackend, NetworkBackend, VolumeBackend } from '../backend.js';
import type { RouteHandler } from '../context.js';
import { ApiBadRequest, ApiNotImplemented } from '../errors.js';
import { queryBool, queryFilters, sendJson, sendNoContent } from '../http.js';
import type { Router } from '../router.js';
import { toNetworkJson, toVolumeJson } from '../translate/volumes.js';

function volumes(backend: ApiBackend): VolumeBackend {
  if (backend.volumes === undefined) throw new ApiNotImplemented('Volumes are not available in this daemon', { feature: 'volumes' });
  return backend.volumes;
}

function networks(backend: ApiBackend): NetworkBackend {
  if (backend.networks === undefined) throw new ApiNotImplemented('Networks are not available in this daemon', { feature: 'networks' });
  return backend.networks;
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new ApiBadRequest(`json: cannot unmarshal into ${what} of type map[string]string`, {});
  }
  return v as Record<string, string>;
}

export function addVolumeRoutes(router: Router<RouteHandler>, backend: ApiBackend): void {
  router.add('GET', '/volumes', async (ctx) => {
    const list = await volumes(backend).list(queryFilters(ctx.query));
    sendJson(ctx.res, 200, { Volumes: list.map(toVolumeJson), Warnings: [] });
  });
  router.add('POST', '/volumes/create', async (ctx) => {
    const body = (await ctx.json()) ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiBadRequest('Invalid volume config', {});
    const b = body as Record<string, unknown>;
    for (const k of Object.keys(b)) {
      if (!['Name', 'Driver', 'DriverOpts', 'Labels', 'ClusterVolumeSpec'].includes(k)) throw new ApiBadRequest(`json: unknown field ${JSON.stringify(k)}`, { field: k });
    }
    if (b.Name !== undefined && typeof b.Name !== 'string') throw new ApiBadRequest('json: cannot unmarshal into Name of type string', {});
    if (b.Driver !== undefined && typeof b.Driver !== 'string') throw new ApiBadRequest('json: cannot unmarshal into Driver of type string', {});
    const name = b.Name as string | undefined;
    if (name !== undefined && name !== '' && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
      throw new ApiBadRequest(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`, { name });
    }
    const driver = (b.Driver as string | undefined) ?? '';
    if (driver !== '' && driver !== 'local') throw new ApiBadRequest(`volume driver ${JSON.stringify(driver)} not found`, { driver });
    const labels = stringMap(b.Labels, 'Labels');
    const driverOpts = stringMap(b.DriverOpts, 'DriverOpts');
    const v = await volumes(backend).create({
      ...(name !== undefined && name !== '' ? { name } : {}),
      driver: 'local',
      ...(labels !== undefined ? { labels } : {}),
      ...(driverOpts !== undefined ? { driverOpts } : {}),
    });
    sendJson(ctx.res, 201, toVolumeJson(v));
  });
  router.add('POST', '/volumes/prune', async (ctx) => {
    const r = await volumes(backend).prune(queryFilters(ctx.query));
    sendJson(ctx.res, 200, { VolumesDeleted: r.deleted, SpaceReclaimed: r.spaceReclaimed });
  });
  router.add('GET', '/volumes/{name}', async (ctx) => {
    sendJson(ctx.res, 200, toVolumeJson(await volumes(backend).inspect(ctx.params.name!)));
  });
  router.add('DELETE', '/volumes/{name}', async (ctx) => {
    await volumes(backend).remove(ctx.params.name!, { force: queryBool(ctx.query, 'force') });
    sendNoContent(ctx.res);
  });

  router.add('GET', '/networks', async (ctx) => {
    const filters = queryFilters(ctx.query);
    let list = await networks(backend).list();
    if (filters.name !== undefined) list = list.filter((n) => filters.name!.some((f) => n.name.includes(f)));
    if (filters.driver !== undefined) list = list.filter((n) => filters.driver!.includes(n.driver));
    if (filters.id !== undefined) list = list.filter((n) => filters.id!.some((f) => n.id.startsWith(f)));
    sendJson(ctx.res, 200, list.map(toNetworkJson));
  });
  router.add('GET', '/networks/{id}', async (ctx) => {
    sendJson(ctx.res, 200, toNetworkJson(await networks(backend).inspect(ctx.params.id!)));
  });
  router.add('POST', '/networks/prune', async (ctx) => {
    await networks(backend).list(); // berth's networks are built in: nothing to prune
    sendJson(ctx.res, 200, { NetworksDeleted: [] });
  });
  router.add('POST', '/networks/create', () => {
    throw new ApiNotImplemented('User-defined networks are not supported: berth has one bridge', { feature: 'network create' });
  });
}
