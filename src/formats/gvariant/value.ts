/**
 * How GVariant values look in JavaScript, driven by the type:
 *
 * | type | JavaScript |
 * |---|---|
 * | `y n q i u h` | number |
 * | `x t` | bigint |
 * | `d` | number |
 * | `b` | boolean |
 * | `s o g` | string |
 * | `ay` | Uint8Array (decoding returns a view into the input) |
 * | `a T` | array of T |
 * | `( … )` | array, one element per member |
 * | `{ K V }` | two-element array `[key, value]`; `a{sv}` is therefore a list of pairs, order kept |
 * | `m T` | `null` for Nothing, `{ just: value }` for Just |
 * | `v` | `Variant` (`{ type, value }`) |
 */
export type GVariantValue =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | Variant
  | Just
  | null
  | readonly GVariantValue[];

export interface Variant {
  readonly type: string;
  readonly value: GVariantValue;
}

export interface Just {
  readonly just: GVariantValue;
}

export function variant(type: string, value: GVariantValue): Variant {
  return { type, value };
}

export function isVariant(value: unknown): value is Variant {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) &&
    typeof (value as { type?: unknown }).type === 'string' && 'value' in value;
}

/** An `a{sv}` dictionary in order; keys may repeat (the format allows it), lookups take the first. */
export type VardictEntries = ReadonlyArray<readonly [string, Variant]>;

export function vardictGet(dict: VardictEntries, key: string): Variant | undefined {
  for (const [k, v] of dict) if (k === key) return v;
  return undefined;
}
