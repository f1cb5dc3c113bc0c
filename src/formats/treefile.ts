/**
 * rpm-ostree treefiles (YAML or JSON), pure: text in, validated data out, every error naming
 * file:line:key. The I/O half (reading includes beside the treefile) is compose/treefile-load.ts.
 *
 * Vocabulary follows rpm-ostree's docs/treefile.md: a *fragment* is one file as written; the
 * *flattened* treefile is the result of applying `include`s (arrays concatenate with the included
 * file's entries first, scalars of the including file win) and substituting `${variables}`.
 * Keys are kebab-case as rpm-ostree spells them; berth's Debian extensions are `apt-suite`,
 * `apt-sources`, `apt-variant` and `kernel-args`.
 */
import type { Node as YamlNode } from 'yaml';
import type { z as Zod } from 'zod';
import { defineError } from '../core/index.js';
import { formatIssues, yaml, yamlLineOf, zod } from './lazy-libs.js';

export interface TreefileIssue {
  readonly file: string;
  readonly line: number;
  readonly key: string;
  readonly message: string;
}

export const TreefileInvalid = defineError<{ issues: readonly TreefileIssue[] }>('FORMAT_TREEFILE_INVALID', 'invalid-argument');

export function treefileError(issues: readonly TreefileIssue[]): InstanceType<typeof TreefileInvalid> {
  return new TreefileInvalid(`Invalid treefile: ${formatIssues(issues)}`, { issues });
}

/** Where a key path was written; line 0 when the key does not occur in any file. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

export type KeyPath = readonly (string | number)[];

/** One file as written, with a locator from key paths to source lines. */
export interface TreefileFragment {
  readonly file: string;
  readonly data: Readonly<Record<string, unknown>>;
  locate(path: KeyPath): SourcePosition;
}

/** Parses YAML or JSON (JSON is YAML 1.2) keeping line numbers for later messages. */
export function parseTreefileFragment(text: string, file: string): TreefileFragment {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw treefileError(
      doc.errors.map((e) => ({ file, line: lineCounter.linePos(e.pos[0]).line, key: '', message: e.message.split('\n')[0]! })),
    );
  }
  const lineOf = (node: { range?: readonly number[] | null | undefined } | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]!).line : 0;
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    throw treefileError([{ file, line: 1, key: '', message: 'Treefile is empty' }]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw treefileError([{ file, line: lineOf(doc.contents), key: '', message: 'Treefile must be a mapping of keys' }]);
  }
  const locate = (path: KeyPath): SourcePosition => {
    const line = yamlLineOf(doc.contents, path, lineOf, 0);
    return { file, line };
  };
  return { file, data: data as Record<string, unknown>, locate };
}

// ---------------------------------------------------------------------------------------------
// Schema. Every key rpm-ostree operators use that berth acts on; unknown keys are errors, as in
// rpm-ostree (serde deny_unknown_fields), so a typo never silently does nothing.

function buildSchemas(z: typeof Zod) {
  const stringList = z.array(z.string());
  const checkPasswd = z
    .object({
      type: z.enum(['none', 'previous', 'file', 'data']),
      filename: z.string().optional(),
      entries: z.record(z.string(), z.union([z.number().int(), z.array(z.number().int())])).optional(),
    })
    .strict();
  const variableValue = z.union([z.string(), z.number(), z.boolean()]);
  const includeValue = z.union([z.string(), stringList]);

  const shape = {
    ref: z.string().min(1),
    packages: stringList,
    'exclude-packages': stringList,
    repos: stringList,
    include: includeValue,
    'arch-include': z.record(z.string(), includeValue),
    'conditional-include': z.array(z.object({ if: z.union([z.string(), stringList, z.boolean()]), include: includeValue }).strict()),
    variables: z.record(z.string(), variableValue),
    releasever: z.union([z.string(), z.number()]),
    postprocess: stringList,
    'postprocess-script': z.string(),
    'add-files': z.array(z.tuple([z.string(), z.string()])),
    'remove-files': stringList,
    units: stringList,
    'default-target': z.string(),
    'initramfs-args': stringList,
    'add-commit-metadata': z.record(z.string(), z.unknown()),
    'automatic-version-prefix': z.string(),
    'automatic-version-suffix': z.string().length(1),
    'check-passwd': checkPasswd,
    'check-groups': checkPasswd,
    'preserve-passwd': z.boolean(),
    'etc-group-members': stringList,
    'boot-location': z.enum(['new', 'modules', 'kernel-install']),
    documentation: z.boolean(),
    recommends: z.boolean(),
    'machineid-compat': z.boolean(),
    'tmp-is-dir': z.boolean(),
    selinux: z.boolean(),
    'container-cmd': stringList,
    'mutate-os-release': z.string(),
    'install-langs': stringList,
    metadata: z.record(z.string(), z.unknown()),
    // berth's Debian backend and image builder
    'apt-suite': z.string().min(1),
    'apt-sources': z.union([z.literal('host'), z.string().min(1), z.array(z.string().min(1)).min(1)]),
    'apt-variant': z.enum(['essential', 'minbase', 'required', 'important', 'standard']),
    'kernel-args': stringList,
  } as const;

  const fragment = z.object(shape).partial().strict();
  return { stringList, shape, fragment };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemaCache: Schemas | undefined;
function schemas(): Schemas {
  schemaCache ??= buildSchemas(zod());
  return schemaCache;
}

const ARCH_PACKAGES_REGEXP = /^packages-[a-z0-9_]+$/;

export type TreefileKey = keyof Schemas['shape'];
export type TreefileData = Zod.infer<Schemas['fragment']> & { readonly [archKey: `packages-${string}`]: string[] };

function formatPath(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Validates one fragment against the schema (no key is required in a fragment). */
export function validateFragment(fragment: TreefileFragment): TreefileData {
  const issues: TreefileIssue[] = [];
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fragment.data)) {
    if (ARCH_PACKAGES_REGEXP.test(key)) {
      const r = schemas().stringList.safeParse(value);
      if (!r.success) issues.push({ ...fragment.locate([key]), key, message: 'Expected a list of package names' });
    } else plain[key] = value;
  }
  const result = schemas().fragment.safeParse(plain);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) issues.push({ ...fragment.locate([key]), key, message: 'Unknown key' });
      } else {
        issues.push({ ...fragment.locate(issue.path), key: formatPath(issue.path), message: issue.message });
      }
    }
  }
  if (issues.length > 0) throw treefileError(issues.sort((a, b) => a.line - b.line));
  return fragment.data as TreefileData;
}

// ---------------------------------------------------------------------------------------------
// Flattening

/** Keys whose values concatenate across includes (included entries first). */
const CONCAT_KEYS = new Set<string>([
  'packages', 'exclude-packages', 'repos', 'postprocess', 'add-files', 'remove-files', 'units',
  'initramfs-args', 'etc-group-members', 'install-langs', 'kernel-args', 'conditional-include',
]);
/** Keys whose mappings merge across includes (including file wins per entry). */
const MERGE_KEYS = new Set<string>(['variables', 'add-commit-metadata', 'metadata', 'arch-include']);
const INCLUDE_KEYS = new Set<string>(['include', 'arch-include', 'conditional-include']);

/** Applies `child` over `base` the way rpm-ostree's treefile inheritance does. */
export function mergeTreefileData(base: Readonly<Record<string, unknown>>, child: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(child)) {
    if (INCLUDE_KEYS.has(key)) continue;
    const prev = out[key];
    if ((CONCAT_KEYS.has(key) || ARCH_PACKAGES_REGEXP.test(key)) && Array.isArray(prev) && Array.isArray(value)) {
      out[key] = [...prev, ...value];
    } else if (MERGE_KEYS.has(key) && isPlainObject(prev) && isPlainObject(value)) {
      out[key] = { ...prev, ...value };
    } else out[key] = value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Includes of one fragment, in the order rpm-ostree applies them. */
export function includesOf(data: TreefileData, variables: Readonly<Record<string, string | number | boolean>>): string[] {
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
  const out = list(data.include);
  const basearch = variables['basearch'];
  if (data['arch-include'] !== undefined && typeof basearch === 'string') out.push(...list(data['arch-include'][basearch]));
  for (const cond of data['conditional-include'] ?? []) {
    if (evaluateCondition(cond.if, variables)) out.push(...list(cond.include));
  }
  return out;
}

const CONDITION_REGEXP = /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*(==|!=|>=|<=|>|<)\s*(?:"([^"]*)"|'([^']*)'|(\S+))\s*$/;
const BARE_REGEXP = /^\s*(!?)\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$/;

/** `conditional-include` tests: `var == value`, `var != value`, numeric `< <= > >=`, or a bare (negated) boolean; lists are AND. */
export function evaluateCondition(cond: string | readonly string[] | boolean, variables: Readonly<Record<string, string | number | boolean>>): boolean {
  if (typeof cond === 'boolean') return cond;
  if (typeof cond !== 'string') return cond.every((c) => evaluateCondition(c, variables));
  const bare = BARE_REGEXP.exec(cond);
  if (bare) {
    const value = variables[bare[2]!];
    if (value === undefined) throw new RangeError(`Unknown variable ${JSON.stringify(bare[2])}`);
    return bare[1] === '!' ? !value : Boolean(value);
  }
  const m = CONDITION_REGEXP.exec(cond);
  if (!m) throw new RangeError(`Cannot read condition ${JSON.stringify(cond)}`);
  const value = variables[m[1]!];
  if (value === undefined) throw new RangeError(`Unknown variable ${JSON.stringify(m[1])}`);
  const rhs = m[3] ?? m[4] ?? m[5]!;
  switch (m[2]) {
    case '==': return String(value) === rhs;
    case '!=': return String(value) !== rhs;
    case '>=': return Number(value) >= Number(rhs);
    case '<=': return Number(value) <= Number(rhs);
    case '>': return Number(value) > Number(rhs);
    default: return Number(value) < Number(rhs);
  }
}

const VARIABLE_REGEXP = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${name}` substitution; returns the unknown names instead of guessing. */
export function substituteVariables(text: string, variables: Readonly<Record<string, string | number | boolean>>): { value: string; unknown: string[] } {
  const unknown: string[] = [];
  const value = text.replace(VARIABLE_REGEXP, (whole, name: string) => {
    const v = variables[name];
    if (v === undefined) {
      unknown.push(name);
      return whole;
    }
    return String(v);
  });
  return { value, unknown };
}

/** Splits `packages` entries on whitespace, keeping version queries (`'pkg >= 1.2'`, `pkg=1.2`) whole. */
export function splitPackageEntries(entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    if (/[<>=]/.test(trimmed)) out.push(trimmed.replace(/\s+/g, ' '));
    else out.push(...trimmed.split(/\s+/));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The flattened, resolved treefile compose works from.

export interface CheckPasswd {
  readonly type: 'none' | 'previous' | 'file' | 'data';
  readonly filename?: string;
  readonly entries?: Readonly<Record<string, number | readonly number[]>>;
}

export interface Treefile {
  readonly ref: string;
  /** Package specs after whitespace splitting, including `packages-<basearch>`. */
  readonly packages: readonly string[];
  readonly excludePackages: readonly string[];
  readonly repos: readonly string[];
  readonly variables: Readonly<Record<string, string | number | boolean>>;
  readonly releasever?: string;
  /** Inline scripts, included files' first. */
  readonly postprocess: readonly string[];
  readonly postprocessScript?: string;
  readonly addFiles: readonly { readonly src: string; readonly dest: string }[];
  readonly removeFiles: readonly string[];
  readonly units: readonly string[];
  readonly defaultTarget?: string;
  /** Extra dracut arguments; undefined means berth's default set. */
  readonly initramfsArgs?: readonly string[];
  readonly addCommitMetadata: Readonly<Record<string, unknown>>;
  readonly automaticVersionPrefix?: string;
  readonly automaticVersionSuffix: string;
  readonly checkPasswd?: CheckPasswd;
  readonly checkGroups?: CheckPasswd;
  readonly preservePasswd: boolean;
  readonly etcGroupMembers: readonly string[];
  /** berth composes with rpm-ostree's edition-2024 default: kernel only under /usr/lib/modules/KVER. */
  readonly bootLocation: 'new' | 'modules' | 'kernel-install';
  readonly documentation: boolean;
  readonly recommends: boolean;
  readonly machineidCompat: boolean;
  readonly tmpIsDir: boolean;
  readonly containerCmd?: readonly string[];
  readonly mutateOsRelease?: string;
  readonly installLangs?: readonly string[];
  readonly aptSuite?: string;
  /** `host`, or deb822/one-line source files (absolute paths once loaded). */
  readonly aptSources?: 'host' | readonly string[];
  readonly aptVariant: 'essential' | 'minbase' | 'required' | 'important' | 'standard';
  readonly kernelArgs: readonly string[];
  /** Where each top-level key was last set, for error messages after loading. */
  readonly sources: ReadonlyMap<string, SourcePosition>;
}

/**
 * Turns flattened data into a Treefile: checks required keys, substitutes `${var}` in the keys
 * rpm-ostree substitutes (ref, repos, version prefix, plus apt-suite), and applies defaults.
 * `builtins` are variables the build knows (basearch); treefile `variables` and `releasever` add to them.
 */
export function finalizeTreefile(
  flat: Readonly<Record<string, unknown>>,
  sources: ReadonlyMap<string, SourcePosition>,
  builtins: Readonly<Record<string, string>>,
): Treefile {
  const d = flat as TreefileData;
  const rootFile = [...sources.values()][0]?.file ?? '<treefile>';
  const where = (key: string): SourcePosition => sources.get(key) ?? { file: rootFile, line: 1 };
  const issues: TreefileIssue[] = [];
  const variables: Record<string, string | number | boolean> = { ...builtins, ...(d.variables ?? {}) };
  if (d.releasever !== undefined) variables['releasever'] = String(d.releasever);
  const subst = (key: string, text: string): string => {
    const r = substituteVariables(text, variables);
    for (const name of r.unknown) issues.push({ ...where(key), key, message: `Unknown variable ${JSON.stringify(name)}` });
    return r.value;
  };
  if (d.ref === undefined) issues.push({ ...where('ref'), key: 'ref', message: 'Missing required key' });
  const basearch = builtins['basearch'];
  const archPackages = basearch === undefined ? [] : ((flat[`packages-${basearch}`] as string[] | undefined) ?? []);
  if (d.packages === undefined && archPackages.length === 0) {
    issues.push({ ...where('packages'), key: 'packages', message: 'Missing required key' });
  }
  const ref = subst('ref', d.ref ?? '');
  const aptSuite = d['apt-suite'] === undefined ? undefined : subst('apt-suite', d['apt-suite']);
  const prefix = d['automatic-version-prefix'] === undefined ? undefined : subst('automatic-version-prefix', d['automatic-version-prefix']);
  const repos = (d.repos ?? []).map((r) => subst('repos', r));
  if (issues.length > 0) throw treefileError(issues);
  const apt = d['apt-sources'];
  return {
    ref,
    packages: splitPackageEntries([...(d.packages ?? []), ...archPackages]),
    excludePackages: d['exclude-packages'] ?? [],
    repos,
    variables,
    ...(d.releasever !== undefined ? { releasever: String(d.releasever) } : {}),
    postprocess: d.postprocess ?? [],
    ...(d['postprocess-script'] !== undefined ? { postprocessScript: d['postprocess-script'] } : {}),
    addFiles: (d['add-files'] ?? []).map(([src, dest]) => ({ src, dest })),
    removeFiles: d['remove-files'] ?? [],
    units: d.units ?? [],
    ...(d['default-target'] !== undefined ? { defaultTarget: d['default-target'] } : {}),
    ...(d['initramfs-args'] !== undefined ? { initramfsArgs: d['initramfs-args'] } : {}),
    addCommitMetadata: d['add-commit-metadata'] ?? {},
    ...(prefix !== undefined ? { automaticVersionPrefix: prefix } : {}),
    automaticVersionSuffix: d['automatic-version-suffix'] ?? '.',
    ...(d['check-passwd'] !== undefined ? { checkPasswd: d['check-passwd'] as CheckPasswd } : {}),
    ...(d['check-groups'] !== undefined ? { checkGroups: d['check-groups'] as CheckPasswd } : {}),
    preservePasswd: d['preserve-passwd'] ?? true,
    etcGroupMembers: d['etc-group-members'] ?? [],
    bootLocation: d['boot-location'] ?? 'modules',
    documentation: d.documentation ?? true,
    recommends: d.recommends ?? true,
    machineidCompat: d['machineid-compat'] ?? true,
    tmpIsDir: d['tmp-is-dir'] ?? true,
    ...(d['container-cmd'] !== undefined ? { containerCmd: d['container-cmd'] } : {}),
    ...(d['mutate-os-release'] !== undefined ? { mutateOsRelease: d['mutate-os-release'] } : {}),
    ...(d['install-langs'] !== undefined ? { installLangs: d['install-langs'] } : {}),
    ...(aptSuite !== undefined ? { aptSuite } : {}),
    ...(apt !== undefined ? { aptSources: apt === 'host' ? 'host' : typeof apt === 'string' ? [apt] : apt } : {}),
    aptVariant: d['apt-variant'] ?? 'minbase',
    kernelArgs: d['kernel-args'] ?? [],
    sources,
  };
}
