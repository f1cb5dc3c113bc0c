/**
 * Versioned routing: `/v1.NN/containers/json` and `/containers/json` reach the same handler. Patterns
 * use `{name}` for one path segment and `{name*}` for the rest of the path up to a fixed suffix (image
 * names carry slashes and colons: `/images/127.0.0.1:5000/tiny/busybox:latest/json`).
 */
import { ApiBadRequest, ApiVersionUnsupported } from './errors.js';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

const VERSION_PREFIX_REGEXP = /^\/v(\d+\.\d+)(\/.*)$/;

export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number) as [number, number];
  const [bm, bn] = b.split('.').map(Number) as [number, number];
  return am !== bm ? am - bm : an - bn;
}

/** Splits the version prefix off and checks it against what berthd speaks (dockerd's messages). */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = VERSION_PREFIX_REGEXP.exec(pathname);
  if (m === null) return { version: API_VERSION, path: pathname };
  const version = m[1]!;
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new ApiVersionUnsupported(
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      { version },
    );
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw new ApiVersionUnsupported(
      `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`,
      { version },
    );
  }
  return { version, path: m[2]! };
}

interface Segment {
  readonly literal?: string;
  readonly param?: string;
  readonly greedy?: boolean;
}

export interface Route<H> {
  readonly method: string;
  readonly pattern: string;
  readonly handler: H;
  readonly segments: readonly Segment[];
}

export interface Match<H> {
  readonly route: Route<H>;
  readonly params: Readonly<Record<string, string>>;
}

export class Router<H> {
  readonly #routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    const segments = pattern.split('/').slice(1).map((s): Segment => {
      const m = /^\{(\w+)(\*?)\}$/.exec(s);
      return m === null ? { literal: s } : { param: m[1]!, greedy: m[2] === '*' };
    });
    this.#routes.push({ method, pattern, handler, segments });
    return this;
  }

  /** The matching route, or 'method' when the path exists under another method, or undefined. */
  match(method: string, path: string): Match<H> | 'method' | undefined {
    const parts = path.split('/').slice(1);
    let pathMatched = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        pathMatched = true;
        continue;
      }
      return { route, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let i = 0;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    if (seg.greedy) {
      const rest = segments.length - s - 1; // fixed segments after the greedy one
      const take = parts.length - i - rest;
      if (take < 1) return undefined;
      params[seg.param!] = decode(parts.slice(i, i + take).join('/'));
      i += take;
      continue;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.literal !== undefined) {
      if (seg.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params[seg.param!] = decode(part);
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch (err) {
    throw new ApiBadRequest(`Invalid path segment ${JSON.stringify(s)}`, { segment: s }, { cause: err });
  }
}
