/**
 * cloud-init NoCloud seeds, pure: the text of `meta-data` and `user-data` in, a validated Seed out,
 * every error naming file:line: key (the I/O half — seed disks, seed directories, applying — is
 * compose/provision).
 *
 * meta-data: YAML (or JSON) with `instance-id` (required) and `local-hostname`, as NoCloud reads it.
 * user-data: a `#cloud-config` document with the subset berth applies: `hostname`, `fqdn`, `groups`,
 * `users`, `ssh_authorized_keys` (the default user's), `write_files`, `runcmd`, and berth's own key
 * `berth: {containers: […]}`. Unknown keys are errors, as in treefiles: a key berth does not act on
 * must not look as if it had worked. Keys keep cloud-init's snake_case spelling.
 */
import { gunzipSync } from 'node:zlib';
import type { Node as YamlNode } from 'yaml';
import type { z as Zod } from 'zod';
import { defineError } from '../core/index.js';
import { formatIssues, yaml, yamlLineOf, zod } from './lazy-libs.js';

export interface SeedIssue {
  /** `meta-data` or `user-data`. */
  readonly file: string;
  readonly line: number;
  /** Key path as written, e.g. `users[0].ssh_authorized_keys[1]`; empty for the whole document. */
  readonly key: string;
  readonly message: string;
}

export const SeedInvalid = defineError<{ issues: readonly SeedIssue[] }>('FORMAT_SEED_INVALID', 'invalid-argument');

export function seedError(issues: readonly SeedIssue[]): InstanceType<typeof SeedInvalid> {
  return new SeedInvalid(`Invalid seed: ${formatIssues(issues)}`, { issues });
}

/** berth's default user: what top-level `ssh_authorized_keys` and `users: [default]` refer to. */
export const DEFAULT_USER = {
  name: 'berth',
  gecos: 'berth',
  groups: ['adm', 'sudo'],
  sudo: ['ALL=(ALL) NOPASSWD:ALL'],
  shell: '/bin/bash',
} as const;

export interface SeedUser {
  readonly name: string;
  readonly gecos?: string;
  /** Supplementary groups; created when missing, as cloud-init does. */
  readonly groups: readonly string[];
  readonly primaryGroup?: string;
  /** sudoers rules (`ALL=(ALL) NOPASSWD:ALL`); empty: none. */
  readonly sudo: readonly string[];
  readonly shell?: string;
  readonly homedir?: string;
  readonly uid?: number;
  readonly system: boolean;
  readonly noCreateHome: boolean;
  readonly sshAuthorizedKeys: readonly string[];
  /** A crypt(3) hash. */
  readonly passwd?: string;
  /** cloud-init's default: true (the password, if any, is kept but locked). */
  readonly lockPasswd: boolean;
}

export interface SeedGroup {
  readonly name: string;
  readonly members: readonly string[];
}

export interface SeedFile {
  readonly path: string;
  readonly content: Uint8Array;
  readonly permissions: number;
  readonly owner: string;
  readonly group: string;
  readonly append: boolean;
}

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface SeedContainer {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly entrypoint?: string;
  /** `KEY=VALUE` in the order written. */
  readonly env: readonly string[];
  readonly ports: readonly string[];
  readonly volumes: readonly string[];
  readonly user?: string;
  readonly workdir?: string;
  readonly network?: string;
  readonly restart: RestartPolicy;
}

export interface SeedMetaData {
  readonly instanceId: string;
  readonly localHostname?: string;
}

export interface Seed {
  readonly metaData: SeedMetaData;
  /** user-data's `hostname`, else meta-data's `local-hostname`. */
  readonly hostname?: string;
  readonly fqdn?: string;
  readonly groups: readonly SeedGroup[];
  readonly users: readonly SeedUser[];
  readonly files: readonly SeedFile[];
  /** Each entry: a shell line (string) or an argv. */
  readonly runcmd: readonly (string | readonly string[])[];
  readonly containers: readonly SeedContainer[];
}

type KeyPath = readonly (string | number)[];

interface ParsedDoc {
  readonly data: unknown;
  locate(path: KeyPath): number;
}

function parseYamlDoc(text: string, file: string): ParsedDoc {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw seedError(doc.errors.map((e) => ({ file, line: lineCounter.linePos(e.pos[0]).line, key: '', message: e.message.split('\n')[0]! })));
  }
  const lineOf = (node: { range?: readonly number[] | null | undefined } | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]!).line : 0;
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const locate = (path: KeyPath): number => {
    return yamlLineOf(doc.contents, path, lineOf, 1);
  };
  return { data, locate };
}

function formatPath(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

// ---------------------------------------------------------------------------------------------
// Schemas (zod, loaded on first use like the treefile's).

const NAME_REGEXP = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME_REGEXP = new RegExp(`^${HOST_LABEL}$`);
const FQDN_REGEXP = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);
const CRYPT_REGEXP = /^!?\$[0-9a-z]+\$[^:\n]+$/;
const CONTAINER_NAME_REGEXP = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MODE_REGEXP = /^0?[0-7]{3,4}$/;
const SSH_KEY_REGEXP = /^(?:[^\s]+\s+)?(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/]+={0,3}(?:\s.*)?$/;

function buildSchemas(z: typeof Zod) {
  const oneLine = (what: string) => z.string().refine((s) => !/[\n\r]/.test(s), `${what} must be one line`);
  const absPath = z.string().refine((s) => s.startsWith('/') && !s.split('/').includes('..') && !s.includes('\0'), 'Expected an absolute path without ".." segments');
  const name = z.string().regex(NAME_REGEXP, 'Expected a user or group name (lowercase letters, digits, "_" and "-", at most 32)');
  const nameList = z.union([z.array(name), z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))]).pipe(z.array(name));
  const sshKey = oneLine('An SSH key').refine((s) => SSH_KEY_REGEXP.test(s.trim()), 'Expected an OpenSSH public key ("ssh-ed25519 AAAA… comment")');
  const sudoRule = oneLine('A sudo rule').refine((s) => s.trim() !== '', 'Empty sudo rule');
  const hash = z.string().regex(CRYPT_REGEXP, 'Expected a crypt(3) hash ("$6$…" or "$y$…"); plain-text passwords are not accepted');

  const user = z
    .object({
      name,
      gecos: oneLine('gecos').refine((s) => !s.includes(':'), 'gecos cannot contain ":"').optional(),
      groups: nameList.optional(),
      primary_group: name.optional(),
      sudo: z.union([sudoRule, z.array(sudoRule), z.literal(false), z.null()]).optional(),
      shell: absPath.optional(),
      homedir: absPath.optional(),
      uid: z.number().int().min(0).max(2 ** 31 - 2).optional(),
      system: z.boolean().optional(),
      no_create_home: z.boolean().optional(),
      ssh_authorized_keys: z.array(sshKey).optional(),
      lock_passwd: z.boolean().optional(),
      passwd: hash.optional(),
      hashed_passwd: hash.optional(),
    })
    .strict();
  const userEntry = z.union([z.literal('default'), user]);

  const group = z.union([name, z.record(name, z.union([z.array(name), z.null()]))]);

  const writeFile = z
    .object({
      path: absPath,
      content: z.string().optional(),
      encoding: z.enum(['text/plain', 'b64', 'base64', 'gz', 'gzip', 'gz+b64', 'gz+base64', 'gzip+b64', 'gzip+base64']).optional(),
      permissions: z.string().regex(MODE_REGEXP, 'Expected an octal mode as a string, e.g. \'0644\'').optional(),
      owner: z.string().regex(/^[a-z_][a-z0-9_-]*(?::[a-z_][a-z0-9_-]*)?$/, 'Expected "user" or "user:group"').optional(),
      append: z.boolean().optional(),
      defer: z.boolean().optional(),
    })
    .strict();

  const envMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Expected a variable name'), z.union([z.string(), z.number(), z.boolean()]));
  const container = z
    .object({
      name: z.string().regex(CONTAINER_NAME_REGEXP, 'Expected a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)'),
      image: z.string().min(1).refine((s) => !/\s/.test(s), 'An image reference has no spaces'),
      command: z.union([z.array(z.string()), z.string().transform((s) => [s])]).optional(),
      entrypoint: z.string().optional(),
      env: z.union([envMap, z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/, 'Expected "KEY=VALUE"'))]).optional(),
      ports: z.array(z.union([z.string().regex(/^(?:[0-9.]+:)?(?:\d+(?:-\d+)?)?:?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/, 'Expected a port mapping like "8080:80" or "127.0.0.1:53:53/udp"'), z.number().int().min(1).max(65535).transform(String)])).optional(),
      volumes: z.array(z.string().regex(/^[^:\s]+:\/[^:\s]*(?::[a-zA-Z,]+)?$/, 'Expected "SOURCE:/target[:options]"')).optional(),
      user: z.string().min(1).optional(),
      workdir: absPath.optional(),
      network: z.string().min(1).optional(),
      restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
    })
    .strict();

  const userData = z
    .object({
      hostname: z.string().regex(HOSTNAME_REGEXP, 'Expected a host name (letters, digits and "-", at most 63)').optional(),
      fqdn: z.string().regex(FQDN_REGEXP, 'Expected a fully qualified domain name').optional(),
      groups: z.array(group).optional(),
      users: z.array(userEntry).optional(),
      ssh_authorized_keys: z.array(sshKey).optional(),
      write_files: z.array(writeFile).optional(),
      runcmd: z.array(z.union([z.string(), z.array(z.string()).min(1)])).optional(),
      berth: z.object({ containers: z.array(container).optional() }).strict().optional(),
    })
    .strict();

  const metaData = z
    .object({
      'instance-id': z.union([z.string(), z.number().transform(String)]).pipe(z.string().min(1).regex(/^[A-Za-z0-9._:@+-]+$/, 'Expected an instance id (letters, digits and ._:@+-)')),
      'local-hostname': z.string().regex(FQDN_REGEXP, 'Expected a host name').optional(),
      // NoCloud's own switch between the local and network stages; meaningless here, accepted.
      dsmode: z.enum(['local', 'net', 'disabled']).optional(),
    })
    .strict();
  return { userData, metaData };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemaCache: Schemas | undefined;
function schemas(): Schemas {
  schemaCache ??= buildSchemas(zod());
  return schemaCache;
}

type UserDataRaw = Zod.infer<Schemas['userData']>;
type MetaDataRaw = Zod.infer<Schemas['metaData']>;

function validate<T>(schema: Zod.ZodType<T, Zod.ZodTypeDef, unknown>, doc: ParsedDoc, file: string): T {
  const result = schema.safeParse(doc.data);
  if (result.success) return result.data;
  const issues: SeedIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const at = [...issue.path, key];
        issues.push({ file, line: doc.locate(at), key: formatPath(at), message: 'Unknown key (not applied by berth; see docs/provisioning.md)' });
      }
    } else if (issue.code === 'invalid_union') {
      // Report the branch that got furthest, not zod's "Invalid input".
      const best = issue.unionErrors.flatMap((e) => e.issues).sort((a, b) => b.path.length - a.path.length)[0];
      const at = best?.path ?? issue.path;
      issues.push({ file, line: doc.locate(at), key: formatPath(at), message: best?.message ?? issue.message });
    } else {
      issues.push({ file, line: doc.locate(issue.path), key: formatPath(issue.path), message: issue.message });
    }
  }
  throw seedError(issues.sort((a, b) => a.line - b.line));
}

/** `meta-data`: YAML or JSON; only `instance-id` is required. */
export function parseMetaData(text: string, file = 'meta-data'): SeedMetaData {
  const doc = parseYamlDoc(text, file);
  if (doc.data === null || doc.data === undefined || typeof doc.data !== 'object' || Array.isArray(doc.data)) {
    throw seedError([{ file, line: 1, key: 'instance-id', message: 'meta-data must be a mapping with an instance-id' }]);
  }
  const m: MetaDataRaw = validate(schemas().metaData, doc, file);
  return { instanceId: m['instance-id'], ...(m['local-hostname'] !== undefined ? { localHostname: m['local-hostname'] } : {}) };
}

function decodeContent(content: string, encoding: string | undefined): Uint8Array {
  const enc = encoding ?? 'text/plain';
  if (enc === 'text/plain') return new TextEncoder().encode(content);
  const b64 = enc.includes('b64') || enc.includes('base64');
  const gz = enc.startsWith('gz');
  let bytes: Uint8Array = b64 ? Buffer.from(content.replace(/\s+/g, ''), 'base64') : new TextEncoder().encode(content);
  if (gz) bytes = gunzipSync(bytes);
  return bytes;
}

/**
 * `user-data`: empty (nothing to do) or a `#cloud-config` document. Shell scripts, MIME multipart and
 * `#include` user-data are cloud-init formats berth does not run; they are errors, not ignored.
 */
export function parseUserData(text: string, meta: SeedMetaData, file = 'user-data'): Seed {
  const base: Seed = { metaData: meta, ...(meta.localHostname !== undefined ? { hostname: shortName(meta.localHostname) } : {}), groups: [], users: [], files: [], runcmd: [], containers: [] };
  if (text.trim() === '') return base;
  const first = text.split('\n', 1)[0]!.trimEnd();
  if (first !== '#cloud-config') {
    const kind = first.startsWith('#!') ? 'a shell script' : first.startsWith('Content-Type:') || first.startsWith('MIME-Version:') ? 'MIME multi-part' : first.startsWith('#include') ? '#include' : 'not #cloud-config';
    throw seedError([{ file, line: 1, key: '', message: `user-data is ${kind}; berth applies only "#cloud-config" documents (use runcmd for commands)` }]);
  }
  const doc = parseYamlDoc(text, file);
  if (doc.data === null || doc.data === undefined) return base;
  if (typeof doc.data !== 'object' || Array.isArray(doc.data)) throw seedError([{ file, line: 1, key: '', message: 'user-data must be a mapping of keys' }]);
  const u: UserDataRaw = validate(schemas().userData, doc, file);
  const issues: SeedIssue[] = [];
  const issue = (path: KeyPath, message: string): void => void issues.push({ file, line: doc.locate(path), key: formatPath(path), message });

  const users: SeedUser[] = [];
  const wantsDefault = u.users === undefined ? u.ssh_authorized_keys !== undefined : u.users.includes('default');
  if (u.users === undefined && wantsDefault) users.push(defaultUser(u.ssh_authorized_keys ?? []));
  (u.users ?? []).forEach((entry, i) => {
    if (entry === 'default') {
      users.push(defaultUser(u.ssh_authorized_keys ?? []));
      return;
    }
    if (entry.passwd !== undefined && entry.hashed_passwd !== undefined) issue(['users', i, 'hashed_passwd'], 'Give passwd or hashed_passwd, not both');
    const sudo = entry.sudo === undefined || entry.sudo === null || entry.sudo === false ? [] : typeof entry.sudo === 'string' ? [entry.sudo] : entry.sudo;
    const passwd = entry.hashed_passwd ?? entry.passwd;
    users.push({
      name: entry.name,
      ...(entry.gecos !== undefined ? { gecos: entry.gecos } : {}),
      groups: entry.groups ?? [],
      ...(entry.primary_group !== undefined ? { primaryGroup: entry.primary_group } : {}),
      sudo,
      ...(entry.shell !== undefined ? { shell: entry.shell } : {}),
      ...(entry.homedir !== undefined ? { homedir: entry.homedir } : {}),
      ...(entry.uid !== undefined ? { uid: entry.uid } : {}),
      system: entry.system ?? false,
      noCreateHome: entry.no_create_home ?? false,
      sshAuthorizedKeys: (entry.ssh_authorized_keys ?? []).map((k) => k.trim()),
      ...(passwd !== undefined ? { passwd } : {}),
      lockPasswd: entry.lock_passwd ?? true,
    });
  });
  if (u.ssh_authorized_keys !== undefined && !wantsDefault) {
    issue(['ssh_authorized_keys'], `Top-level keys belong to the default user "${DEFAULT_USER.name}"; add "default" to users, or put the keys under a user`);
  }
  const seenUsers = new Map<string, number>();
  users.forEach((user, i) => {
    if (seenUsers.has(user.name)) issue(['users', i, 'name'], `User ${JSON.stringify(user.name)} is listed twice`);
    seenUsers.set(user.name, i);
  });

  const groups: SeedGroup[] = (u.groups ?? []).flatMap((g) =>
    typeof g === 'string' ? [{ name: g, members: [] }] : Object.entries(g).map(([name, members]) => ({ name, members: members ?? [] })),
  );

  const files: SeedFile[] = [];
  const seenPaths = new Set<string>();
  (u.write_files ?? []).forEach((f, i) => {
    const normal = f.path.replace(/\/+/g, '/').replace(/\/$/, '');
    if (normal === '' || normal === '/') {
      issue(['write_files', i, 'path'], 'Expected a file path');
      return;
    }
    if (seenPaths.has(normal) && f.append !== true) issue(['write_files', i, 'path'], `${JSON.stringify(normal)} is written twice (use append: true)`);
    seenPaths.add(normal);
    let content: Uint8Array;
    try {
      content = decodeContent(f.content ?? '', f.encoding);
    } catch (err) {
      issue(['write_files', i, 'content'], `Cannot decode ${f.encoding ?? 'text/plain'} content: ${(err as Error).message}`);
      return;
    }
    const [owner, group] = (f.owner ?? 'root:root').split(':') as [string, string | undefined];
    files.push({ path: normal, content, permissions: parseInt(f.permissions ?? '0644', 8), owner, group: group ?? owner, append: f.append ?? false });
  });

  const containers: SeedContainer[] = [];
  const seenContainers = new Set<string>();
  (u.berth?.containers ?? []).forEach((c, i) => {
    if (seenContainers.has(c.name)) issue(['berth', 'containers', i, 'name'], `Container ${JSON.stringify(c.name)} is listed twice`);
    seenContainers.add(c.name);
    const env = c.env === undefined ? [] : Array.isArray(c.env) ? c.env : Object.entries(c.env).map(([k, v]) => `${k}=${String(v)}`);
    containers.push({
      name: c.name,
      image: c.image,
      command: c.command ?? [],
      ...(c.entrypoint !== undefined ? { entrypoint: c.entrypoint } : {}),
      env,
      ports: c.ports ?? [],
      volumes: c.volumes ?? [],
      ...(c.user !== undefined ? { user: c.user } : {}),
      ...(c.workdir !== undefined ? { workdir: c.workdir } : {}),
      ...(c.network !== undefined ? { network: c.network } : {}),
      restart: c.restart ?? 'on-failure',
    });
  });

  if (issues.length > 0) throw seedError(issues.sort((a, b) => a.line - b.line));
  const hostname = u.hostname ?? (u.fqdn !== undefined ? shortName(u.fqdn) : base.hostname);
  return {
    metaData: meta,
    ...(hostname !== undefined ? { hostname } : {}),
    ...(u.fqdn !== undefined ? { fqdn: u.fqdn.replace(/\.$/, '') } : {}),
    groups,
    users,
    files,
    runcmd: u.runcmd ?? [],
    containers,
  };
}

function shortName(host: string): string {
  return host.split('.')[0]!;
}

function defaultUser(keys: readonly string[]): SeedUser {
  return {
    name: DEFAULT_USER.name,
    gecos: DEFAULT_USER.gecos,
    groups: [...DEFAULT_USER.groups],
    sudo: [...DEFAULT_USER.sudo],
    shell: DEFAULT_USER.shell,
    system: false,
    noCreateHome: false,
    sshAuthorizedKeys: keys.map((k) => k.trim()),
    lockPasswd: true,
  };
}

/** Both files of a seed; `userData` undefined when the seed has none (NoCloud allows that). */
export function parseSeed(metaDataText: string, userDataText: string | undefined): Seed {
  const meta = parseMetaData(metaDataText);
  return parseUserData(userDataText ?? '', meta);
}
