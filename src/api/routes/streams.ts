/**
 * Joins an engine's attached stdio to a hijacked connection: output framed (no TTY) or raw (TTY),
 * client bytes into stdin, half-close of the client ends stdin only, detach keys in TTY mode.
 */
import type { Readable } from 'node:stream';
import type { AttachStreams } from '../../engine/index.js';
import { encodeStreamFrame, STREAM_STDERR, STREAM_STDOUT, type StreamId } from '../../formats/index.js';
import type { Hijacked } from '../hijack.js';

/** ctrl-p ctrl-q, Docker's default detach sequence. */
export const DEFAULT_DETACH_KEYS = [0x10, 0x11];

/** Parses Docker's detachKeys syntax: comma-separated `ctrl-<c>` or single characters. */
export function parseDetachKeys(spec: string | null): number[] {
  if (spec === null || spec === '') return DEFAULT_DETACH_KEYS;
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const ctrl = /^ctrl-(.)$/.exec(part);
    if (ctrl !== null) {
      const c = ctrl[1]!;
      const code = c === '@' ? 0 : c === '[' ? 27 : c === '\\' ? 28 : c === ']' ? 29 : c === '^' ? 30 : c === '_' ? 31 : c.toLowerCase().charCodeAt(0) - 96;
      if (code < 0 || code > 31) return DEFAULT_DETACH_KEYS;
      out.push(code);
    } else if (part.length === 1) out.push(part.charCodeAt(0));
    else return DEFAULT_DETACH_KEYS;
  }
  return out;
}

async function pump(source: Readable, conn: Hijacked, stream: StreamId | 'raw'): Promise<void> {
  for await (const chunk of source) {
    const bytes = chunk as Buffer;
    if (bytes.length === 0) continue;
    const ok = await conn.write(stream === 'raw' ? bytes : encodeStreamFrame(stream, bytes));
    if (!ok) return;
  }
}

export interface JoinOptions {
  /** Detach sequence (TTY with stdin only). */
  readonly detachKeys?: readonly number[];
  /** Called after output ended and before the connection closes (e.g. wait for the exit code). */
  readonly beforeClose?: () => Promise<unknown>;
}

export async function joinStreams(streams: AttachStreams, conn: Hijacked, options: JoinOptions = {}): Promise<void> {
  const onAbort = (): void => streams.close();
  conn.signal.addEventListener('abort', onAbort);
  const stdin = streams.stdin;
  if (stdin !== null) {
    const keys = streams.tty ? (options.detachKeys ?? DEFAULT_DETACH_KEYS) : [];
    let matched = 0;
    conn.input.on('data', (chunk: Buffer) => {
      if (keys.length > 0) {
        for (const b of chunk) {
          matched = b === keys[matched] ? matched + 1 : b === keys[0] ? 1 : 0;
          if (matched === keys.length) {
            streams.close();
            return;
          }
        }
      }
      if (!stdin.destroyed && !stdin.writableEnded && !stdin.write(chunk)) {
        conn.input.pause();
        stdin.once('drain', () => conn.input.resume());
      }
    });
    conn.input.once('end', () => {
      if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
    });
    stdin.on('error', () => undefined);
    conn.input.resume();
  } else {
    conn.input.resume(); // drain and ignore what the client sends
  }
  conn.input.on('error', () => undefined);
  try {
    await Promise.all([
      pump(streams.stdout, conn, streams.tty ? 'raw' : STREAM_STDOUT),
      streams.stderr !== null ? pump(streams.stderr, conn, STREAM_STDERR) : Promise.resolve(),
    ]);
    await streams.done;
    if (options.beforeClose !== undefined) await options.beforeClose();
  } finally {
    conn.signal.removeEventListener('abort', onAbort);
    conn.end();
  }
}
