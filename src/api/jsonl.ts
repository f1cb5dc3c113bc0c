/**
 * JSON-lines streams (pull, push, load, events): 200 with `Content-Type: application/json` (exactly, or
 * the CLI prints the body raw), one JSON object per line, flushed as written. Once the status is sent,
 * an error can only be reported in-band: `{"errorDetail":{"message":…},"error":…}`.
 */
import type { ServerResponse } from 'node:http';
import type { ProgressUpdate } from './backend.js';

export class JsonLines {
  readonly #res: ServerResponse;
  #started = false;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get started(): boolean {
    return this.#started;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#res.writeHead(200, { 'Content-Type': 'application/json' });
    this.#res.flushHeaders();
  }

  write(value: unknown): void {
    this.start();
    if (!this.#res.destroyed) this.#res.write(`${JSON.stringify(value)}\n`);
  }

  error(message: string): void {
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    this.start();
    this.#res.end();
  }
}

/** Docker's progress bar text: `[=====>      ]  1.2MB/3.4MB`, as jsonmessage renders it for non-TTY clients. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.max(0, Math.min(width, Math.floor((current / total) * width)));
  const bar = filled === width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** Decimal units with three significant digits, as go-units HumanSize. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** Engine progress → Docker JSONMessage. */
export function toJsonMessage(update: ProgressUpdate): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  if (update.status !== '' || update.aux === undefined) msg.status = update.status;
  if (update.id !== undefined) msg.id = update.id;
  const d = update.progressDetail;
  if (d !== undefined) {
    msg.progressDetail = { ...d };
    if (d.current !== undefined) msg.progress = progressBar(d.current, d.total ?? 0);
  }
  if (update.aux !== undefined) {
    msg.progressDetail ??= {};
    msg.aux = { ...update.aux };
  }
  return msg;
}
