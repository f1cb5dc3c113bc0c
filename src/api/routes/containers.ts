/** /containers/… and /exec/…: the container lifecycle, streams, files and execs. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type { ContainerEngine, ExecOptions, StatsSample, WaitCondition } from '../../engine/index.js';
import { encodeStreamFrame, STREAM_STDERR, STREAM_STDOUT } from '../../formats/index.js';
import type { ApiBackend } from '../backend.js';
import type { RouteContext, RouteHandler } from '../context.js';
import { ApiBadRequest, ApiNotModified } from '../errors.js';
import { MULTIPLEXED_STREAM, RAW_STREAM } from '../hijack.js';
import { queryBool, queryFilters, queryInt, sendJson, sendNoContent } from '../http.js';
import type { Router } from '../router.js';
import { fromCreateBody, toContainerInspectJson, toContainerSummaryJson } from '../translate/containers.js';
import { peekTarStat, encodePathStat } from '../translate/archive.js';
import { joinStreams, parseDetachKeys } from './streams.js';
import { parseTime } from './system.js';

const WAIT_CONDITIONS: readonly WaitCondition[] = ['not-running', 'next-exit', 'removed'];
/** Tar bodies of `docker cp` into a container: generous, but bounded. */
const ARCHIVE_LIMIT = 8 * 1024 * 1024 * 1024;

function statsJson(s: StatsSample, pre: StatsSample | undefined): Record<string, unknown> {
  const cpu = (x: StatsSample | undefined): Record<string, unknown> => ({
    cpu_usage: { total_usage: x?.cpuTotalNs ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: x?.systemCpuNs ?? 0,
    online_cpus: x?.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  return {
    name: s.name.startsWith('/') ? s.name : `/${s.name}`,
    id: s.id,
    read: s.read,
    preread: pre?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: s.pids },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 0, minor: 0, op: 'read', value: s.blockRead },
        { major: 0, minor: 0, op: 'write', value: s.blockWrite },
      ],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu(s),
    precpu_stats: cpu(pre),
    memory_stats: { usage: s.memoryUsage, stats: {}, limit: s.memoryLimit },
    networks: { eth0: { rx_bytes: s.netRxBytes, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: s.netTxBytes, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
  };
}

async function logs(engine: ContainerEngine, ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const stdout = queryBool(q, 'stdout');
  const stderr = queryBool(q, 'stderr');
  if (!stdout && !stderr) throw new ApiBadRequest('Bad parameters: you must choose at least one stream', {});
  const info = await engine.inspect(ctx.params.id!);
  const tailText = q.get('tail');
  let tail: number | undefined;
  if (tailText !== null && tailText !== '' && tailText !== 'all') {
    tail = Number(tailText);
    if (!Number.isInteger(tail)) throw new ApiBadRequest(`Invalid value for "tail": ${JSON.stringify(tailText)}`, {});
    if (tail < 0) tail = undefined; // dockerd treats a negative tail as "all"
  }
  const since = parseTime(q.get('since'));
  const until = parseTime(q.get('until'));
  const timestamps = queryBool(q, 'timestamps');
  const controller = new AbortController();
  ctx.signal.addEventListener('abort', () => controller.abort());
  const entries = engine.logs(info.id, {
    follow: queryBool(q, 'follow'), stdout, stderr, timestamps,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(tail !== undefined ? { tail } : {}),
    signal: controller.signal,
  });
  const tty = info.config.tty;
  ctx.res.writeHead(200, { 'Content-Type': tty ? RAW_STREAM : MULTIPLEXED_STREAM });
  ctx.res.flushHeaders();
  try {
    for await (const e of entries) {
      const line = timestamps ? Buffer.concat([Buffer.from(`${e.time} `), e.line]) : e.line;
      const chunk = tty ? line : encodeStreamFrame(e.stream === 'stderr' ? STREAM_STDERR : STREAM_STDOUT, line);
      if (!ctx.res.write(chunk)) await new Promise((r) => ctx.res.once('drain', r));
      if (controller.signal.aborted) break;
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  ctx.res.end();
}

async function attach(engine: ContainerEngine, ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  await ctx.skipBody(); // dockerode sends its options as a JSON body on the upgraded connection
  const info = await engine.inspect(ctx.params.id!);
  const wantStdin = queryBool(q, 'stdin') && info.config.openStdin;
  // One session carries stdin and output: the client's half-close ends the container's stdin only (the
  // engine's monitor keeps the session's output flowing until the process exits).
  const streams = await engine.attach(info.id, {
    stdin: wantStdin,
    stdout: queryBool(q, 'stdout'),
    stderr: queryBool(q, 'stderr'),
    logs: queryBool(q, 'logs'),
  });
  const conn = ctx.hijack(streams.tty ? RAW_STREAM : MULTIPLEXED_STREAM);
  // Safety net: once the container has exited (or is gone), end the session after a grace period even
  // if the engine's attach never saw it run (a container that starts, exits and is auto-removed before
  // the attach connects would otherwise keep `docker run` waiting).
  const watcher = new AbortController();
  if (queryBool(q, 'stream', true)) {
    engine.wait(info.id, 'next-exit', watcher.signal).then(
      () => setTimeout(() => streams.close(), EXIT_GRACE_MS).unref(),
      () => undefined,
    );
  }
  const session = joinStreams(streams, conn, { detachKeys: parseDetachKeys(q.get('detachKeys')) });
  const sessions = attachSessions.get(info.id) ?? new Set<Promise<void>>();
  attachSessions.set(info.id, sessions);
  sessions.add(session);
  try {
    await session;
  } finally {
    watcher.abort();
    sessions.delete(session);
    if (sessions.size === 0) attachSessions.delete(info.id);
  }
}

/**
 * Attach sessions in progress per container id. Removing an exited --rm container waits for them: an
 * attach that has not caught the container running replays its output from the log, which must
 * still exist.
 */
const attachSessions = new Map<string, Set<Promise<void>>>();

async function attachedOutputDone(id: string): Promise<void> {
  const sessions = attachSessions.get(id);
  if (sessions === undefined || sessions.size === 0) return;
  await Promise.race([Promise.allSettled([...sessions]), sleep(EXIT_GRACE_MS + 1000)]);
}

/** Before a second attempt at removing an exited --rm container. */
const AUTO_REMOVE_GRACE_MS = 5000;

/**
 * How long output may still arrive after the container exited before an attach session is ended. A safety
 * net only: the engine's attach ends by itself once it has replayed the run, and on a host busy enough to
 * run a hundred containers at once connecting can take seconds (3 s lost output under such load).
 */
const EXIT_GRACE_MS = 30_000;

async function wait(engine: ContainerEngine, ctx: RouteContext): Promise<void> {
  const raw = ctx.query.get('condition');
  const condition = (raw === null || raw === '' ? 'not-running' : raw) as WaitCondition;
  if (!WAIT_CONDITIONS.includes(condition)) throw new ApiBadRequest(`invalid condition: ${JSON.stringify(raw)}`, { condition: raw });
  const info = await engine.inspect(ctx.params.id!); // 404 before the status line goes out
  const controller = new AbortController();
  ctx.signal.addEventListener('abort', () => controller.abort());
  const result = engine.wait(info.id, condition, controller.signal);
  result.catch(() => undefined);
  if (condition === 'removed' && info.hostConfig.autoRemove === true) {
    // dockerd removes a --rm container itself as soon as it exits. berth's monitor would too, but only
    // after a pause and after loading the engine; the daemon has it loaded: remove it right away (the
    // monitor then finds it gone). A failure is retried once after a grace period.
    engine.wait(info.id, 'next-exit', controller.signal).then(
      // background: the answer goes out once the container is gone from lists (its unmount and the
      // runtime's delete follow): `docker run --rm` returns without waiting for them.
      () => attachedOutputDone(info.id).then(() => engine.remove(info.id, { force: true, volumes: true, background: true })).catch(() => {
        setTimeout(() => void engine.remove(info.id, { force: true, volumes: true }).catch(() => undefined), AUTO_REMOVE_GRACE_MS).unref();
      }),
      () => undefined,
    );
  }
  // The client waits for these headers before it starts the container: send them now (moby #36127).
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  try {
    const r = await result;
    ctx.res.end(`${JSON.stringify({ StatusCode: r.statusCode, ...(r.error !== undefined && r.error !== '' ? { Error: { Message: r.error } } : {}) })}\n`);
  } catch (err) {
    if (controller.signal.aborted) {
      ctx.res.destroy();
      return;
    }
    ctx.res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: err instanceof Error ? err.message : String(err) } })}\n`);
  }
}

async function stats(engine: ContainerEngine, ctx: RouteContext): Promise<void> {
  const id = (await engine.inspect(ctx.params.id!)).id;
  const stream = queryBool(ctx.query, 'stream', true);
  const oneShot = queryBool(ctx.query, 'one-shot');
  if (!stream) {
    let pre: StatsSample | undefined;
    if (!oneShot) {
      pre = await engine.stats(id);
      await sleep(500, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
    sendJson(ctx.res, 200, statsJson(await engine.stats(id), pre));
    return;
  }
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  let pre: StatsSample | undefined;
  // Bounded by the client: it hangs up to stop the stream; each round is one second.
  for (let i = 0; i < 86_400 && !ctx.signal.aborted; i++) {
    let s: StatsSample;
    try {
      s = await engine.stats(id);
    } catch {
      break; // container gone
    }
    ctx.res.write(`${JSON.stringify(statsJson(s, pre))}\n`);
    pre = s;
    await sleep(1000, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
  ctx.res.end();
}

function resizeArgs(ctx: RouteContext): { rows: number; cols: number } {
  const rows = queryInt(ctx.query, 'h', { min: 0, max: 0xffff }) ?? 0;
  const cols = queryInt(ctx.query, 'w', { min: 0, max: 0xffff }) ?? 0;
  return { rows, cols };
}

function archivePath(ctx: RouteContext): string {
  const path = ctx.query.get('path');
  if (path === null || path === '') throw new ApiBadRequest('Bad parameter: path cannot be empty', {});
  if (path.includes('\0')) throw new ApiBadRequest('Bad parameter: path contains a NUL byte', {});
  return path;
}

async function archiveStat(engine: ContainerEngine, ctx: RouteContext, withBody: boolean): Promise<void> {
  const path = archivePath(ctx);
  const id = (await engine.inspect(ctx.params.id!)).id;
  const tar = await engine.copyFrom(id, path);
  const { stat, stream } = await peekTarStat(tar, path);
  ctx.res.writeHead(200, {
    'Content-Type': 'application/x-tar',
    'X-Docker-Container-Path-Stat': encodePathStat(stat),
  });
  if (!withBody) {
    stream.destroy();
    ctx.res.end();
    return;
  }
  for await (const chunk of stream) {
    if (!ctx.res.write(chunk as Buffer)) await new Promise((r) => ctx.res.once('drain', r));
  }
  ctx.res.end();
}

function execOptionsFrom(raw: unknown): ExecOptions & { attachStdout: boolean; attachStderr: boolean } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ApiBadRequest('Invalid exec config', {});
  const b = raw as Record<string, unknown>;
  const allowed = new Set(['AttachStdin', 'AttachStdout', 'AttachStderr', 'ConsoleSize', 'DetachKeys', 'Tty', 'Env', 'Cmd', 'Privileged', 'User', 'WorkingDir', 'Detach']);
  for (const k of Object.keys(b)) if (!allowed.has(k)) throw new ApiBadRequest(`json: unknown field ${JSON.stringify(k)}`, { field: k });
  const strs = (v: unknown, what: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ApiBadRequest(`json: cannot unmarshal into ${what} of type []string`, {});
    return v as string[];
  };
  const cmd = strs(b.Cmd, 'Cmd');
  if (cmd === undefined || cmd.length === 0) throw new ApiBadRequest('No exec command specified', {});
  const opt: { -readonly [K in keyof ExecOptions]: ExecOptions[K] } = { cmd };
  const env = strs(b.Env, 'Env');
  if (env !== undefined) opt.env = env;
  if (typeof b.User === 'string' && b.User !== '') opt.user = b.User;
  if (typeof b.WorkingDir === 'string' && b.WorkingDir !== '') opt.workingDir = b.WorkingDir;
  if (b.Tty === true) opt.tty = true;
  if (b.Privileged === true) opt.privileged = true;
  if (b.AttachStdin === true) opt.attachStdin = true;
  return { ...opt, attachStdout: b.AttachStdout !== false, attachStderr: b.AttachStderr !== false };
}

export function addContainerRoutes(router: Router<RouteHandler>, backend: ApiBackend): void {
  const engine = backend.containers;
  router.add('GET', '/containers/json', async (ctx) => {
    const limit = queryInt(ctx.query, 'limit', { min: -1 });
    const list = await engine.list({
      all: queryBool(ctx.query, 'all'),
      filters: queryFilters(ctx.query),
      ...(limit !== undefined && limit > 0 ? { limit } : {}),
    });
    sendJson(ctx.res, 200, list.map(toContainerSummaryJson));
  });
  router.add('POST', '/containers/create', async (ctx) => {
    const name = ctx.query.get('name') ?? undefined;
    const options = fromCreateBody(await ctx.json(), name);
    const { id, warnings } = await engine.create(options);
    sendJson(ctx.res, 201, { Id: id, Warnings: warnings });
  });
  router.add('POST', '/containers/prune', async (ctx) => {
    const r = await engine.prune(queryFilters(ctx.query));
    sendJson(ctx.res, 200, { ContainersDeleted: r.deleted, SpaceReclaimed: r.spaceReclaimed });
  });
  router.add('GET', '/containers/{id}/json', async (ctx) => {
    sendJson(ctx.res, 200, toContainerInspectJson(await engine.inspect(ctx.params.id!)));
  });
  router.add('POST', '/containers/{id}/start', async (ctx) => {
    const body = await ctx.json();
    if (body !== undefined && body !== null && Object.keys(body as object).length > 0) {
      throw new ApiBadRequest('starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24', {});
    }
    let started: boolean;
    try {
      started = await engine.start(ctx.params.id!);
    } catch (err) {
      // dockerd removes a --rm container whose start failed; `docker run --rm` then waits for the removal.
      const info = await engine.inspect(ctx.params.id!).catch(() => undefined);
      if (info?.hostConfig.autoRemove === true && !info.state.running) {
        await engine.remove(info.id, { force: true, volumes: true }).catch(() => undefined);
      }
      throw err;
    }
    if (!started) throw new ApiNotModified('Container already started', { id: ctx.params.id! });
    sendNoContent(ctx.res);
  });
  router.add('POST', '/containers/{id}/stop', async (ctx) => {
    const t = queryInt(ctx.query, 't', { min: -1 });
    const signal = ctx.query.get('signal');
    const stopped = await engine.stop(ctx.params.id!, {
      ...(t !== undefined ? { timeout: t } : {}),
      ...(signal !== null && signal !== '' ? { signal } : {}),
    });
    if (!stopped) throw new ApiNotModified('Container already stopped', { id: ctx.params.id! });
    sendNoContent(ctx.res);
  });
  router.add('POST', '/containers/{id}/restart', async (ctx) => {
    const t = queryInt(ctx.query, 't', { min: -1 });
    const signal = ctx.query.get('signal');
    await engine.restart(ctx.params.id!, {
      ...(t !== undefined ? { timeout: t } : {}),
      ...(signal !== null && signal !== '' ? { signal } : {}),
    });
    sendNoContent(ctx.res);
  });
  router.add('POST', '/containers/{id}/kill', async (ctx) => {
    const signal = ctx.query.get('signal');
    await engine.kill(ctx.params.id!, signal !== null && signal !== '' ? signal : undefined);
    sendNoContent(ctx.res);
  });
  router.add('DELETE', '/containers/{id}', async (ctx) => {
    if (queryBool(ctx.query, 'link')) throw new ApiBadRequest('Legacy links are not supported', {});
    await engine.remove(ctx.params.id!, { force: queryBool(ctx.query, 'force'), volumes: queryBool(ctx.query, 'v') });
    sendNoContent(ctx.res);
  });
  router.add('POST', '/containers/{id}/rename', async (ctx) => {
    const name = ctx.query.get('name');
    if (name === null || name === '') throw new ApiBadRequest('Neither old nor new names may be empty', {});
    await engine.rename(ctx.params.id!, name.replace(/^\//, ''));
    sendNoContent(ctx.res);
  });
  router.add('POST', '/containers/{id}/wait', (ctx) => wait(engine, ctx));
  router.add('POST', '/containers/{id}/attach', (ctx) => attach(engine, ctx));
  router.add('GET', '/containers/{id}/logs', (ctx) => logs(engine, ctx));
  router.add('POST', '/containers/{id}/resize', async (ctx) => {
    const { rows, cols } = resizeArgs(ctx);
    await engine.resize(ctx.params.id!, rows, cols);
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });
  router.add('GET', '/containers/{id}/top', async (ctx) => {
    const psArgs = ctx.query.get('ps_args');
    const top = await engine.top(ctx.params.id!, psArgs !== null && psArgs !== '' ? psArgs : undefined);
    sendJson(ctx.res, 200, { Titles: [...top.titles], Processes: top.processes.map((p) => [...p]) });
  });
  router.add('GET', '/containers/{id}/stats', (ctx) => stats(engine, ctx));
  router.add('HEAD', '/containers/{id}/archive', (ctx) => archiveStat(engine, ctx, false));
  router.add('GET', '/containers/{id}/archive', (ctx) => archiveStat(engine, ctx, true));
  router.add('PUT', '/containers/{id}/archive', async (ctx) => {
    const path = archivePath(ctx);
    const id = (await engine.inspect(ctx.params.id!)).id;
    const declared = Number(ctx.req.headers['content-length'] ?? '0');
    if (declared > ARCHIVE_LIMIT) throw new ApiBadRequest(`Archive exceeds ${ARCHIVE_LIMIT} bytes`, { limit: ARCHIVE_LIMIT });
    await engine.copyTo(id, path, ctx.req as Readable);
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });

  // Exec
  router.add('POST', '/containers/{id}/exec', async (ctx) => {
    const opts = execOptionsFrom(await ctx.json());
    const { attachStdout: _o, attachStderr: _e, ...options } = opts;
    const id = await engine.execCreate(ctx.params.id!, options);
    sendJson(ctx.res, 201, { Id: id });
  });
  router.add('POST', '/exec/{id}/start', async (ctx) => {
    const body = (await ctx.json()) ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiBadRequest('Invalid exec start config', {});
    const b = body as Record<string, unknown>;
    for (const k of Object.keys(b)) {
      if (!['Detach', 'Tty', 'ConsoleSize'].includes(k)) throw new ApiBadRequest(`json: unknown field ${JSON.stringify(k)}`, { field: k });
    }
    const info = await engine.execInspect(ctx.params.id!);
    if (info.running || info.exitCode !== null) throw new ApiNotModified(`Exec ${info.id} has already been started`, { id: info.id });
    const session = await engine.execStart(info.id);
    if (b.Detach === true) {
      session.streams.stdin?.end();
      session.streams.stdout.resume();
      session.streams.stderr?.resume();
      ctx.res.writeHead(200, { 'Content-Length': '0' });
      ctx.res.end();
      return;
    }
    const conn = ctx.hijack(session.streams.tty ? RAW_STREAM : MULTIPLEXED_STREAM);
    await joinStreams(session.streams, conn, { beforeClose: () => session.exit.catch(() => undefined) });
  });
  router.add('GET', '/exec/{id}/json', async (ctx) => {
    const e = await engine.execInspect(ctx.params.id!);
    sendJson(ctx.res, 200, {
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: '',
      ExitCode: e.exitCode,
      ID: e.id,
      OpenStderr: true,
      OpenStdin: e.options.attachStdin ?? false,
      OpenStdout: true,
      ProcessConfig: {
        arguments: e.options.cmd.slice(1),
        entrypoint: e.options.cmd[0] ?? '',
        privileged: e.options.privileged ?? false,
        tty: e.options.tty ?? false,
        user: e.options.user ?? '',
      },
      Running: e.running,
      Pid: e.pid,
    });
  });
  router.add('POST', '/exec/{id}/resize', async (ctx) => {
    const { rows, cols } = resizeArgs(ctx);
    await engine.execResize(ctx.params.id!, rows, cols);
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });
}
