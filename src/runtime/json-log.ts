/**
 * Docker's json-file log driver format: one JSON object per line,
 * `{"log":"hello\n","stream":"stdout","time":"2026-11-27T07:30:00.123456789Z"}`.
 * A line is cut at each newline; output without a trailing newline is flushed as a partial entry
 * (its "log" does not end in "\n"), as dockerd does at 16 KiB or when the stream ends.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export type LogStream = 'stdout' | 'stderr';

export interface JsonLogEntry {
  readonly stream: LogStream;
  readonly time: string;
  readonly log: Buffer;
}

export const MAX_LOG_LINE = 16 * 1024;

/** RFC 3339 with 9 fractional digits, from epoch nanoseconds. */
export function formatNanoTime(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2026-11-27T07:30:00.123Z
  const frac = (epochNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** Unix seconds (fractional) of an RFC 3339 time with up to 9 fractional digits. */
export function parseTimeSeconds(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return Number.NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`) / 1000;
  return whole + (m[2] ? Number(`0.${m[2]}`) : 0);
}

export function encodeJsonLogLine(entry: JsonLogEntry): string {
  return `${JSON.stringify({ log: entry.log.toString('utf8'), stream: entry.stream, time: entry.time })}\n`;
}

export function decodeJsonLogLine(line: string): JsonLogEntry | undefined {
  if (line.trim() === '') return undefined;
  try {
    const o = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof o.log !== 'string' || (o.stream !== 'stdout' && o.stream !== 'stderr') || typeof o.time !== 'string') return undefined;
    return { log: Buffer.from(o.log, 'utf8'), stream: o.stream, time: o.time };
  } catch {
    return undefined; // a torn last line while the writer is mid-append
  }
}

/** Splits a byte stream into json-file entries (by newline, or MAX_LOG_LINE). */
export class LineSplitter {
  #pending: Buffer = Buffer.alloc(0);
  constructor(readonly stream: LogStream) {}

  push(chunk: Buffer): Buffer[] {
    let buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const lines: Buffer[] = [];
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl < MAX_LOG_LINE) {
        lines.push(buf.subarray(0, nl + 1));
        buf = buf.subarray(nl + 1);
      } else if (buf.length >= MAX_LOG_LINE) {
        lines.push(buf.subarray(0, MAX_LOG_LINE));
        buf = buf.subarray(MAX_LOG_LINE);
      } else break;
    }
    this.#pending = Buffer.from(buf);
    return lines;
  }

  flush(): Buffer[] {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    return rest.length ? [rest] : [];
  }
}

export interface ReadLogOptions {
  readonly since?: number;
  readonly until?: number;
  readonly tail?: number;
  readonly follow?: boolean;
  /** For follow: true while more output may come. Checked when the file has no new data. */
  readonly isLive?: () => Promise<boolean>;
  readonly signal?: AbortSignal;
  /** Poll interval while following. @default 50 */
  readonly pollMs?: number;
}

function keep(e: JsonLogEntry, o: ReadLogOptions): boolean {
  if (o.since === undefined && o.until === undefined) return true;
  const t = parseTimeSeconds(e.time);
  if (o.since !== undefined && t < o.since) return false;
  if (o.until !== undefined && t > o.until) return false;
  return true;
}

/** Turns a log file's lines into entries (stateful: a format may join several lines into one entry). */
export interface LogDecoder {
  line(raw: Buffer): JsonLogEntry | undefined;
  /** Entries held back waiting for more lines (called at the end of the data, and when following goes idle). */
  flush(): JsonLogEntry[];
}

export const jsonLogDecoder: LogDecoder = {
  line: (raw) => decodeJsonLogLine(raw.toString('utf8')),
  flush: () => [],
};

/** Reads a json-file log: filters, tail, and follow (until `isLive()` turns false and the file is drained). */
export function readJsonLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<JsonLogEntry> {
  return readLogFile(path, jsonLogDecoder, options);
}

/** Reads a line-based log file with `decoder`: filters, tail, and follow (as readJsonLog). */
export async function* readLogFile(path: string, decoder: LogDecoder, options: ReadLogOptions = {}): AsyncGenerator<JsonLogEntry> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    size = 0;
  }
  // Existing content.
  let offset = 0;
  if (size > 0) {
    const entries: JsonLogEntry[] = [];
    const add = (e: JsonLogEntry | undefined) => {
      if (e && keep(e, options)) {
        entries.push(e);
        if (options.tail !== undefined && entries.length > options.tail) entries.shift();
      }
    };
    let carry: Buffer = Buffer.alloc(0);
    for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) {
      let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      let nl: number;
      while ((nl = buf.indexOf(0x0a)) >= 0) {
        add(decoder.line(buf.subarray(0, nl)));
        buf = buf.subarray(nl + 1);
      }
      carry = Buffer.from(buf);
    }
    for (const e of decoder.flush()) add(e);
    offset = size - carry.length;
    const start = options.tail !== undefined ? Math.max(0, entries.length - options.tail) : 0;
    for (let i = start; i < entries.length; i++) yield entries[i]!;
  }
  if (!options.follow) return;
  const pollMs = options.pollMs ?? 50;
  let carry = Buffer.alloc(0);
  for (;;) {
    if (options.signal?.aborted) return;
    let cur = 0;
    try {
      cur = (await stat(path)).size;
    } catch {
      cur = 0;
    }
    if (cur > offset) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(cur - offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        carry = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      } finally {
        await fh.close();
      }
      let nl: number;
      while ((nl = carry.indexOf(0x0a)) >= 0) {
        const e = decoder.line(carry.subarray(0, nl));
        carry = carry.subarray(nl + 1);
        if (e && keep(e, options)) yield e;
      }
      continue;
    }
    for (const e of decoder.flush()) if (keep(e, options)) yield e;
    if (options.isLive && !(await options.isLive())) {
      // One last look: the writer may have appended between the stat and the liveness check.
      if (((await stat(path).catch(() => ({ size: 0 }))).size) > offset) continue;
      return;
    }
    try {
      await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : undefined);
    } catch {
      return; // aborted
    }
  }
}
