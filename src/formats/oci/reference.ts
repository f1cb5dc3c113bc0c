import { InvalidReference } from './errors.js';

/**
 * Image references as docker/distribution's `reference` package parses them:
 *   [domain[:port]/]path[:tag][@digest]
 * A first component is a domain when it contains "." or ":" or is "localhost"; otherwise the
 * reference is on Docker Hub ("docker.io"), and a single-component path gains "library/".
 */
export interface ImageReference {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';

const COMPONENT_REGEXP = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_REGEXP =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG_REGEXP = /^[\w][\w.-]{0,127}$/;
const DIGEST_REGEXP = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const ID_REGEXP = /^(?:sha256:)?[0-9a-f]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

function invalid(reference: string, why: string): never {
  throw new InvalidReference(`Invalid reference format ${JSON.stringify(reference)}: ${why}`, { reference });
}

/** Parses and normalises (docker.io, library/) a reference. A missing tag stays missing: see withDefaultTag(). */
export function parseReference(input: string): ImageReference {
  if (input === '') invalid(input, 'empty');
  if (ID_REGEXP.test(input) && !input.startsWith('sha256:')) {
    invalid(input, 'a 64-hex name cannot be a repository name (it reads as an image ID)');
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_REGEXP.test(digest)) invalid(input, 'bad digest');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_REGEXP.test(tag)) invalid(input, 'bad tag');
  }
  if (rest === '') invalid(input, 'empty name');
  const slash = rest.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN_REGEXP.test(domain)) invalid(input, 'bad domain');
    }
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (path !== path.toLowerCase()) invalid(input, 'repository name must be lowercase');
  for (const component of path.split('/')) {
    if (!COMPONENT_REGEXP.test(component)) invalid(input, `bad path component ${JSON.stringify(component)}`);
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) invalid(input, 'name too long');
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** A reference with "latest" when it has neither tag nor digest (what `docker pull busybox` means). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** "docker.io/library/busybox" */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** Full normalised form: "docker.io/library/busybox:latest", "127.0.0.1:5000/a/b@sha256:…". */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** Docker's familiar repository name: "busybox", "user/app", "127.0.0.1:5000/a/b". */
export function familiarRepository(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  return ref.path.startsWith(OFFICIAL_PREFIX) && ref.path.indexOf('/', OFFICIAL_PREFIX.length) < 0
    ? ref.path.slice(OFFICIAL_PREFIX.length)
    : ref.path;
}

/** Docker's familiar string: "busybox:latest", "busybox@sha256:…". */
export function familiarReference(ref: ImageReference): string {
  return `${familiarRepository(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** True for something that can only be an image ID or an ID prefix (hex, optional sha256: prefix). */
export function looksLikeImageId(value: string): boolean {
  return /^(?:sha256:)?[0-9a-f]{1,64}$/.test(value);
}
