/**
 * Deployment origin files (`…/deploy/CSUM.SERIAL.origin`): a GKeyFile (INI) that says where a
 * deployment came from. ostree reads `[origin] refspec=`; berth and rpm-ostree add keys of their
 * own. Unknown groups and keys are kept, in order, so a round trip never loses what another tool
 * wrote. Pure; until the shared GKeyFile codec lands this carries the subset origins use.
 */
import { defineError } from '../core/index.js';

export interface OriginGroup {
  readonly name: string;
  readonly entries: ReadonlyArray<readonly [key: string, value: string]>;
}

export interface Origin {
  readonly groups: readonly OriginGroup[];
}

/** GKeyFile value escapes: \s \n \t \r \\ (and a leading space as \s). */
function unescapeValue(raw: string): string {
  return raw.replace(/\\([sntr\\])/g, (_, c: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' })[c]!);
}

function escapeValue(value: string): string {
  let out = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  if (out.startsWith(' ')) out = `\\s${out.slice(1)}`;
  return out;
}

export const OriginSyntaxError = defineError<{ line: number }>('FORMAT_ORIGIN_SYNTAX', 'corrupt');

export function parseOrigin(text: string): Origin {
  const groups: Array<{ name: string; entries: Array<readonly [string, string]> }> = [];
  let current: { name: string; entries: Array<readonly [string, string]> } | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('[')) {
      if (!trimmed.endsWith(']')) throw new OriginSyntaxError(`Bad group header on line ${i + 1}`, { line: i + 1 });
      const name = trimmed.slice(1, -1);
      current = groups.find((g) => g.name === name);
      if (current === undefined) {
        current = { name, entries: [] };
        groups.push(current);
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || current === undefined) {
      throw new OriginSyntaxError(`Line ${i + 1} is not a key=value pair inside a group`, { line: i + 1 });
    }
    const key = line.slice(0, eq).trim();
    const value = unescapeValue(line.slice(eq + 1).replace(/^[ \t]+/, ''));
    const at = current.entries.findIndex(([k]) => k === key);
    if (at >= 0) current.entries[at] = [key, value];
    else current.entries.push([key, value]);
  }
  return { groups };
}

/** GKeyFile's to_data layout: `[group]`, `key=value` lines, a blank line between groups. */
export function formatOrigin(origin: Origin): string {
  return origin.groups
    .map((g) => `[${g.name}]\n${g.entries.map(([k, v]) => `${k}=${escapeValue(v)}\n`).join('')}`)
    .join('\n');
}

export function originGet(origin: Origin, group: string, key: string): string | undefined {
  return origin.groups.find((g) => g.name === group)?.entries.find(([k]) => k === key)?.[1];
}

/** A copy with group/key set; `undefined` removes the key (and an emptied group). */
export function originSet(origin: Origin, group: string, key: string, value: string | undefined): Origin {
  const groups = origin.groups.map((g) => ({ name: g.name, entries: [...g.entries] }));
  let g = groups.find((x) => x.name === group);
  if (g === undefined) {
    if (value === undefined) return origin;
    g = { name: group, entries: [] };
    groups.push(g);
  }
  const at = g.entries.findIndex(([k]) => k === key);
  if (value === undefined) {
    if (at >= 0) g.entries.splice(at, 1);
  } else if (at >= 0) g.entries[at] = [key, value];
  else g.entries.push([key, value]);
  return { groups: groups.filter((x) => x.entries.length > 0 || x.name !== group || value !== undefined) };
}

export function originForRefspec(refspec: string): Origin {
  return { groups: [{ name: 'origin', entries: [['refspec', refspec]] }] };
}

/** `[origin] refspec=`, or a container image reference in newer origins; undefined when neither. */
export function originRefspec(origin: Origin): string | undefined {
  return originGet(origin, 'origin', 'refspec');
}

export function originIsPinned(origin: Origin): boolean {
  return originGet(origin, 'libostree-transient', 'pinned') === 'true';
}

/**
 * ostree_deployment_origin_remove_transient_state: a copy without `[libostree-transient]`
 * (pinning), for an origin carried over to a new deployment by upgrade/deploy/rebase.
 */
export function originWithoutTransient(origin: Origin): Origin {
  return { groups: origin.groups.filter((g) => g.name !== 'libostree-transient') };
}
