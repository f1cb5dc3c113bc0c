import { readFile } from 'node:fs/promises';
import { arch } from 'node:os';
import * as path from 'node:path';
import {
  finalizeTreefile,
  includesOf,
  mergeTreefileData,
  parseTreefileFragment,
  treefileError,
  validateFragment,
  type SourcePosition,
  type Treefile,
} from '../formats/index.js';

const MAX_INCLUDE_DEPTH = 16;

/** Debian and rpm spell the machine differently; rpm-ostree's `basearch` is rpm's. */
export function hostBasearch(): string {
  const map: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x' };
  return map[arch()] ?? arch();
}

export interface LoadedTreefile {
  readonly treefile: Treefile;
  /** The flattened data (paths absolute), canonical input for the input hash. */
  readonly flat: Readonly<Record<string, unknown>>;
  /** Every treefile read, root first. */
  readonly files: readonly string[];
}

export interface LoadTreefileOptions {
  readonly basearch?: string;
}

/** Reads a treefile and its includes (paths relative to the including file), flattens and validates it. */
export async function loadTreefile(file: string, options: LoadTreefileOptions = {}): Promise<LoadedTreefile> {
  const basearch = options.basearch ?? hostBasearch();
  const files: string[] = [];
  const sources = new Map<string, SourcePosition>();

  const load = async (abs: string, chain: readonly string[], from?: SourcePosition): Promise<Record<string, unknown>> => {
    if (chain.includes(abs)) {
      throw treefileError([{ ...(from ?? { file: abs, line: 1 }), key: 'include', message: `Include cycle through ${JSON.stringify(abs)}` }]);
    }
    if (chain.length >= MAX_INCLUDE_DEPTH) {
      throw treefileError([{ ...(from ?? { file: abs, line: 1 }), key: 'include', message: `Includes nest deeper than ${MAX_INCLUDE_DEPTH}` }]);
    }
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (err) {
      if (from === undefined) throw err;
      throw treefileError([{ ...from, key: 'include', message: `Cannot read ${JSON.stringify(abs)}: ${(err as Error).message}` }]);
    }
    files.push(abs);
    const fragment = parseTreefileFragment(text, abs);
    const data = resolvePaths(validateFragment(fragment), path.dirname(abs));
    const variables = { basearch, ...(data.variables ?? {}) };
    let base: Record<string, unknown> = {};
    let includes: string[];
    try {
      includes = includesOf(data, variables);
    } catch (err) {
      throw treefileError([{ ...fragment.locate(['conditional-include']), key: 'conditional-include', message: (err as Error).message }]);
    }
    for (const inc of includes) {
      const at = fragment.locate(['include']);
      base = mergeTreefileData(base, await load(path.resolve(path.dirname(abs), inc), [...chain, abs], at));
    }
    for (const key of Object.keys(data)) sources.set(key, fragment.locate([key]));
    return mergeTreefileData(base, data);
  };

  const flat = await load(path.resolve(file), []);
  const treefile = finalizeTreefile(flat, sources, { basearch });
  return { treefile, flat, files };
}

/** Makes file references absolute relative to the fragment that wrote them. */
function resolvePaths<T extends Record<string, unknown>>(data: T, dir: string): T {
  const out: Record<string, unknown> = { ...data };
  const addFiles = out['add-files'] as [string, string][] | undefined;
  if (addFiles) out['add-files'] = addFiles.map(([src, dest]) => [path.resolve(dir, src), dest]);
  const script = out['postprocess-script'] as string | undefined;
  if (script !== undefined) out['postprocess-script'] = path.resolve(dir, script);
  const apt = out['apt-sources'] as string | string[] | undefined;
  if (apt !== undefined && apt !== 'host') {
    out['apt-sources'] = (typeof apt === 'string' ? [apt] : apt).map((s) => path.resolve(dir, s));
  }
  return out as T;
}
