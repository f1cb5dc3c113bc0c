/**
 * berthd configuration: TOML, layered like containers.conf and zincati. Read in this order, later
 * values winning per key: vendor defaults `/usr/lib/berth/berth.toml`, its drop-ins
 * `/usr/lib/berth/berth.toml.d/*.toml` (lexical order), the admin file `/etc/berth/berth.toml` and its
 * drop-ins `/etc/berth/berth.toml.d/*.toml`, then `--config FILE`, then command-line flags. Unknown
 * keys and wrong types are errors that name the file and the key.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { defineError, isErrno } from '../core/index.js';
import { defaultRoot } from './state-root.js';

export const ConfigInvalid = defineError<{ file: string; key: string }>('DAEMON_CONFIG_INVALID', 'invalid-argument');

export interface DaemonConfig {
  /** State: containers, images, volumes. */
  readonly root: string;
  /** Runtime files: pids, sockets, monitors. */
  readonly runRoot: string;
  /** The Docker API socket. @default `<runRoot>/docker.sock` */
  readonly dockerSocket: string;
  /** Group (name or gid) granted access to the socket; empty = root only. */
  readonly socketGroup: string;
  /** Optional `HOST:PORT` for the API over TCP: only with TLS and client certificates (tls_* keys). */
  readonly tcp: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** CA that client certificates must chain to. */
  readonly tlsCa: string;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  readonly defaultRuntime: 'crun' | 'runc';
  readonly bridge: string;
  readonly subnet: string;
  readonly defaultPublishIp: string;
  /** Registries reached over plain HTTP besides 127.0.0.0/8. */
  readonly insecureRegistries: readonly string[];
  /** Start `always` / `unless-stopped` containers at daemon start. @default true */
  readonly restore: boolean;
  /** Files read, in order (for `berth daemon --print-config`). */
  readonly sources: readonly string[];
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Keys per table, with their JSON type, as they appear in the TOML files. */
const SCHEMA: Readonly<Record<string, Readonly<Record<string, 'string' | 'boolean' | 'string[]'>>>> = {
  daemon: {
    root: 'string', run_root: 'string', docker_socket: 'string', socket_group: 'string', log_level: 'string', restore: 'boolean',
    tcp: 'string', tls_cert: 'string', tls_key: 'string', tls_ca: 'string',
  },
  engine: { default_runtime: 'string', bridge: 'string', subnet: 'string', default_publish_ip: 'string' },
  registries: { insecure: 'string[]' },
};

export interface ConfigSources {
  /** @default '/usr/lib/berth' */
  readonly vendorDir?: string;
  /** @default '/etc/berth' */
  readonly etcDir?: string;
  /** `--config FILE`, read last. */
  readonly configFile?: string;
}

export interface ConfigOverrides {
  readonly root?: string;
  readonly runRoot?: string;
  readonly dockerSocket?: string;
  readonly logLevel?: string;
}

type Flat = Record<string, string | boolean | string[]>;

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function dropIns(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.toml')).sort().map((n) => join(dir, n));
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
}

/** Parses one file into `table.key` → value, checking keys and types. */
export function parseConfigText(text: string, file: string): Flat {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigInvalid(`${file}: ${(err as Error).message.split('\n')[0]}`, { file, key: '' }, { cause: err });
  }
  const out: Flat = {};
  for (const [table, body] of Object.entries(doc)) {
    const keys = SCHEMA[table];
    if (keys === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ConfigInvalid(`${file}: unknown table [${table}]`, { file, key: table });
    }
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      const type = keys[key];
      const full = `${table}.${key}`;
      if (type === undefined) throw new ConfigInvalid(`${file}: unknown key ${full}`, { file, key: full });
      const ok = type === 'string[]'
        ? Array.isArray(value) && value.every((v) => typeof v === 'string')
        : typeof value === type;
      if (!ok) throw new ConfigInvalid(`${file}: ${full} must be ${type === 'string[]' ? 'an array of strings' : `a ${type}`}`, { file, key: full });
      out[full] = value as string | boolean | string[];
    }
  }
  return out;
}

export { defaultRoot };

/** The longest socket the engine makes under the run root: containers/<64 hex>/attach.sock. */
export const LONGEST_RUN_SOCKET = `/containers/${'0'.repeat(64)}/attach.sock`;
/** sun_path is 108 bytes including the terminating NUL. */
export const UNIX_PATH_MAX = 107;

export function checkRunRoot(runRoot: string): void {
  const longest = Buffer.byteLength(runRoot) + LONGEST_RUN_SOCKET.length;
  if (longest > UNIX_PATH_MAX) {
    throw new ConfigInvalid(
      `Run root ${JSON.stringify(runRoot)} is too long: container sockets under it would need ${longest} bytes (at most ${UNIX_PATH_MAX}); choose a shorter --run-root`,
      { file: '', key: 'daemon.run_root' },
    );
  }
}

export async function loadConfig(sources: ConfigSources = {}, overrides: ConfigOverrides = {}): Promise<DaemonConfig> {
  const vendorDir = sources.vendorDir ?? '/usr/lib/berth';
  const etcDir = sources.etcDir ?? '/etc/berth';
  const files = [
    join(vendorDir, 'berth.toml'),
    ...(await dropIns(join(vendorDir, 'berth.toml.d'))),
    join(etcDir, 'berth.toml'),
    ...(await dropIns(join(etcDir, 'berth.toml.d'))),
  ];
  const merged: Flat = {};
  const read: string[] = [];
  for (const file of files) {
    const text = await readIfExists(file);
    if (text === undefined) continue;
    Object.assign(merged, parseConfigText(text, file));
    read.push(file);
  }
  if (sources.configFile !== undefined) {
    const text = await readIfExists(sources.configFile);
    if (text === undefined) throw new ConfigInvalid(`${sources.configFile}: no such file`, { file: sources.configFile, key: '' });
    Object.assign(merged, parseConfigText(text, sources.configFile));
    read.push(sources.configFile);
  }
  const s = (k: string): string | undefined => merged[k] as string | undefined;
  const defaults = defaultRoot();
  const root = overrides.root ?? s('daemon.root') ?? defaults.root;
  const runRoot = overrides.runRoot ?? s('daemon.run_root') ?? (overrides.root !== undefined ? join(root, 'run') : defaults.runRoot);
  const logLevel = overrides.logLevel ?? s('daemon.log_level') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigInvalid(`Invalid log level ${JSON.stringify(logLevel)} (one of ${LOG_LEVELS.join(', ')})`, { file: '', key: 'daemon.log_level' });
  }
  const runtime = s('engine.default_runtime') ?? 'crun';
  if (runtime !== 'crun' && runtime !== 'runc') {
    throw new ConfigInvalid(`Invalid runtime ${JSON.stringify(runtime)} (crun or runc)`, { file: '', key: 'engine.default_runtime' });
  }
  checkRunRoot(runRoot);
  const tcp = s('daemon.tcp') ?? '';
  const tls = { cert: s('daemon.tls_cert') ?? '', key: s('daemon.tls_key') ?? '', ca: s('daemon.tls_ca') ?? '' };
  if (tcp !== '') {
    if (!/^[^:]+:\d{1,5}$/.test(tcp)) throw new ConfigInvalid(`Invalid daemon.tcp ${JSON.stringify(tcp)} (HOST:PORT)`, { file: '', key: 'daemon.tcp' });
    const missing = Object.entries(tls).filter(([, v]) => v === '').map(([k]) => `daemon.tls_${k}`);
    if (missing.length > 0) {
      throw new ConfigInvalid(`daemon.tcp needs TLS with client certificates: set ${missing.join(', ')}`, { file: '', key: missing[0]! });
    }
  }
  return {
    tcp,
    tlsCert: tls.cert,
    tlsKey: tls.key,
    tlsCa: tls.ca,
    root,
    runRoot,
    dockerSocket: overrides.dockerSocket ?? s('daemon.docker_socket') ?? join(runRoot, 'docker.sock'),
    socketGroup: s('daemon.socket_group') ?? '',
    logLevel: logLevel as LogLevel,
    defaultRuntime: runtime,
    bridge: s('engine.bridge') ?? 'berth0',
    subnet: s('engine.subnet') ?? '10.89.0.0/24',
    defaultPublishIp: s('engine.default_publish_ip') ?? '127.0.0.1',
    insecureRegistries: (merged['registries.insecure'] as string[] | undefined) ?? [],
    restore: (merged['daemon.restore'] as boolean | undefined) ?? true,
    sources: read,
  };
}
