import { GVariantBadType } from './errors.js';

/**
 * A parsed GVariant type. `fixedSize` is set for fixed-size types (basic numbers, and tuples
 * or dict entries made only of fixed-size members); `align` is the alignment in bytes.
 */
export type GVariantType =
  | { readonly kind: 'basic'; readonly char: BasicChar; readonly text: string; readonly align: number; readonly fixedSize: number | undefined }
  | { readonly kind: 'variant'; readonly text: 'v'; readonly align: 8; readonly fixedSize: undefined }
  | { readonly kind: 'maybe'; readonly element: GVariantType; readonly text: string; readonly align: number; readonly fixedSize: undefined }
  | { readonly kind: 'array'; readonly element: GVariantType; readonly text: string; readonly align: number; readonly fixedSize: undefined }
  | { readonly kind: 'tuple'; readonly members: readonly GVariantType[]; readonly text: string; readonly align: number; readonly fixedSize: number | undefined }
  | { readonly kind: 'dict-entry'; readonly members: readonly [GVariantType, GVariantType]; readonly text: string; readonly align: number; readonly fixedSize: number | undefined };

export type BasicChar = 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'h' | 'd' | 's' | 'o' | 'g';

const BASIC: Readonly<Record<BasicChar, { align: number; size: number | undefined }>> = {
  y: { align: 1, size: 1 },
  b: { align: 1, size: 1 },
  n: { align: 2, size: 2 },
  q: { align: 2, size: 2 },
  i: { align: 4, size: 4 },
  u: { align: 4, size: 4 },
  h: { align: 4, size: 4 },
  x: { align: 8, size: 8 },
  t: { align: 8, size: 8 },
  d: { align: 8, size: 8 },
  s: { align: 1, size: undefined },
  o: { align: 1, size: undefined },
  g: { align: 1, size: undefined },
};

function isBasicChar(c: string | undefined): c is BasicChar {
  return c !== undefined && Object.hasOwn(BASIC, c);
}

export function alignUp(n: number, align: number): number {
  return (n + align - 1) & ~(align - 1);
}

/** Size of a tuple whose members are all fixed-size: laid out aligned, padded to its alignment. */
function fixedTupleSize(members: readonly GVariantType[], align: number): number | undefined {
  if (members.length === 0) return 1; // the unit tuple is one zero byte
  let pos = 0;
  for (const m of members) {
    if (m.fixedSize === undefined) return undefined;
    pos = alignUp(pos, m.align) + m.fixedSize;
  }
  return alignUp(pos, align);
}

function parseAt(text: string, start: number, depth: number): [GVariantType, number] {
  if (depth > 64) throw new GVariantBadType(`GVariant type ${JSON.stringify(text)} is nested too deeply`, { type: text });
  const c = text[start];
  if (isBasicChar(c)) {
    const b = BASIC[c];
    return [{ kind: 'basic', char: c, text: c, align: b.align, fixedSize: b.size }, start + 1];
  }
  if (c === 'v') return [{ kind: 'variant', text: 'v', align: 8, fixedSize: undefined }, start + 1];
  if (c === 'a' || c === 'm') {
    const [element, end] = parseAt(text, start + 1, depth + 1);
    const t = text.slice(start, end);
    return c === 'a'
      ? [{ kind: 'array', element, text: t, align: element.align, fixedSize: undefined }, end]
      : [{ kind: 'maybe', element, text: t, align: element.align, fixedSize: undefined }, end];
  }
  if (c === '(') {
    const members: GVariantType[] = [];
    let pos = start + 1;
    while (text[pos] !== ')') {
      if (pos >= text.length) throw new GVariantBadType(`GVariant type ${JSON.stringify(text)} has an unclosed tuple`, { type: text });
      const [m, end] = parseAt(text, pos, depth + 1);
      members.push(m);
      pos = end;
    }
    const align = Math.max(1, ...members.map((m) => m.align));
    return [
      { kind: 'tuple', members, text: text.slice(start, pos + 1), align, fixedSize: fixedTupleSize(members, align) },
      pos + 1,
    ];
  }
  if (c === '{') {
    if (!isBasicChar(text[start + 1])) {
      throw new GVariantBadType(`GVariant type ${JSON.stringify(text)} has a dict entry with a non-basic key`, { type: text });
    }
    const [key, afterKey] = parseAt(text, start + 1, depth + 1);
    const [value, afterValue] = parseAt(text, afterKey, depth + 1);
    if (text[afterValue] !== '}') {
      throw new GVariantBadType(`GVariant type ${JSON.stringify(text)} has a dict entry without exactly two members`, { type: text });
    }
    const members = [key, value] as const;
    const align = Math.max(key.align, value.align);
    return [
      { kind: 'dict-entry', members, text: text.slice(start, afterValue + 1), align, fixedSize: fixedTupleSize(members, align) },
      afterValue + 1,
    ];
  }
  throw new GVariantBadType(
    c === undefined
      ? `GVariant type ${JSON.stringify(text)} ends early`
      : `GVariant type ${JSON.stringify(text)} has an unexpected ${JSON.stringify(c)} at ${start}`,
    { type: text },
  );
}

const CACHE = new Map<string, GVariantType>();

/** Parses exactly one complete type ("a{sv}", "(uuua(ayay))"); parsed types are cached. */
export function parseType(text: string): GVariantType {
  const cached = CACHE.get(text);
  if (cached !== undefined) return cached;
  const [type, end] = parseAt(text, 0, 0);
  if (end !== text.length) {
    throw new GVariantBadType(`GVariant type ${JSON.stringify(text)} has trailing characters`, { type: text });
  }
  if (CACHE.size < 1024) CACHE.set(text, type);
  return type;
}

/** True when `text` is exactly one complete GVariant type. */
export function isValidType(text: string): boolean {
  try {
    parseType(text);
    return true;
  } catch {
    return false;
  }
}
