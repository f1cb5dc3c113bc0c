/**
 * Hijacked connections for attach and exec start. docker CLI 28.2 sends `Connection: Upgrade`,
 * `Upgrade: tcp` and requires `101 UPGRADED`; after that the socket is a raw byte pipe: client→server
 * is stdin (never framed), server→client is output (framed without a TTY). The client half-closes
 * (SHUT_WR) when it has no more stdin: that is not a detach, output keeps flowing until the process
 * ends. Clients that do not ask for an upgrade (older libraries) get the legacy form: `200 OK` with the
 * request body as stdin and the response body as output.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ApiBadRequest } from './errors.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

export interface Hijacked {
  /** Bytes the client sends (stdin); ends when the client half-closes. */
  readonly input: Readable;
  /** Resolves false when the peer went away. */
  write(chunk: Uint8Array): Promise<boolean>;
  /** Output finished: close our side. */
  end(): void;
  /** Aborted when the client disconnects entirely. */
  readonly signal: AbortSignal;
}

/** Answers an upgraded request with 101 and hands out the socket. */
export function hijackSocket(socket: Socket, contentType: string): Hijacked {
  socket.setNoDelay(true);
  socket.write(
    `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
  );
  return fromDuplex(socket, socket, () => socket.end());
}

/** Legacy (non-upgraded) attach: 200 with the output as the response body. */
export function hijackResponse(req: IncomingMessage, res: ServerResponse, contentType: string): Hijacked {
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  return fromDuplex(req, res, () => res.end());
}

function fromDuplex(input: Readable, output: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean }, end: () => void): Hijacked {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  (output as unknown as Socket).once('close', abort);
  (output as unknown as Socket).once('error', abort);
  return {
    input,
    signal: controller.signal,
    write(chunk) {
      if (controller.signal.aborted || output.destroyed === true || output.writableEnded === true) return Promise.resolve(false);
      return new Promise((resolve) => {
        const ok = output.write(chunk);
        if (ok) resolve(true);
        else {
          const done = (): void => {
            output.removeListener('drain', done);
            controller.signal.removeEventListener('abort', done);
            resolve(!controller.signal.aborted);
          };
          output.once('drain', done);
          controller.signal.addEventListener('abort', done);
        }
      });
    },
    end() {
      if (output.writableEnded !== true) end();
    },
  };
}

/** Reads exactly `length` bytes (the request body) off an upgraded socket; the rest stays for stdin. */
export function readSocketBytes(socket: Socket, length: number, limit: number): Promise<Buffer> {
  if (length > limit) return Promise.reject(new ApiBadRequest(`Request body exceeds ${limit} bytes`, { limit }));
  if (length <= 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const cleanup = (): void => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onEnd);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      have += chunk.length;
      if (have < length) return;
      cleanup();
      socket.pause();
      const all = Buffer.concat(chunks);
      if (all.length > length) socket.unshift(all.subarray(length));
      resolve(all.subarray(0, length));
    };
    const onEnd = (): void => {
      cleanup();
      reject(new ApiBadRequest('Request body cut short', { expected: length, got: have }));
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
  });
}
