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
