import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { sniffCompression } from '../formats/oci/index.js';
import { UnsafeLayer } from './errors.js';

/**
 * Decompresses a layer stream whatever its compression, told by magic bytes as moby's loader does
 * (media types lie: skopeo labels plain docker-archive layers as gzip). gzip through zlib, zstd
 * through fzstd (Node 20's zlib has no zstd), plain tar passed through.
 */
export async function* decompressLayer(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 6) {
    const r = await it.next();
    if (r.done) break;
    head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.from(r.value);
    }
  }
  const kind = sniffCompression(head);
  if (kind === 'none') {
    yield* rest();
  } else if (kind === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    pipeline(Readable.from(rest()), gunzip, () => undefined);
    for await (const chunk of gunzip) yield chunk as Buffer;
  } else if (kind === 'zstd') {
    const out: Buffer[] = [];
    const { Decompress } = await import('fzstd'); // only zstd layers pay for the decoder
    const d = new Decompress((chunk) => {
      out.push(Buffer.from(chunk));
    });
    for await (const chunk of rest()) {
      d.push(chunk);
      while (out.length > 0) yield out.shift()!;
    }
    d.push(new Uint8Array(0), true);
    while (out.length > 0) yield out.shift()!;
  } else {
    throw new UnsafeLayer(`Layer compression ${JSON.stringify(kind)} is not supported`, { path: '', reason: `compression ${kind}` });
  }
}
