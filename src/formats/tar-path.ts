/**
 * Tar member names as layer tars carry them ("./a/b", "a/b/", "a//b"), reduced to clean relative
 * parts. Unsafe names are reported, not repaired: "..", absolute paths and NUL bytes make a layer
 * hostile, and the unpacker refuses it with a typed error (security checks live in the parser).
 */
export type TarPathResult =
  | { readonly ok: true; readonly parts: readonly string[] }
  | { readonly ok: false; readonly reason: 'absolute' | 'dotdot' | 'nul' | 'empty' };

export function splitTarPath(name: string): TarPathResult {
  if (name.includes('\0')) return { ok: false, reason: 'nul' };
  if (name.startsWith('/')) return { ok: false, reason: 'absolute' };
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return { ok: false, reason: 'dotdot' };
    parts.push(part);
  }
  if (parts.length === 0) return { ok: false, reason: 'empty' };
  return { ok: true, parts };
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** What a layer entry means for the union filesystem. */
export type WhiteoutKind = { readonly kind: 'opaque' } | { readonly kind: 'whiteout'; readonly name: string } | { readonly kind: 'none' };

export function whiteoutOf(basename: string): WhiteoutKind {
  if (basename === OPAQUE_WHITEOUT) return { kind: 'opaque' };
  if (basename.startsWith(WHITEOUT_PREFIX)) return { kind: 'whiteout', name: basename.slice(WHITEOUT_PREFIX.length) };
  return { kind: 'none' };
}
