/**
 * A container's terminal, received the way containerd's shim and podman's conmon receive it: the runtime
 * creates the pty inside the container and sends its master over `--console-socket` (SCM_RIGHTS, through
 * usocket since Node cannot receive descriptors). Holding the master ourselves is what keeps every byte:
 * a runtime that copies the terminal itself (crun in the foreground) logs whatever it had not copied when the
 * process exits as red, timestamped error lines. It also makes resize real.
 */
import { closeSync, readdirSync, readlink, readlinkSync, readSync, unlink, write } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import tty from 'node:tty';
import { exec } from '../core/index.js';
import { ConsoleFailed } from './errors.js';

interface ConsoleListener {
  readonly path: string;
  /** The pty master's descriptor, once the runtime sent it. Rejects when closed before that. */
  readonly master: Promise<number>;
  /** Stops listening (and removes the socket); a master not yet received is refused. */
  close(): void;
}

/** Listens on `path` for the one pty master a runtime sends for `--console-socket`. */
async function listenConsole(path: string): Promise<ConsoleListener> {
  await mkdir(dirname(path), { recursive: true });
  await new Promise<void>((resolve) => unlink(path, () => resolve()));
  // Loaded on first use: a monitor of a container without a TTY never needs the native addon.
  const { default: usocket } = await import('usocket');
  const server = new usocket.UServer();
  let settle!: { resolve: (fd: number) => void; reject: (err: Error) => void };
  const master = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  master.catch(() => undefined); // observed by whoever awaits it; a listener closed unused is not an error
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    server.close();
    unlink(path, () => undefined);
    settle.reject(new ConsoleFailed('the runtime did not send a terminal', { path }));
  };
  server.on('connection', (conn) => {
    conn.on('fds', (fds) => {
      const [fd, ...extra] = fds;
      for (const x of extra) closeQuietly(x);
      if (fd === undefined) return;
      if (closed) return closeQuietly(fd);
      settle.resolve(fd);
      conn.destroy();
      close();
    });
    conn.on('error', () => undefined);
    conn.resume(); // the byte that travels with the descriptor is not needed
  });
  await new Promise<void>((resolve, reject) => {
    server.on('error', (err) => (closed ? undefined : reject(new ConsoleFailed(`console socket: ${err.message}`, { path }))));
    server.listen(path, () => resolve());
  });
  return { path, master, close };
}

interface Pty {
  /** What the container writes to its terminal. Ends once every holder of the terminal has closed it. */
  readonly output: Readable;
  /** Types into the terminal (ordered; retried while the terminal's input queue is full). */
  write(data: Buffer): void;
  /** Waits for the output to end after the process exited: at most `quietMs` without data, `maxMs` in all. */
  drain(quietMs?: number, maxMs?: number): Promise<void>;
  close(): void;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4)); // Atomics.wait on it is a synchronous 1 ms sleep

/** Wraps a received pty master. The descriptor is owned (and closed) by the returned Pty. */
function openPty(fd: number): Pty {
  const output = new PassThrough();
  const reader = new tty.ReadStream(fd);
  let ended = false;
  let lastData = Date.now();
  const end = () => {
    if (ended) return;
    ended = true;
    output.end();
  };
  reader.on('data', (chunk: Buffer) => {
    lastData = Date.now();
    output.write(chunk);
  });
  // EIO is how a pty master reports that the other side is gone: the normal end of a terminal session.
  reader.on('error', end);
  // libuv ends the stream on a 0-byte read, which a pty master returns while its closing slave side still
  // has output queued (seen losing the last kilobytes of `seq 3000`). The descriptor is still ours inside
  // this handler: read the rest synchronously until EIO, bounded.
  reader.on('end', () => {
    const buf = Buffer.alloc(64 * 1024);
    const deadline = Date.now() + 500;
    for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
      let n = 0;
      try {
        n = readSync(fd, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') break;
        Atomics.wait(PAUSE, 0, 0, 1);
        continue;
      }
      if (n === 0) break;
      output.write(Buffer.from(buf.subarray(0, n)));
    }
    end();
  });
  let queue = Promise.resolve();
  const writeAll = async (data: Buffer) => {
    let off = 0;
    for (let attempt = 0; off < data.length && attempt < 1000 && !ended; ) {
      const n = await new Promise<number>((resolve) => write(fd, data, off, data.length - off, null, (err, written) => resolve(err ? -((err as NodeJS.ErrnoException).code === 'EAGAIN' ? 1 : 2) : written)));
      if (n === -2) return; // terminal closed: what was typed has nowhere to go
      if (n === -1) {
        attempt++;
        await sleep(5);
      } else off += n;
    }
  };
  return {
    output,
    write(data) {
      const copy = Buffer.from(data);
      queue = queue.then(() => writeAll(copy));
    },
    async drain(quietMs = 200, maxMs = 3000) {
      const start = Date.now();
      while (!ended && Date.now() - start < maxMs && Date.now() - Math.max(lastData, start) < quietMs) await sleep(10);
      end();
    },
    close() {
      end();
      reader.destroy();
    },
  };
}

/** A container or exec terminal for one runtime invocation: listen, then read, type and finish. */
export interface Terminal {
  /** What to pass as the runtime's `--console-socket`. */
  readonly socketPath: string;
  /** The terminal's output; ends after finish(). */
  readonly output: Readable;
  /** Types into the terminal; what is typed before the runtime sent it is kept and typed then. */
  write(data: Buffer): void;
  /**
   * After the runtime exited: read everything the process wrote (it stays in the terminal until read), then
   * close. `ran` false: the runtime failed before it could send a terminal, so none is waited for.
   */
  finish(ran: boolean): Promise<void>;
}

export async function openTerminal(socketPath: string): Promise<Terminal> {
  const listener = await listenConsole(socketPath);
  const output = new PassThrough();
  let pty: Pty | undefined;
  let typed: Buffer[] = [];
  const ready = listener.master.then((fd) => {
    pty = openPty(fd);
    pty.output.pipe(output);
    for (const d of typed) pty.write(d);
    typed = [];
  }, () => undefined);
  return {
    socketPath,
    output,
    write(data) {
      if (pty) pty.write(data);
      else typed.push(Buffer.from(data));
    },
    async finish(ran) {
      if (ran) await Promise.race([ready, sleep(1000)]);
      await pty?.drain();
      pty?.close();
      listener.close();
      if (pty === undefined) output.end();
    },
  };
}

/**
 * Sets the window size of the terminal process `pid` has on its stdio (what `docker run -t` / `exec -t`
 * resize do), through the terminal's own device as the process sees it: /proc/PID/root + /proc/PID/fd/N.
 */
export async function resizeTerminal(pid: number, rows: number, cols: number): Promise<void> {
  let dev = '';
  for (const fd of [0, 1, 2]) {
    const target = await new Promise<string>((resolve) => readlink(`/proc/${pid}/fd/${fd}`, (err, t) => resolve(err ? '' : t)));
    if (/^\/dev\/pts\/\d+$/.test(target)) {
      dev = target;
      break;
    }
  }
  if (dev === '') throw new ConsoleFailed(`process ${pid} has no terminal on its stdio`, { path: `/proc/${pid}/fd` });
  const r = await exec(['stty', '-F', `/proc/${pid}/root${dev}`, 'rows', String(rows), 'cols', String(cols)], { check: false });
  if (r.exitCode !== 0) throw new ConsoleFailed(`resize failed: ${r.stderr.toString("utf8").trim()}`, { path: dev });
}

/**
 * Closes pty masters this process inherited. usocket does not receive descriptors close-on-exec, so a
 * process spawned while a session was open holds its master; a long-lived one (a monitor) would keep that
 * terminal allocated for its whole life.
 */
export function closeInheritedPtyMasters(): void {
  let fds: string[] = [];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (fd < 3) continue;
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target === '/dev/ptmx' || target === '/dev/pts/ptmx') closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
