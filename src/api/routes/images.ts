/** /images/…: list, inspect, history, pull, push, tag, remove, load, save, prune. */
import type { Readable } from 'node:stream';
import type { ApiBackend, ImageBackend } from '../backend.js';
import type { RouteContext, RouteHandler } from '../context.js';
import { ApiBadRequest, ApiNotImplemented } from '../errors.js';
import { queryBool, queryFilters, sendJson } from '../http.js';
import { JsonLines, toJsonMessage } from '../jsonl.js';
import type { Router } from '../router.js';
import { toImageHistoryJson, toImageInspectJson, toImageSummaryJson } from '../translate/images.js';
import { decodeRegistryAuth } from './system.js';

/** `docker load` bodies: whole image archives, bounded so a runaway client cannot fill the disk unasked. */
const LOAD_LIMIT = 64 * 1024 * 1024 * 1024;

function images(backend: ApiBackend): ImageBackend {
  if (backend.images === undefined) throw new ApiNotImplemented('The image store is not available in this daemon', { feature: 'images' });
  return backend.images;
}

/** Docker splits `fromImage` and `tag`; `tag` may also be a digest. */
function joinRef(name: string, tag: string | null): string {
  if (tag === null || tag === '') return name;
  return tag.startsWith('sha256:') ? `${name}@${tag}` : `${name}:${tag}`;
}

async function pull(backend: ApiBackend, ctx: RouteContext): Promise<void> {
  const from = ctx.query.get('fromImage');
  if (ctx.query.get('fromSrc') !== null) throw new ApiNotImplemented('Importing a root filesystem (fromSrc) is not supported', { feature: 'import' });
  if (from === null || from === '') throw new ApiBadRequest('Bad parameters: fromImage is required', {});
  const platform = ctx.query.get('platform');
  if (platform !== null && platform !== '' && !/^linux(\/amd64)?$/.test(platform) && platform !== 'linux/x86_64') {
    throw new ApiBadRequest(`Unsupported platform ${JSON.stringify(platform)}: this daemon runs linux/amd64 images`, { platform });
  }
  const ref = joinRef(from, ctx.query.get('tag'));
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  const out = new JsonLines(ctx.res);
  const controller = new AbortController();
  ctx.signal.addEventListener('abort', () => controller.abort());
  try {
    await images(backend).pull(ref, {
      ...(auth !== undefined ? { auth } : {}),
      onProgress: (u) => out.write(toJsonMessage(u)),
      signal: controller.signal,
    });
  } catch (err) {
    if (!out.started) throw err; // nothing sent yet: a proper status code (404 for an unknown image)
    out.error(err instanceof Error ? err.message : String(err));
    out.end();
    return;
  }
  out.end();
}

async function push(backend: ApiBackend, ctx: RouteContext): Promise<void> {
  const ref = joinRef(ctx.params.name!, ctx.query.get('tag'));
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  const store = images(backend);
  await store.inspect(ref); // 404 before the stream starts
  const out = new JsonLines(ctx.res);
  out.start();
  try {
    await store.push(ref, { ...(auth !== undefined ? { auth } : {}), onProgress: (u) => out.write(toJsonMessage(u)), signal: ctx.signal });
  } catch (err) {
    out.error(err instanceof Error ? err.message : String(err));
  }
  out.end();
}

async function load(backend: ApiBackend, ctx: RouteContext): Promise<void> {
  const declared = Number(ctx.req.headers['content-length'] ?? '0');
  if (declared > LOAD_LIMIT) throw new ApiBadRequest(`Archive exceeds ${LOAD_LIMIT} bytes`, { limit: LOAD_LIMIT });
  const quiet = queryBool(ctx.query, 'quiet');
  const out = new JsonLines(ctx.res);
  try {
    const r = await images(backend).load(ctx.req as Readable, quiet ? {} : { onProgress: (u) => out.write(toJsonMessage(u)) });
    for (const name of r.loaded) {
      out.write({ stream: name.startsWith('sha256:') ? `Loaded image ID: ${name}\n` : `Loaded image: ${name}\n` });
    }
  } catch (err) {
    if (!out.started) throw err;
    out.error(err instanceof Error ? err.message : String(err));
  }
  out.end();
}

async function save(backend: ApiBackend, ctx: RouteContext, names: readonly string[]): Promise<void> {
  if (names.length === 0) throw new ApiBadRequest('Bad parameters: no image names given', {});
  const store = images(backend);
  for (const n of names) await store.inspect(n); // 404 for any unknown name before the tar starts
  const tar = await store.save(names);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  for await (const chunk of tar) {
    if (!ctx.res.write(chunk as Buffer)) await new Promise((r) => ctx.res.once('drain', r));
  }
  ctx.res.end();
}

export function addImageRoutes(router: Router<RouteHandler>, backend: ApiBackend): void {
  router.add('GET', '/images/json', async (ctx) => {
    const list = await images(backend).list({ all: queryBool(ctx.query, 'all'), filters: queryFilters(ctx.query) });
    sendJson(ctx.res, 200, list.map(toImageSummaryJson));
  });
  router.add('POST', '/images/create', (ctx) => pull(backend, ctx));
  router.add('POST', '/images/load', (ctx) => load(backend, ctx));
  router.add('GET', '/images/get', (ctx) => save(backend, ctx, ctx.query.getAll('names')));
  router.add('POST', '/images/prune', async (ctx) => {
    const filters = queryFilters(ctx.query);
    const dangling = filters.dangling?.[0];
    const r = await images(backend).prune({ dangling: dangling === undefined ? true : dangling === 'true' || dangling === '1', filters });
    sendJson(ctx.res, 200, { ImagesDeleted: r.deleted.map((d) => ({ Deleted: d })), SpaceReclaimed: r.spaceReclaimed });
  });
  router.add('POST', '/build/prune', async (ctx) => {
    // berthd has no build cache (no builder): nothing to prune, as dockerd answers with an empty cache.
    sendJson(ctx.res, 200, { CachesDeleted: [], SpaceReclaimed: 0 });
  });
  router.add('GET', '/images/search', () => {
    throw new ApiNotImplemented('Searching a registry index is not supported', { feature: 'search' });
  });
  router.add('GET', '/images/{name*}/json', async (ctx) => {
    sendJson(ctx.res, 200, toImageInspectJson(await images(backend).inspect(ctx.params.name!)));
  });
  router.add('GET', '/images/{name*}/history', async (ctx) => {
    sendJson(ctx.res, 200, (await images(backend).history(ctx.params.name!)).map(toImageHistoryJson));
  });
  router.add('GET', '/images/{name*}/get', (ctx) => save(backend, ctx, [ctx.params.name!]));
  router.add('POST', '/images/{name*}/push', (ctx) => push(backend, ctx));
  router.add('POST', '/images/{name*}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (repo === null || repo === '') throw new ApiBadRequest('repository name must have at least one component', {});
    await images(backend).tag(ctx.params.name!, joinRef(repo, ctx.query.get('tag')));
    ctx.res.writeHead(201, { 'Content-Length': '0' });
    ctx.res.end();
  });
  router.add('DELETE', '/images/{name*}', async (ctx) => {
    const r = await images(backend).remove(ctx.params.name!, { force: queryBool(ctx.query, 'force'), noPrune: queryBool(ctx.query, 'noprune') });
    sendJson(ctx.res, 200, [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))]);
  });
}
