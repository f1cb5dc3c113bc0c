/**
 * The Node per-container monitor: a detached Node process, used when conmon (the default, see conmon.ts)
 * is not installed or BERTH_MONITOR=node. It writes docker's json-file logs, serves attach clients with
 * our own framing, runs the port proxy in-process and applies restart policies itself; it costs a Node
 * process per container (~14 MiB PSS idle, against conmon's ~0.5 MiB).
 *
 * It is the parent of the OCI runtime's foreground `run` (which is the parent of the container), so it
 * reaps the container and learns its exit code; it writes stdout/stderr as json-file lines, serves attach
 * clients on a Unix socket, runs the userland proxy for published ports, applies the restart policy, and
 * records state in `state.json`. The engine (CLI or daemon) can exit or restart at any time.
 *
 * This file spawns long-lived processes with child_process directly (not core/exec): the runtime child
 * lives as long as the container and its stdio is streamed, which exec() (collect-then-resolve) cannot do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../core/index.js';
import { encodeJsonLogLine, formatNanoTime, LineSplitter, type LogStream } from './json-log.js';
import { runArgv, type RuntimeCommand } from './oci-runtime.js';
import { openTerminal, type Terminal } from './console.js';
import { startPortProxies, type PortProxy, type ProxySpec } from './port-proxy.js';

export interface MonitorConfig {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly bundle: string;
  readonly runtime: RuntimeCommand;
  /** Persistent container directory (state.json, logs, stop-requested). */
  readonly dir: string;
  /** Volatile directory (attach socket, pid file). */
  readonly runDir: string;
  /** Unix socket for attach clients (kept short: sun_path holds 107 bytes). */
  readonly attachSocket: string;
  readonly logPath: string;
  readonly eventsPath: string;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  readonly restartPolicy: { readonly name: string; readonly maximumRetryCount: number };
  readonly autoRemove: boolean;
  /** Attach sessions waiting for this start (in the starting process): the monitor stays for them. */
  readonly expectClients?: number;
  readonly ports: readonly ProxySpec[];
  readonly labels: Readonly<Record<string, string>>;
}

/** What state.json holds (written by the monitor while it lives, by the engine otherwise). */
export interface MonitorState {
  status: 'created' | 'running' | 'restarting' | 'exited' | 'removing' | 'dead';
  pid: number;
  exitCode: number;
  error: string;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  monitorPid: number;
  /** Set when a user stopped the container (stop/rm), so `unless-stopped` stays down. */
  manuallyStopped: boolean;
  oomKilled: boolean;
  ports: ProxySpec[];
  /** Which monitor runs this container (absent in states written before conmon: node). */
  monitor?: 'node' | 'conmon';
  /** conmon only: the userland proxy process of published ports (0: none). */
  proxyPid?: number;
  /** conmon only: the last restart delay (doubles while restarts come quickly, as the Node monitor's). */
  restartBackoffMs?: number;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function emptyState(): MonitorState {
  return {
    status: 'created', pid: 0, exitCode: 0, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME, restartCount: 0,
    monitorPid: 0, manuallyStopped: false, oomKilled: false, ports: [],
  };
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

export function nowRfc3339(): string {
  return formatNanoTime(nowNs());
}

/** Append one docker-style event line (small O_APPEND writes do not interleave). */
export function appendEvent(eventsPath: string, event: { type: string; action: string; id: string; attributes: Record<string, string> }): void {
  const ns = nowNs();
  const line = JSON.stringify({ ...event, time: Number(ns / 1_000_000_000n), timeNano: Number(ns) });
  try {
    appendFileSync(eventsPath, `${line}\n`);
  } catch {
    /* events are best effort: a missing events file must not kill a container */
  }
}

export const STOP_REQUESTED = 'stop-requested';
export const ATTACH_SOCKET = 'attach.sock';
export const MONITOR_PID_FILE = 'monitor.pid';
/** The monitor's entry script (run with node; see monitor-main.ts). */
export const MONITOR_MAIN = fileURLToPath(new URL('./monitor-main.js', import.meta.url));

/** Header an attach client sends first (one JSON line), then raw stdin bytes. */
export interface AttachHeader {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** Replay this run's output from its start (for clients that attached before start). */
  readonly fromStart: boolean;
}

/** Docker's stdcopy frame: [stream, 0, 0, 0, size (uint32 BE)] + payload. */
export function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

const RUN_BUFFER_LIMIT = 1024 * 1024;

interface Client {
  readonly socket: net.Socket;
  readonly header: AttachHeader;
}

export interface MonitorHooks {
  /** Called after the final exit when the container has AutoRemove (the engine's removal). */
  readonly onAutoRemove?: () => Promise<void>;
  /** Called before every (re)start (e.g. re-create the network namespace). */
  readonly beforeStart?: () => Promise<void>;
}

/**
 * Runs until the container has exited for good. `ready` is called once: with the pid after the first start,
 * or with an error when the first start failed.
 */
export async function runMonitor(config: MonitorConfig, hooks: MonitorHooks, ready: (result: { pid: number } | { error: string }) => void): Promise<number> {
  const statePath = `${config.dir}/state.json`;
  let state: MonitorState;
  try {
    state = { ...emptyState(), ...(JSON.parse(await readFile(statePath, 'utf8')) as Partial<MonitorState>) };
  } catch {
    state = emptyState();
  }
  state.monitorPid = process.pid;
  state.manuallyStopped = false;
  state.error = '';
  const save = () => writeFileAtomic(statePath, JSON.stringify(state), { durable: false });
  const event = (action: string, extra: Record<string, string> = {}) =>
    appendEvent(config.eventsPath, { type: 'container', action, id: config.id, attributes: { name: config.name, image: config.image, ...config.labels, ...extra } });

  await mkdir(config.runDir, { recursive: true });
  // systemd units (generate systemd) track the monitor through this file.
  await writeFileAtomic(`${config.runDir}/${MONITOR_PID_FILE}`, `${process.pid}\n`, { durable: false });
  const logFd = openSync(config.logPath, 'a', 0o640);

  // Attach server.
  const clients = new Set<Client>();
  let runBuffer: Buffer[] = [];
  let runBufferSize = 0;
  let child: ChildProcess | undefined;
  let terminal: Terminal | undefined; // this run's, with a TTY
  const toStdin = (d: Buffer) => {
    if (!config.tty) child?.stdin?.write(d);
    else terminal?.write(d);
  };
  const sockPath = config.attachSocket;
  await mkdir(dirname(sockPath), { recursive: true });
  await unlink(sockPath).catch(() => undefined);
  // allowHalfOpen: a client that is done sending stdin (half-close) still receives output until the exit.
  // Every accepted connection, served or not: the monitor does not exit before each has been answered.
  const sockets = new Set<net.Socket>();
  // Between a run's exit and the next start: a client that connects now gets the replay, then the end.
  let runEnded = false;
  let served = 0; // clients whose header arrived
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) {
        if (head.length > 4096) socket.destroy();
        return;
      }
      socket.off('data', onData);
      served++;
      let header: AttachHeader;
      try {
        header = JSON.parse(head.subarray(0, nl).toString('utf8')) as AttachHeader;
      } catch {
        socket.destroy();
        return;
      }
      if (runEnded) {
        if (header.fromStart) for (const f of runBuffer) if (wants(header, f)) socket.write(f);
        socket.end();
        return;
      }
      const client: Client = { socket, header };
      clients.add(client);
      socket.on('close', () => clients.delete(client));
      socket.on('error', () => clients.delete(client));
      if (header.fromStart) for (const f of runBuffer) if (wants(header, f)) socket.write(f);
      const rest = head.subarray(nl + 1);
      if (header.stdin && config.openStdin) {
        if (rest.length) toStdin(rest);
        socket.on('data', (d: Buffer) => toStdin(d));
        socket.on('end', () => {
          // A terminal has no end of input to pass on (as with docker's shim): only a pipe is closed.
          if (config.stdinOnce && !config.tty) child?.stdin?.end();
        });
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sockPath, () => resolve());
  });

  // Stops accepting, then lets connections already accepted finish (a client still sending its header gets
  // the replay and the end), bounded so that a silent client cannot hold the exit.
  const closeServer = async () => {
    // Clients that attached before the start may still be on their way (a busy host): wait for them, bounded.
    for (let i = 0; i < 1500 && served < (config.expectClients ?? 0); i++) await sleep(10);
    server.close();
    for (let i = 0; i < 300 && sockets.size > 0; i++) await sleep(10);
    for (const sock of sockets) sock.destroy();
  };
  const wants = (h: AttachHeader, f: Buffer) => (f[0] === 1 ? h.stdout : h.stderr);
  const emit = (stream: LogStream, data: Buffer) => {
    const f = frame(stream === 'stdout' ? 1 : 2, data);
    runBuffer.push(f);
    runBufferSize += f.length;
    while (runBufferSize > RUN_BUFFER_LIMIT && runBuffer.length > 1) runBufferSize -= runBuffer.shift()!.length;
    for (const c of clients) if (wants(c.header, f)) c.socket.write(f);
  };
  const writeLog = (stream: LogStream, line: Buffer) => {
    try {
      writeSync(logFd, encodeJsonLogLine({ stream, time: nowRfc3339(), log: line }));
    } catch {
      /* disk full: keep the container running, drop the line */
    }
  };

  // Port proxies live as long as the monitor.
  let proxies: PortProxy[] = [];
  try {
    proxies = await startPortProxies(config.ports);
  } catch (err) {
    state.status = 'exited';
    state.exitCode = 128;
    state.error = err instanceof Error ? err.message : String(err);
    await save();
    server.close();
    ready({ error: state.error });
    return 128;
  }
  state.ports = proxies.map((p) => p.spec);

  let first = true;
  let backoffMs = 100;
  for (;;) {
    if (!first) await hooks.beforeStart?.().catch(() => undefined);
    const pidFile = `${config.runDir}/pid`;
    await unlink(pidFile).catch(() => undefined);
    runBuffer = [];
    runBufferSize = 0;
    runEnded = false;
    terminal = config.tty ? await openTerminal(config.attachSocket.replace(/\.sock$/, '.tty')) : undefined; // short: a socket path fits in 107 bytes
    const argv = runArgv(config.runtime, config.id, config.bundle, pidFile, terminal?.socketPath);
    const startedNs = nowNs();
    // With a TTY the runtime's own stdio carries only its diagnostics; the terminal comes over the console socket.
    child = spawn(argv[0]!, argv.slice(1), { stdio: [config.tty ? 'ignore' : 'pipe', 'pipe', 'pipe'], cwd: config.bundle });
    child.stdin?.on('error', () => undefined);
    if (!config.openStdin) child.stdin?.end();
    const splitters = { stdout: new LineSplitter('stdout'), stderr: new LineSplitter('stderr') };
    let started = false;
    const early: Array<[LogStream, Buffer]> = [];
    const onOut = (stream: LogStream) => (chunk: Buffer) => {
      if (!started) {
        early.push([stream, chunk]);
        return;
      }
      emit(stream, chunk);
      for (const line of splitters[stream].push(chunk)) writeLog(stream, line);
    };
    child.stdout?.on('data', onOut('stdout'));
    child.stderr?.on('data', onOut('stderr'));
    terminal?.output.on('data', onOut('stdout'));
    const runTerminal = terminal;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child!.on('close', (code, signal) => resolve({ code, signal }));
      child!.on('error', () => resolve({ code: 127, signal: null }));
    });

    // Wait for the pid file (container running) or an early exit (runtime failure), bounded.
    let pid = 0;
    let done: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void exited.then((d) => (done = d));
    for (let i = 0; i < 3000 && pid === 0 && done === undefined; i++) {
      try {
        pid = Number.parseInt(await readFile(pidFile, 'utf8'), 10) || 0;
      } catch {
        await sleep(i < 100 ? 2 : 10);
      }
    }
    if (pid === 0 && done === undefined) {
      child.kill('SIGKILL');
      done = await exited;
    }

    // A container as short as `true` can run and exit between two polls: the pid file tells it started.
    if (pid === 0) pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10) || 0;
    if (pid !== 0) {
      started = true;
      for (const [stream, chunk] of early) {
        emit(stream, chunk);
        for (const line of splitters[stream].push(chunk)) writeLog(stream, line);
      }
      state.status = 'running';
      state.pid = pid;
      state.startedAt = formatNanoTime(startedNs);
      state.exitCode = 0;
      state.error = '';
      await save();
      event(first ? 'start' : 'restart');
      if (first) ready({ pid });
      first = false;
      done ??= await exited;
      await runTerminal?.finish(true); // all the container wrote is read before the exit is reported
    } else {
      // The runtime failed before the container ran: its stderr is the error, not container output.
      await runTerminal?.finish(false);
      const message = Buffer.concat(early.map(([, b]) => b)).toString('utf8').trim() || `exit ${done?.code}`;
      state.status = first ? 'created' : 'exited';
      state.error = message;
      state.exitCode = 128;
      state.pid = 0;
      state.finishedAt = nowRfc3339();
      state.monitorPid = 0;
      await save();
      if (first) {
        runEnded = true;
        for (const p of proxies) p.close();
        await closeServer();
        closeSync(logFd);
        await rm(`${config.runDir}/${MONITOR_PID_FILE}`, { force: true });
        ready({ error: message });
        return 128;
      }
      event('die', { exitCode: '128' });
      break;
    }
    for (const s of ['stdout', 'stderr'] as const) for (const line of splitters[s].flush()) writeLog(s, line);
    const code = done.code ?? (done.signal ? 128 + (SIGNALS[done.signal] ?? 0) : 255);
    state.status = 'exited';
    state.pid = 0;
    state.exitCode = code;
    state.finishedAt = nowRfc3339();
    const stopRequested = await stat(`${config.dir}/${STOP_REQUESTED}`).then(() => true, () => false);
    if (stopRequested) state.manuallyStopped = true;
    runEnded = true;
    for (const c of clients) c.socket.end();
    clients.clear();
    event('die', { exitCode: String(code) });
    const policy = config.restartPolicy;
    const restart = !stopRequested && (
      policy.name === 'always' || policy.name === 'unless-stopped' ||
      (policy.name === 'on-failure' && code !== 0 && (policy.maximumRetryCount === 0 || state.restartCount < policy.maximumRetryCount)));
    if (!restart) break;
    state.status = 'restarting';
    state.restartCount += 1;
    await save();
    const ranMs = Number((nowNs() - startedNs) / 1_000_000n);
    backoffMs = ranMs > 10_000 ? 100 : Math.min(backoffMs * 2, 60_000);
    await sleep(backoffMs);
    if (await stat(`${config.dir}/${STOP_REQUESTED}`).then(() => true, () => false)) {
      state.status = 'exited';
      state.manuallyStopped = true;
      break;
    }
  }
  runEnded = true;
  state.monitorPid = 0;
  await save();
  for (const p of proxies) p.close();
  await closeServer();
  await rm(sockPath, { force: true });
  await rm(`${config.runDir}/${MONITOR_PID_FILE}`, { force: true });
  closeSync(logFd);
  if (config.autoRemove) await hooks.onAutoRemove?.();
  return state.exitCode;
}

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
};
