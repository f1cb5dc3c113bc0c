/**
 * The Docker Engine API's multiplexed stream ("stdcopy"): what attach, exec and logs send when the
 * container has no TTY. Each frame is an 8-byte header `[stream, 0, 0, 0, size (uint32 big-endian)]`
 * followed by `size` payload bytes. Stream 0 is stdin, 1 stdout, 2 stderr, 3 a system error (the Go
 * client's stdcopy turns a type-3 frame into an error). With a TTY the stream is raw, unframed.
 * Pure: bytes in, bytes out.
 */
import { defineError } from '../core/index.js';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_SYSTEMERR = 3;
export type StreamId = 0 | 1 | 2 | 3;

export const FRAME_HEADER_SIZE = 8;
/** Larger payloads are split; Docker's own writer never frames more than this in one header anyway. */
export const MAX_FRAME_PAYLOAD = 0xffff_ffff;

export const StreamFrameInvalid = defineError<{ offset: number; header: readonly number[] }>(
  'FORMAT_STREAM_FRAME_INVALID',
  'corrupt',
);

export interface StreamFrame {
  readonly stream: StreamId;
  readonly payload: Uint8Array;
}

export function encodeStreamFrame(stream: StreamId, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`Frame payload too large: ${payload.length} bytes`);
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, payload.length, false);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** Just the header, so a writer can send header and payload without copying the payload. */
export function encodeStreamHeader(stream: StreamId, size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0 || size > MAX_FRAME_PAYLOAD) throw new RangeError(`Bad frame size ${size}`);
  const out = new Uint8Array(FRAME_HEADER_SIZE);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, size, false);
  return out;
}

/**
 * Incremental decoder: push chunks as they arrive (split anywhere), take whole frames out.
 * A header whose stream byte is not 0-3 or whose padding is not zero is corrupt.
 */
export class StreamFrameDecoder {
  #pending: Uint8Array = new Uint8Array(0);
  #consumed = 0;

  push(chunk: Uint8Array): StreamFrame[] {
    const buf = this.#pending.length === 0 ? chunk : concat(this.#pending, chunk);
    const frames: StreamFrame[] = [];
    let at = 0;
    while (buf.length - at >= FRAME_HEADER_SIZE) {
      const stream = buf[at]!;
      if (stream > 3 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) {
        throw new StreamFrameInvalid(`Invalid stream frame header at offset ${this.#consumed + at}`, {
          offset: this.#consumed + at,
          header: [...buf.subarray(at, at + FRAME_HEADER_SIZE)],
        });
      }
      const size = new DataView(buf.buffer, buf.byteOffset + at + 4, 4).getUint32(0, false);
      if (buf.length - at - FRAME_HEADER_SIZE < size) break;
      const start = at + FRAME_HEADER_SIZE;
      frames.push({ stream: stream as StreamId, payload: buf.slice(start, start + size) });
      at = start + size;
    }
    this.#consumed += at;
    this.#pending = buf.slice(at);
    return frames;
  }

  /** Bytes of a frame still incomplete; non-zero at end of stream means it was cut short. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
