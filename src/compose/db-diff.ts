/**
 * Package-level difference between two commits from their `rpmostree.rpmdb.pkglist`, as
 * `rpm-ostree db diff` prints it. Versions order by Debian rules (epoch, upstream, revision),
 * which agree with rpm's for the usual cases.
 */
import { compareDebVersions } from '../formats/index.js';
import type { PackageRecord } from './gvariant-text.js';

export interface PackageChange {
  readonly name: string;
  readonly arch: string;
  readonly from: string;
  readonly to: string;
}

export interface PackageDiff {
  readonly upgraded: readonly PackageChange[];
  readonly downgraded: readonly PackageChange[];
  readonly removed: readonly PackageRecord[];
  readonly added: readonly PackageRecord[];
}

/** `[epoch:]version[-release]`. */
export function evr(p: Pick<PackageRecord, 'epoch' | 'version' | 'release'>): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

export function nevra(p: PackageRecord): string {
  return `${p.name}-${evr(p)}.${p.arch}`;
}

export function diffPackages(from: readonly PackageRecord[], to: readonly PackageRecord[]): PackageDiff {
  const key = (p: PackageRecord): string => `${p.name}\0${p.arch}`;
  const before = new Map(from.map((p) => [key(p), p]));
  const after = new Map(to.map((p) => [key(p), p]));
  const upgraded: PackageChange[] = [];
  const downgraded: PackageChange[] = [];
  const removed: PackageRecord[] = [];
  const added: PackageRecord[] = [];
  for (const [k, a] of before) {
    const b = after.get(k);
    if (b === undefined) removed.push(a);
    else {
      const c = compareDebVersions(evr(a), evr(b));
      if (c < 0) upgraded.push({ name: a.name, arch: a.arch, from: evr(a), to: evr(b) });
      else if (c > 0) downgraded.push({ name: a.name, arch: a.arch, from: evr(a), to: evr(b) });
    }
  }
  for (const [k, b] of after) if (!before.has(k)) added.push(b);
  const byName = <T extends { name: string }>(xs: T[]): T[] => xs.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { upgraded: byName(upgraded), downgraded: byName(downgraded), removed: byName(removed), added: byName(added) };
}

/** rpm-ostree's default `--format=block`. */
export function renderDiffBlock(d: PackageDiff): string {
  const lines: string[] = [];
  const section = (title: string, rows: string[]): void => {
    if (rows.length === 0) return;
    lines.push(`${title}:`, ...rows.map((r) => `  ${r}`));
  };
  section('Upgraded', d.upgraded.map((c) => `${c.name} ${c.from} -> ${c.to}`));
  section('Downgraded', d.downgraded.map((c) => `${c.name} ${c.from} -> ${c.to}`));
  section('Removed', d.removed.map(nevra));
  section('Added', d.added.map(nevra));
  if (lines.length === 0) lines.push('No package changes');
  return `${lines.join('\n')}\n`;
}

/** rpm-ostree's `--format=diff`: `!` old then `=` new, `-` removed, `+` added. */
export function renderDiffLines(d: PackageDiff): string {
  const lines: string[] = [];
  for (const c of [...d.upgraded, ...d.downgraded]) lines.push(`!${c.name}-${c.from}.${c.arch}`, `=${c.name}-${c.to}.${c.arch}`);
  for (const p of d.removed) lines.push(`-${nevra(p)}`);
  for (const p of d.added) lines.push(`+${nevra(p)}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** JSON shape with kebab-case keys, like rpm-ostree's status JSON. */
export function diffToJson(d: PackageDiff): Record<string, unknown> {
  const pkg = (p: PackageRecord): Record<string, unknown> => ({ name: p.name, epoch: p.epoch, version: p.version, release: p.release, arch: p.arch, nevra: nevra(p) });
  return {
    upgraded: d.upgraded.map((c) => ({ name: c.name, arch: c.arch, 'previous-evr': c.from, evr: c.to })),
    downgraded: d.downgraded.map((c) => ({ name: c.name, arch: c.arch, 'previous-evr': c.from, evr: c.to })),
    removed: d.removed.map(pkg),
    added: d.added.map(pkg),
  };
}
