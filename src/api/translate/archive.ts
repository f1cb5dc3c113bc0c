/**
 * `docker cp` metadata: the `X-Docker-Container-Path-Stat` header is base64 of
 * `{"name","size","mode","mtime","linkTarget"}` where `mode` is a Go os.FileMode (permission bits
 * plus ModeDir 1<<31, ModeSymlink 1<<27). The CLI decides directory-vs-file copies from it, so it is
 * taken from the first entry of the tar the engine produces.
 */
import { PassThrough, type Readable } from 'node:stream';
import { ApiNoSuchObject } from '../errors.js';

export const GO_MODE_DIR = 2 ** 31;
export const GO_MODE_SYMLINK = 2 ** 27;

export interface PathStat {
  readonly name: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: string;
  readonly linkTarget: string;
}

export function encodePathStat(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const s = field(block, start, length).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  for (let i = 0; i < 1000 && at < data.length; i++) {
    const sp = data.indexOf(0x20, at);
    if (sp === -1) break;
    const len = Number(data.subarray(at, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) break;
    const rec = data.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    at += len;
  }
  return out;
}

/**
 * Stat of the first real entry of a tar held in `buf`, or 'more' when `buf` is too short to tell,
 * or undefined when the archive is empty.
 */
export function firstEntryStat(buf: Buffer): PathStat | 'more' | undefined {
  let at = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  for (let i = 0; i < 8; i++) {
    if (buf.length < at + 512) return 'more';
    const block = buf.subarray(at, at + 512);
    if (block.every((b) => b === 0)) return undefined;
    const type = String.fromCharCode(block[156]!);
    const size = octal(block, 124, 12);
    const dataEnd = at + 512 + Math.ceil(size / 512) * 512;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (buf.length < dataEnd) return 'more';
      const data = buf.subarray(at + 512, at + 512 + size);
      if (type === 'x') {
        const rec = paxRecords(data);
        if (rec.path !== undefined) longName = rec.path;
        if (rec.linkpath !== undefined) longLink = rec.linkpath;
      } else if (type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
      else if (type === 'K') longLink = data.toString('utf8').replace(/\0+$/, '');
      at = dataEnd;
      continue;
    }
    const prefix = field(block, 345, 155);
    const name = longName ?? (prefix !== '' ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    let mode = octal(block, 100, 8) & 0o7777;
    if (type === '5') mode += GO_MODE_DIR;
    if (type === '2') mode += GO_MODE_SYMLINK;
    const base = name.replace(/\/+$/, '').split('/').pop() ?? '';
    return {
      name: base,
      size,
      mode,
      mtime: new Date(octal(block, 136, 12) * 1000).toISOString(),
      linkTarget: type === '2' || type === '1' ? (longLink ?? field(block, 157, 100)) : '',
    };
  }
  return undefined;
}

/** Reads enough of a tar stream to stat its first entry; hands back a stream that replays everything. */
export async function peekTarStat(tar: Readable, path: string): Promise<{ stat: PathStat; stream: Readable }> {
  const chunks: Buffer[] = [];
  let stat: PathStat | 'more' | undefined = 'more';
  const it = tar[Symbol.asyncIterator]();
  for (let i = 0; i < 100_000 && stat === 'more'; i++) {
    const next = await it.next();
    if (next.done === true) {
      stat = firstEntryStat(Buffer.concat(chunks));
      if (stat === 'more') stat = undefined;
      break;
    }
    chunks.push(next.value as Buffer);
    stat = firstEntryStat(Buffer.concat(chunks));
  }
  if (stat === undefined || stat === 'more') {
    tar.destroy();
    throw new ApiNoSuchObject(`Could not find the file ${path} in container`, { what: 'path', ref: path });
  }
  const out = new PassThrough();
  void (async () => {
    try {
      for (const c of chunks) if (!out.write(c)) await new Promise((r) => out.once('drain', r));
      for (let next = await it.next(); next.done !== true; next = await it.next()) {
        if (!out.write(next.value as Buffer)) await new Promise((r) => out.once('drain', r));
      }
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return { stat, stream: out };
}
