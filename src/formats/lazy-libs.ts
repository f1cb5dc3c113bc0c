/**
 * yaml and zod cost ~0.5 s to load; every berth command imports src/formats, few parse YAML documents
 * (treefiles, NoCloud seeds), so both are loaded on first use (their CommonJS builds, synchronously).
 * Also the one spelling of a document's problems: `file:line: key: message`.
 */
import { createRequire } from 'node:module';

const requireLib = createRequire(import.meta.url);
let yamlLib: typeof import('yaml') | undefined;
let zodLib: typeof import('zod') | undefined;

export function yaml(): typeof import('yaml') {
  yamlLib ??= requireLib('yaml') as typeof import('yaml');
  return yamlLib;
}

export function zod(): typeof import('zod').z {
  zodLib ??= requireLib('zod') as typeof import('zod');
  return zodLib.z;
}

export interface DocumentIssue {
  readonly file: string;
  readonly line: number;
  /** Key path as written; empty for the whole document. */
  readonly key: string;
  readonly message: string;
}

export function formatIssues(issues: readonly DocumentIssue[]): string {
  return issues.map((i) => `${i.file}:${i.line}: ${i.key === '' ? '' : `${i.key}: `}${i.message}`).join('; ');
}

export type KeyPath = readonly (string | number)[];
type Ranged = { readonly range?: readonly number[] | null | undefined } | null | undefined;

/**
 * The line of the deepest node `path` reaches in a YAML document's contents (map keys by their scalar
 * value, sequence items by index), else the line of the nearest ancestor found; `fallback` when none has one.
 */
export function yamlLineOf(contents: unknown, path: KeyPath, lineOf: (node: Ranged) => number, fallback: number): number {
  const { isMap, isScalar, isSeq } = yaml();
  let node: unknown = contents;
  let line = lineOf(contents as Ranged) || fallback;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (pair === undefined) break;
      line = lineOf(pair.key as Ranged) || line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      line = lineOf(item as Ranged) || line;
      node = item;
    } else break;
  }
  return line;
}
