/**
 * docker-compatible container verbs, thin over the engine: flag table, build options, call, print.
 * Engine location: BERTH_ROOT (default /var/lib/berth as root, ./.berth otherwise), BERTH_RUNROOT,
 * BERTH_BRIDGE, BERTH_SUBNET, BERTH_RUNTIME (crun|runc).
 */
import { readFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { InvalidArgument } from '../../core/index.js';
import {
  Engine, StoreImages, loadImageApi, parseBind, parseCpus, parseEnvFile, parseMountFlag, parsePublish, parseRestart, parseSize,
  parseUlimit, type ContainerCreateOptions, type HostConfig, type NetworkMode, type RuntimeName, type EngineOptions,
} from '../../engine/index.js';
import type { CommandContext } from '../context.js';
import { bool, list, parseFlags, str, type FlagTable } from './flags.js';
import { dockerInspect, formatPort, psContext, PS_DEFAULT_FORMAT, PS_HEADERS } from './render.js';
import { display, parseTemplate, tabwrite } from './template.js';

export function engineOptions(ctx: CommandContext): EngineOptions {
  const e = ctx.env;
  const o: { -readonly [K in keyof EngineOptions]: EngineOptions[K] } = {};
  if (e.BERTH_ROOT) o.root = e.BERTH_ROOT;
  if (e.BERTH_RUNROOT) o.runRoot = e.BERTH_RUNROOT;
  if (e.BERTH_BRIDGE) o.bridge = e.BERTH_BRIDGE;
  if (e.BERTH_SUBNET) o.subnet = e.BERTH_SUBNET;
  if (e.BERTH_RUNTIME === 'crun' || e.BERTH_RUNTIME === 'runc') o.defaultRuntime = e.BERTH_RUNTIME;
  o.onNote = (n) => ctx.stderr.write(`note: ${n}\n`);
  return o;
}

export async function openEngine(ctx: CommandContext): Promise<Engine> {
  const options = engineOptions(ctx);
  const root = options.root ?? (process.getuid?.() === 0 ? '/var/lib/berth' : `${ctx.cwd}/.berth`);
  return new Engine(await StoreImages.open(root), { ...options, root });
}

const bad = (message: string) => new InvalidArgument(message, {});

// ---- run / create ---------------------------------------------------------------------------------

export const CREATE_FLAGS: FlagTable = {
  detach: { type: 'bool', short: 'd' },
  rm: { type: 'bool' },
  interactive: { type: 'bool', short: 'i' },
  tty: { type: 'bool', short: 't' },
  name: { type: 'string' },
  env: { type: 'list', short: 'e' },
  'env-file': { type: 'list' },
  workdir: { type: 'string', short: 'w' },
  user: { type: 'string', short: 'u' },
  entrypoint: { type: 'string' },
  volume: { type: 'list', short: 'v' },
  mount: { type: 'list' },
  tmpfs: { type: 'list' },
  'read-only': { type: 'bool' },
  publish: { type: 'list', short: 'p' },
  'publish-all': { type: 'bool', short: 'P' },
  expose: { type: 'list' },
  network: { type: 'string', alias: ['net'] },
  hostname: { type: 'string', short: 'h' },
  memory: { type: 'string', short: 'm' },
  cpus: { type: 'string' },
  'pids-limit': { type: 'string' },
  'cap-add': { type: 'list' },
  'cap-drop': { type: 'list' },
  'security-opt': { type: 'list' },
  privileged: { type: 'bool' },
  restart: { type: 'string' },
  label: { type: 'list', short: 'l' },
  init: { type: 'bool' },
  runtime: { type: 'string' },
  ulimit: { type: 'list' },
  pid: { type: 'string' },
  ipc: { type: 'string' },
  uts: { type: 'string' },
  'stop-signal': { type: 'string' },
  'stop-timeout': { type: 'string' },
  'shm-size': { type: 'string' },
  'add-host': { type: 'list' },
  dns: { type: 'list' },
  spc: { type: 'bool' },
  'sig-proxy': { type: 'bool' },
  attach: { type: 'list', short: 'a' },
  quiet: { type: 'bool', short: 'q' },
  pull: { type: 'string' },
};

/** Flags + positionals of run/create → engine create options. */
export async function createOptionsFrom(argv: readonly string[], ctx: CommandContext): Promise<{ options: ContainerCreateOptions; flags: ReturnType<typeof parseFlags>['values'] }> {
  const { values: v, positionals } = parseFlags(argv, CREATE_FLAGS, true);
  const [image, ...cmd] = positionals;
  if (image === undefined) throw bad('"run"/"create" requires at least 1 argument: IMAGE [COMMAND] [ARG...]');
  const env: string[] = [];
  for (const f of list(v['env-file'])) env.push(...parseEnvFile(await readFile(f, 'utf8'), ctx.env));
  for (const e of list(v.env)) env.push(e.includes('=') ? e : ctx.env[e] !== undefined ? `${e}=${ctx.env[e]}` : e);
  const publishIp = '127.0.0.1';
  const spc = bool(v.spc);
  const name = str(v.name);
  const binds = [...list(v.volume)];
  const envAll = [...env];
  if (spc) {
    // atomic's super-privileged container: host namespaces except mount, / at /host, /run shared.
    binds.push('/:/host', '/run:/run', '/etc/localtime:/etc/localtime');
    envAll.push('HOST=/host', `IMAGE=${image}`, `NAME=${name ?? image.split('/').pop()!.split(':')[0]!}`, 'SYSTEMD_IGNORE_CHROOT=1');
  }
  const tmpfs: Record<string, string> = {};
  for (const t of list(v.tmpfs)) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  const net = str(v.network) ?? (spc ? 'host' : 'bridge');
  const networkMode: NetworkMode = net === 'default' ? 'bridge' : (net as NetworkMode);
  if (!['bridge', 'none', 'host'].includes(networkMode)) throw bad(`network ${JSON.stringify(net)} not found (supported: bridge, none, host)`);
  const runtime = str(v.runtime);
  if (runtime !== undefined && runtime !== 'crun' && runtime !== 'runc') throw bad(`unknown or invalid runtime name: ${runtime}`);
  const host: { -readonly [K in keyof HostConfig]: HostConfig[K] } = {
    binds,
    mounts: list(v.mount).map(parseMountFlag),
    tmpfs,
    readOnlyRootfs: bool(v['read-only']),
    portBindings: list(v.publish).flatMap((p) => parsePublish(p, publishIp)),
    publishAllPorts: bool(v['publish-all']),
    networkMode,
    capAdd: list(v['cap-add']),
    capDrop: list(v['cap-drop']),
    securityOpt: list(v['security-opt']),
    privileged: bool(v.privileged) || spc,
    restartPolicy: parseRestart(str(v.restart) ?? 'no'),
    autoRemove: bool(v.rm),
    init: bool(v.init),
    ulimits: list(v.ulimit).map(parseUlimit),
    extraHosts: list(v['add-host']),
    dns: list(v.dns),
  };
  if (bool(v.rm) && host.restartPolicy!.name !== 'no') throw bad('Conflicting options: --restart and --rm');
  if (runtime) host.runtime = runtime as RuntimeName;
  if (str(v.memory)) host.memory = parseSize(str(v.memory)!);
  if (str(v.cpus)) host.nanoCpus = parseCpus(str(v.cpus)!);
  if (str(v['pids-limit'])) host.pidsLimit = Number(str(v['pids-limit']));
  if (str(v['shm-size'])) host.shmSize = parseSize(str(v['shm-size'])!);
  const pid = str(v.pid) ?? (spc ? 'host' : undefined);
  const ipc = str(v.ipc) ?? (spc ? 'host' : undefined);
  if (pid === 'host') host.pidMode = 'host';
  if (ipc === 'host') host.ipcMode = 'host';
  if (str(v.uts) === 'host') host.utsMode = 'host';
  const labels: Record<string, string> = {};
  for (const l of list(v.label)) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  const options: { -readonly [K in keyof ContainerCreateOptions]: ContainerCreateOptions[K] } = {
    image,
    env: envAll,
    labels,
    tty: bool(v.tty),
    openStdin: bool(v.interactive),
    stdinOnce: bool(v.interactive) && !bool(v.detach),
    exposedPorts: list(v.expose).map((e) => (e.includes('/') ? e : `${e}/tcp`)),
    host,
  };
  if (cmd.length) options.cmd = cmd;
  if (name !== undefined) options.name = name;
  else if (spc) options.name = `${image.split('/').pop()!.split(':')[0]!}-spc`;
  if (str(v.workdir)) options.workingDir = str(v.workdir)!;
  if (str(v.user) !== undefined) options.user = str(v.user)!;
  if (str(v.hostname)) options.hostname = str(v.hostname)!;
  if (str(v.entrypoint) !== undefined) options.entrypoint = str(v.entrypoint) === '' ? [''] : [str(v.entrypoint)!];
  if (str(v['stop-signal'])) options.stopSignal = str(v['stop-signal'])!;
  if (str(v['stop-timeout'])) options.stopTimeout = Number(str(v['stop-timeout']));
  return { options, flags: v };
}

/**
 * docker's pull policy for run/create: `missing` (default) pulls an absent image, `always` pulls first, `never`
 * does not. Under the test runner (BERTH_TEST=1) only loopback registries are ever contacted.
 */
async function createPulling(engine: Engine, options: ContainerCreateOptions, policy: string, ctx: CommandContext): Promise<{ id: string; warnings: string[] }> {
  const pull = async () => {
    const { pullImage, isLoopbackRegistry, parseReferenceDomain } = await pullApi();
    if (ctx.env.BERTH_TEST === '1' && !isLoopbackRegistry(parseReferenceDomain(options.image))) throw bad(`Not pulling ${JSON.stringify(options.image)} under the test runner (not a loopback registry)`);
    const store = await (engine.images as StoreImages).store();
    const r = await pullImage(store, options.image, { onProgress: (m: { status?: string; id?: string }) => { if (m.status && !m.id) ctx.stderr.write(`${m.status}\n`); } });
    ctx.stderr.write(`Digest: ${r.digest}\nStatus: Downloaded newer image for ${r.reference}\n`);
  };
  if (policy === 'always') await pull();
  try {
    return await engine.create(options);
  } catch (err) {
    if (policy !== 'missing' || (err as { code?: string }).code !== 'ENGINE_NO_SUCH_IMAGE' || !(engine.images instanceof StoreImages)) throw err;
    ctx.stderr.write(`Unable to find image '${options.image}' locally\n`);
    await pull();
    return engine.create(options);
  }
}

async function pullApi(): Promise<{
  pullImage: (store: unknown, ref: string, o: object) => Promise<{ digest: string; reference: string }>;
  isLoopbackRegistry: (domain: string) => boolean;
  parseReferenceDomain: (ref: string) => string;
}> {
  const api = await loadImageApi();
  const formats = await import('../../formats/index.js');
  return {
    pullImage: api.pullImage as never,
    isLoopbackRegistry: api.isLoopbackRegistry as never,
    parseReferenceDomain: (ref: string) => (formats.parseReference(ref) as { domain: string }).domain,
  };
}

export async function create(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const engine = (await openEngine(ctx));
  const { options, flags } = await createOptionsFrom(argv, ctx);
  const { id, warnings } = await createPulling(engine, options, str(flags.pull) ?? 'missing', ctx);
  for (const w of warnings) ctx.stderr.write(`WARNING: ${w}\n`);
  ctx.stdout.write(`${id}\n`);
  return 0;
}

/** Copy attached output to the terminal; stdin from ours when -i. Resolves with the exit code. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const engine = (await openEngine(ctx));
  const { options, flags } = await createOptionsFrom(argv, ctx);
  const { id, warnings } = await createPulling(engine, options, str(flags.pull) ?? 'missing', ctx);
  for (const w of warnings) ctx.stderr.write(`WARNING: ${w}\n`);
  if (bool(flags.detach)) {
    try {
      await engine.start(id);
    } catch (err) {
      if (options.host?.autoRemove) await engine.remove(id, { force: true }).catch(() => undefined);
      throw err;
    }
    ctx.stdout.write(`${id}\n`);
    return 0;
  }
  const streams = await engine.attach(id, { stdin: options.openStdin ?? false, stdout: true, stderr: true });
  streams.stdout.pipe(ctx.stdout, { end: false });
  streams.stderr?.pipe(ctx.stderr, { end: false });
  const stdinTty = ctx.stdin as NodeJS.ReadStream;
  let restoreRaw = false;
  if (streams.stdin) {
    if (options.tty && stdinTty.isTTY && typeof stdinTty.setRawMode === 'function') {
      stdinTty.setRawMode(true);
      restoreRaw = true;
    }
    ctx.stdin.pipe(streams.stdin);
  }
  try {
    await engine.start(id);
  } catch (err) {
    streams.close();
    if (options.host?.autoRemove) await engine.remove(id, { force: true }).catch(() => undefined);
    throw err;
  }
  const result = await engine.wait(id, 'not-running');
  await Promise.race([streams.done, new Promise((r) => setTimeout(r, 2000).unref())]); // unref: never hold the exit
  if (streams.stdin) ctx.stdin.unpipe(streams.stdin);
  if (restoreRaw) stdinTty.setRawMode(false);
  (ctx.stdin as NodeJS.ReadStream).pause?.();
  if (options.host?.autoRemove) {
    // Remove it here (the monitor defers to an attached client), then make sure it is gone.
    const rec = await engine.readRecord(id).catch(() => undefined);
    if (rec) await engine.removeStopped(rec, true).catch(() => undefined);
    await engine.wait(id, 'removed', AbortSignal.timeout(30_000)).catch(() => undefined);
  }
  if (result.error) ctx.stderr.write(`error: ${result.error}\n`);
  return result.statusCode;
}

// ---- lifecycle verbs --------------------------------------------------------------------------------

function needArgs(positionals: readonly string[], verb: string, min = 1): void {
  if (positionals.length < min) throw bad(`"${verb}" requires at least ${min} argument${min > 1 ? 's' : ''}`);
}

/** Apply `fn` to each container; docker prints each ref on success and errors at the end. */
async function eachRef(refs: readonly string[], ctx: CommandContext, fn: (ref: string) => Promise<void>, echo = true): Promise<number> {
  let failed = 0;
  for (const ref of refs) {
    try {
      await fn(ref);
      if (echo) ctx.stdout.write(`${ref}\n`);
    } catch (err) {
      failed++;
      ctx.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

export async function start(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, { attach: { type: 'bool', short: 'a' }, interactive: { type: 'bool', short: 'i' } });
  needArgs(positionals, 'start');
  const engine = (await openEngine(ctx));
  if (bool(v.attach) && positionals.length === 1) {
    const ref = positionals[0]!;
    const streams = await engine.attach(ref, { stdin: bool(v.interactive), stdout: true, stderr: true });
    streams.stdout.pipe(ctx.stdout, { end: false });
    streams.stderr?.pipe(ctx.stderr, { end: false });
    if (streams.stdin) ctx.stdin.pipe(streams.stdin);
    await engine.start(ref);
    const r = await engine.wait(ref, 'not-running');
    await Promise.race([streams.done, new Promise((res) => setTimeout(res, 2000).unref())]);
    return r.statusCode;
  }
  return eachRef(positionals, ctx, async (ref) => void (await engine.start(ref)));
}

export async function stop(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, { time: { type: 'string', short: 't', alias: ['timeout'] }, signal: { type: 'string', short: 's' } });
  needArgs(positionals, 'stop');
  const engine = (await openEngine(ctx));
  const opts = { ...(str(v.time) !== undefined ? { timeout: Number(str(v.time)) } : {}), ...(str(v.signal) ? { signal: str(v.signal)! } : {}) };
  return eachRef(positionals, ctx, async (ref) => void (await engine.stop(ref, opts)));
}

export async function restart(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, { time: { type: 'string', short: 't', alias: ['timeout'] }, signal: { type: 'string', short: 's' } });
  needArgs(positionals, 'restart');
  const engine = (await openEngine(ctx));
  const opts = str(v.time) !== undefined ? { timeout: Number(str(v.time)) } : {};
  return eachRef(positionals, ctx, (ref) => engine.restart(ref, opts));
}

export async function kill(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, { signal: { type: 'string', short: 's' } });
  needArgs(positionals, 'kill');
  const engine = (await openEngine(ctx));
  return eachRef(positionals, ctx, (ref) => engine.kill(ref, str(v.signal) ?? 'SIGKILL'));
}

export async function rm(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, { force: { type: 'bool', short: 'f' }, volumes: { type: 'bool', short: 'v' }, link: { type: 'bool', short: 'l' } });
  needArgs(positionals, 'rm');
  const engine = (await openEngine(ctx));
  return eachRef(positionals, ctx, (ref) => engine.remove(ref, { force: bool(v.force), volumes: bool(v.volumes) }));
}

export async function wait(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  needArgs(positionals, 'wait');
  const engine = (await openEngine(ctx));
  let rc = 0;
  for (const ref of positionals) {
    const r = await engine.wait(ref, 'not-running');
    ctx.stdout.write(`${r.statusCode}\n`);
    rc = 0;
  }
  return rc;
}

export async function rename(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length !== 2) throw bad('"rename" requires exactly 2 arguments: CONTAINER NEW_NAME');
  await (await openEngine(ctx)).rename(positionals[0]!, positionals[1]!);
  return 0;
}

// ---- ps / inspect / logs / port / top / stats ---------------------------------------------------------

function filtersFrom(list0: readonly string[]): Record<string, string[]> {
  const f: Record<string, string[]> = {};
  for (const kv of list0) {
    const i = kv.indexOf('=');
    if (i < 0) throw bad(`bad format of filter (expected name=value): ${kv}`);
    (f[kv.slice(0, i)] ??= []).push(kv.slice(i + 1));
  }
  return f;
}

export async function ps(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v } = parseFlags(argv, {
    all: { type: 'bool', short: 'a' }, quiet: { type: 'bool', short: 'q' }, filter: { type: 'list', short: 'f' },
    format: { type: 'string' }, 'no-trunc': { type: 'bool' }, last: { type: 'string', short: 'n' }, latest: { type: 'bool', short: 'l' },
    size: { type: 'bool', short: 's' },
  });
  const engine = (await openEngine(ctx));
  const limit = bool(v.latest) ? 1 : str(v.last) ? Number(str(v.last)) : undefined;
  const rows = await engine.list({ all: bool(v.all) || limit !== undefined, filters: filtersFrom(list(v.filter)), ...(limit ? { limit } : {}) });
  const trunc = !bool(v['no-trunc']);
  if (bool(v.quiet)) {
    for (const r of rows) ctx.stdout.write(`${trunc ? r.id.slice(0, 12) : r.id}\n`);
    return 0;
  }
  const now = Date.now();
  const format = str(v.format) ?? PS_DEFAULT_FORMAT;
  if (format === 'json') {
    for (const r of rows) ctx.stdout.write(`${JSON.stringify(psContext(r, { trunc, now }), (k, val: unknown) => (k === 'LabelsMap' ? undefined : val))}\n`);
    return 0;
  }
  const tpl = parseTemplate(format);
  const lines = rows.map((r) => tpl.render(psContext(r, { trunc, now })));
  if (tpl.table) ctx.stdout.write(tabwrite([tpl.header(PS_HEADERS), ...lines]));
  else ctx.stdout.write(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

export async function inspect(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, { format: { type: 'string', short: 'f' }, type: { type: 'string' }, size: { type: 'bool', short: 's' } });
  needArgs(positionals, 'inspect');
  const type = str(v.type);
  if (type !== undefined && type !== 'container' && type !== 'image') throw new InvalidArgument(`"${type}" is not a valid value for --type`, { argv });
  const docs: Record<string, unknown>[] = [];
  let failed = false;
  // Like docker: containers first, then images (the image store is opened only when a name is not a container).
  const engine = type === 'image' ? undefined : await openEngine(ctx);
  for (const ref of positionals) {
    if (engine !== undefined) {
      try {
        docs.push(dockerInspect(await engine.inspect(ref)));
        continue;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENGINE_NO_SUCH_CONTAINER') {
          failed = true;
          ctx.stderr.write(`Error: ${(err as Error).message}\n`);
          continue;
        }
      }
    }
    const image = type === 'container' ? undefined : await inspectImage(ctx, ref);
    if (image !== undefined) docs.push(image);
    else {
      failed = true;
      ctx.stderr.write(`Error: No such object: ${ref}\n`);
    }
  }
  const format = str(v.format);
  if (format) {
    const tpl = parseTemplate(format);
    for (const d of docs) ctx.stdout.write(`${tpl.render(d)}\n`);
  } else ctx.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
  return failed ? 1 : 0;
}

/** Docker's image inspect object for `ref` from the image store, undefined when there is no such image. */
async function inspectImage(ctx: CommandContext, ref: string): Promise<Record<string, unknown> | undefined> {
  const [{ inspectImages }, { openStore }] = await Promise.all([import('../image/inspect.js'), import('../image/common.js')]);
  return (await inspectImages(await openStore(ctx), [ref])).found[0];
}

/** --since/--until: RFC 3339, unix seconds, or a duration back from now (10m, 1h30m, 45s). */
export function parseTimeArg(s: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (dur && s !== '') return (now - ((Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0)) * 1000)) / 1000;
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw bad(`invalid time value ${JSON.stringify(s)}`);
  return t / 1000;
}

export async function logs(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, {
    follow: { type: 'bool', short: 'f' }, tail: { type: 'string', short: 'n' }, since: { type: 'string' }, until: { type: 'string' },
    timestamps: { type: 'bool', short: 't' }, details: { type: 'bool' },
  });
  if (positionals.length !== 1) throw bad('"logs" requires exactly 1 argument');
  const engine = (await openEngine(ctx));
  const tail = str(v.tail);
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    for await (const e of engine.logs(positionals[0]!, {
      follow: bool(v.follow), timestamps: bool(v.timestamps), signal: ac.signal,
      ...(tail !== undefined && tail !== 'all' ? { tail: Number(tail) } : {}),
      ...(str(v.since) ? { since: parseTimeArg(str(v.since)!) } : {}),
      ...(str(v.until) ? { until: parseTimeArg(str(v.until)!) } : {}),
    })) {
      const out = e.stream === 'stderr' ? ctx.stderr : ctx.stdout;
      if (bool(v.timestamps)) out.write(`${e.time} `);
      out.write(e.line);
    }
  } finally {
    process.off('SIGINT', onSig);
  }
  return 0;
}

export async function port(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  needArgs(positionals, 'port');
  const info = await (await openEngine(ctx)).inspect(positionals[0]!);
  const want = positionals[1];
  const ports = info.network.ports.filter((p) => {
    if (want === undefined) return true;
    const [n, proto = 'tcp'] = want.split('/');
    return String(p.containerPort) === n && p.protocol === proto;
  });
  if (want !== undefined && ports.length === 0) throw bad(`No public port '${want.includes('/') ? want : `${want}/tcp`}' published for ${positionals[0]}`);
  for (const p of ports) ctx.stdout.write(want === undefined ? `${p.containerPort}/${p.protocol} -> ${p.hostIp}:${p.hostPort}\n` : `${p.hostIp}:${p.hostPort}\n`);
  void formatPort;
  return 0;
}

export async function top(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  needArgs(positionals, 'top');
  const r = await (await openEngine(ctx)).top(positionals[0]!, positionals.slice(1).join(' '));
  ctx.stdout.write(tabwrite([r.titles.join('\t'), ...r.processes.map((p) => p.join('\t'))], 10, 3));
  return 0;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(2).replace(/\.?0+$/, (m) => (m.startsWith('.') ? '' : m))}${units[i]}`;
}

export async function stats(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, { 'no-stream': { type: 'bool' }, all: { type: 'bool', short: 'a' }, format: { type: 'string' }, 'no-trunc': { type: 'bool' } });
  const engine = (await openEngine(ctx));
  const refs = positionals.length ? positionals : (await engine.list({ all: bool(v.all) })).map((c) => c.id);
  const sample = async () => {
    const rows: Array<Record<string, string>> = [];
    for (const ref of refs) {
      const a = await engine.stats(ref);
      await new Promise((r) => setTimeout(r, 100));
      const b = await engine.stats(ref);
      const dSys = b.systemCpuNs - a.systemCpuNs;
      const cpu = dSys > 0 ? ((b.cpuTotalNs - a.cpuTotalNs) / dSys) * b.onlineCpus * 100 : 0;
      rows.push({
        Container: b.id.slice(0, 12), ID: b.id.slice(0, 12), Name: b.name, CPUPerc: `${cpu.toFixed(2)}%`,
        MemUsage: `${bytes(b.memoryUsage)} / ${bytes(b.memoryLimit)}`, MemPerc: `${b.memoryLimit ? ((b.memoryUsage / b.memoryLimit) * 100).toFixed(2) : '0.00'}%`,
        NetIO: `${bytes(b.netRxBytes)} / ${bytes(b.netTxBytes)}`, BlockIO: `${bytes(b.blockRead)} / ${bytes(b.blockWrite)}`, PIDs: String(b.pids),
      });
    }
    const format = str(v.format) ?? 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
    const tpl = parseTemplate(format);
    const headers = { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };
    const lines = rows.map((r) => tpl.render(r));
    ctx.stdout.write(tpl.table ? tabwrite([tpl.header(headers), ...lines]) : lines.map((l) => `${l}\n`).join(''));
  };
  await sample();
  if (!bool(v['no-stream'])) {
    for (let i = 0; i < 1_000_000; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      await sample();
    }
  }
  return 0;
}

// ---- exec / cp ----------------------------------------------------------------------------------------

export async function exec(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, {
    interactive: { type: 'bool', short: 'i' }, tty: { type: 'bool', short: 't' }, user: { type: 'string', short: 'u' },
    env: { type: 'list', short: 'e' }, workdir: { type: 'string', short: 'w' }, detach: { type: 'bool', short: 'd' },
    privileged: { type: 'bool' },
  }, true);
  const [ref, ...cmd] = positionals;
  if (ref === undefined || cmd.length === 0) throw bad('"exec" requires at least 2 arguments: CONTAINER COMMAND [ARG...]');
  const engine = (await openEngine(ctx));
  const execId = await engine.execCreate(ref, {
    cmd, env: list(v.env), tty: bool(v.tty), attachStdin: bool(v.interactive), privileged: bool(v.privileged),
    ...(str(v.user) ? { user: str(v.user)! } : {}), ...(str(v.workdir) ? { workingDir: str(v.workdir)! } : {}),
  });
  const session = await engine.execStart(execId);
  if (bool(v.detach)) return 0;
  const s = session.streams;
  s.stdout.pipe(ctx.stdout, { end: false });
  s.stderr?.pipe(ctx.stderr, { end: false });
  const tty = ctx.stdin as NodeJS.ReadStream;
  let raw = false;
  if (s.stdin) {
    if (bool(v.tty) && tty.isTTY && typeof tty.setRawMode === 'function') {
      tty.setRawMode(true);
      raw = true;
    }
    ctx.stdin.pipe(s.stdin);
  }
  const code = await session.exit;
  await new Promise((r) => setImmediate(r));
  if (s.stdin) ctx.stdin.unpipe(s.stdin);
  if (raw) tty.setRawMode(false);
  (ctx.stdin as NodeJS.ReadStream).pause?.();
  return code;
}

/** berth cp CONTAINER:SRC DEST | SRC CONTAINER:DEST ('-' = tar on stdin/stdout). */
export async function cp(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parseFlags(argv, { archive: { type: 'bool', short: 'a' }, 'follow-link': { type: 'bool', short: 'L' } });
  if (positionals.length !== 2) throw bad('"cp" requires exactly 2 arguments');
  const [src = '', dst = ''] = positionals;
  const engine = (await openEngine(ctx));
  const split = (s: string) => {
    const m = /^([^/:][^:]*):(.*)$/.exec(s);
    return m ? { ref: m[1]!, path: m[2]! } : undefined;
  };
  const from = split(src);
  const to = split(dst);
  if (from && !to) {
    const tar = await engine.copyFrom(from.ref, from.path);
    if (dst === '-') await pipeline(tar, ctx.stdout, { end: false });
    else {
      const { copyToLocal } = await import('./cp-local.js');
      await copyToLocal(tar, dst);
    }
    return 0;
  }
  if (to && !from) {
    let tar: Readable;
    if (src === '-') tar = ctx.stdin as Readable;
    else {
      const { packLocal } = await import('./cp-local.js');
      tar = await packLocal(src);
    }
    await engine.copyTo(to.ref, to.path, tar);
    return 0;
  }
  throw bad('copying between containers is not supported; one of SRC and DEST must be CONTAINER:PATH');
}

export async function prune(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v } = parseFlags(argv, { force: { type: 'bool', short: 'f' }, filter: { type: 'list' } });
  const r = await (await openEngine(ctx)).prune(filtersFrom(list(v.filter)));
  ctx.stdout.write(r.deleted.length ? `Deleted Containers:\n${r.deleted.map((d) => `${d}\n`).join('')}\n` : '');
  ctx.stdout.write(`Total reclaimed space: ${bytes(r.spaceReclaimed)}\n`);
  return 0;
}

export async function events(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v } = parseFlags(argv, { since: { type: 'string' }, until: { type: 'string' }, filter: { type: 'list', short: 'f' }, format: { type: 'string' } });
  const engine = (await openEngine(ctx));
  const tpl = str(v.format) ? parseTemplate(str(v.format)!) : undefined;
  for await (const e of engine.events({
    filters: filtersFrom(list(v.filter)),
    ...(str(v.since) ? { since: parseTimeArg(str(v.since)!) } : {}),
    ...(str(v.until) ? { until: parseTimeArg(str(v.until)!) } : {}),
  })) {
    if (tpl) ctx.stdout.write(`${tpl.render({ Type: e.type, Action: e.action, Actor: { ID: e.id, Attributes: e.attributes }, ID: e.id, time: e.time, timeNano: e.timeNano })}\n`);
    else {
      const t = new Date(e.timeNano / 1e6).toISOString().replace('Z', '');
      const attrs = Object.entries(e.attributes).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => `${k}=${x}`).join(', ');
      ctx.stdout.write(`${t}000000+00:00 ${e.type} ${e.action} ${e.id} (${attrs})\n`);
    }
  }
  void display;
  return 0;
}

export { createReadStream, createWriteStream };
