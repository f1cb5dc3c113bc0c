import { exec } from '../../core/index.js';

/**
 * xz through the `xz` tool (Debian package xz-utils): ostree's delta parts are .xz streams with
 * a CRC64 check (liblzma's easy encoder). Compression runs single-threaded so the stream is
 * one block, like liblzma's; decompression accepts any valid stream.
 */
export async function xzCompress(data: Uint8Array, preset = 9): Promise<Uint8Array> {
  const r = await exec(['xz', '--format=xz', '--check=crc64', `-${preset}`, '-T1', '-c'], { input: data, pkg: 'xz-utils' });
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}

export async function xzDecompress(data: Uint8Array): Promise<Uint8Array> {
  const r = await exec(['xz', '--format=xz', '-d', '-c'], { input: data, pkg: 'xz-utils' });
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}
