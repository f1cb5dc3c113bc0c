/** Request and response helpers shared by the routes: bounded bodies, strict JSON, Docker's query forms. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiBadRequest, ApiBodyTooLarge } from './errors.js';

/** JSON request bodies are small (a container create body is a few KiB); anything above is refused. */
export const JSON_BODY_LIMIT = 1 << 20;

/** After the limit, this much more is read and dropped so the client sees the 400 instead of a reset. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export async function readBody(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit + DRAIN_LIMIT) break;
    if (size <= limit) chunks.push(b);
  }
  if (size > limit) throw new ApiBodyTooLarge(`Request body exceeds ${limit} bytes`, { limit });
  return Buffer.concat(chunks);
}

/** Parses a JSON request body; empty means `undefined`. Errors read like Go's encoding/json ones. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiBadRequest(`Invalid JSON: ${(err as Error).message}`, {}, { cause: err });
  }
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > JSON_BODY_LIMIT + DRAIN_LIMIT) {
    throw new ApiBodyTooLarge(`Request body exceeds ${JSON_BODY_LIMIT} bytes`, { limit: JSON_BODY_LIMIT });
  }
  return parseJsonBody(await readBody(req, JSON_BODY_LIMIT));
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** Docker's boolean query values: 1/true/True are true, 0/false/'' are false (moby httputils.BoolValue). */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const v = query.get(name);
  if (v === null) return fallback;
  const s = v.trim().toLowerCase();
  return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
}

export function queryInt(query: URLSearchParams, name: string, options: { min?: number; max?: number } = {}): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (options.min ?? Number.MIN_SAFE_INTEGER) || n > (options.max ?? Number.MAX_SAFE_INTEGER)) {
    throw new ApiBadRequest(`Invalid value for ${JSON.stringify(name)}: ${JSON.stringify(v)}`, { name, value: v });
  }
  return n;
}

/**
 * The `filters` query: JSON `{"key":["v1","v2"]}` (API ≥ 1.22) or `{"key":{"v1":true}}` (older and what
 * the CLI sends for some commands). Returns key → values.
 */
export function queryFilters(query: URLSearchParams): Record<string, string[]> {
  const raw = query.get('filters');
  if (raw === null || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ApiBadRequest(`Invalid filter: ${(err as Error).message}`, { filters: raw }, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiBadRequest(`Invalid filter ${JSON.stringify(raw)}`, { filters: raw });
  }
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((x) => typeof x === 'string')) out[key] = value as string[];
    else if (typeof value === 'object' && value !== null) {
      out[key] = Object.entries(value as Record<string, unknown>).filter(([, on]) => on === true).map(([k]) => k);
    } else throw new ApiBadRequest(`Invalid filter ${JSON.stringify(key)}`, { filters: raw });
  }
  return out;
}
