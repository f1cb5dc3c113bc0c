/**
 * GVariant text format (g_variant_print) for the metadata values compose hands to
 * `ostree commit --add-metadata=KEY=VALUE`, and JSON → GVariant typing for `add-commit-metadata`
 * the way rpm-ostree types it (string s, boolean b, integer x, other number d, list of strings as,
 * object a{sv}).
 */

export function quoteGVariantString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** JSON value to GVariant text with an explicit type annotation where the parser needs it. */
export function jsonToGVariantText(value: unknown): string {
  if (typeof value === 'string') return quoteGVariantString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return `int64 ${value}`;
    return `double ${value}`;
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return `@as [${value.map((v) => quoteGVariantString(v as string)).join(', ')}]`;
    return `@av [${value.map((v) => `<${jsonToGVariantText(v)}>`).join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => `${quoteGVariantString(k)}: <${jsonToGVariantText(v)}>`);
    return `@a{sv} {${entries.join(', ')}}`;
  }
  throw new RangeError(`Cannot express ${JSON.stringify(value)} as GVariant`);
}

export interface PackageRecord {
  readonly name: string;
  readonly epoch: number;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
}

/** rpm-ostree's `rpmostree.rpmdb.pkglist`, type a(stsss): name, epoch, version, release, arch. */
export function pkglistToGVariantText(packages: readonly PackageRecord[]): string {
  if (packages.length === 0) return '@a(stsss) []';
  const items = packages.map(
    (p) => `(${quoteGVariantString(p.name)}, uint64 ${p.epoch}, ${quoteGVariantString(p.version)}, ${quoteGVariantString(p.release)}, ${quoteGVariantString(p.arch)})`,
  );
  return `[${items.join(', ')}]`;
}
