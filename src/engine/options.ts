/** Parsing of docker's string syntaxes shared by the CLI and the API: -v, --mount, --tmpfs, -p, --restart, sizes. */
import type { MountSpec, PortBinding, RestartPolicy } from './types.js';
import { InvalidOption } from './errors.js';

const bad = (option: string, value: string, why = 'invalid value') =>
  new InvalidOption(`Invalid ${option} ${JSON.stringify(value)}: ${why}`, { option, value });

/** -v SRC:DST[:OPTS] | -v DST (anonymous volume). SRC absolute = bind, otherwise a volume name. */
export function parseBind(spec: string): MountSpec {
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', source: '', target: parts[0]!, readOnly: false };
  if (parts.length > 3) throw bad('volume', spec);
  const [source = '', target = '', opts = ''] = parts;
  if (!target.startsWith('/')) throw bad('volume', spec, 'the container path must be absolute');
  const options = opts.split(',').filter(Boolean);
  const readOnly = options.includes('ro');
  const extra = options.filter((o) => o !== 'ro' && o !== 'rw');
  const base = { type: source.startsWith('/') ? 'bind' as const : 'volume' as const, source, target, readOnly };
  return extra.length ? { ...base, options: extra } : base;
}

/** --mount type=bind|volume|tmpfs,source=…,target=…,readonly[,tmpfs-size=…,tmpfs-mode=…] */
export function parseMountFlag(spec: string): MountSpec {
  let type: MountSpec['type'] = 'volume';
  let source = '';
  let target = '';
  let readOnly = false;
  const options: string[] = [];
  for (const kv of spec.split(',')) {
    const [k = '', v] = kv.split('=', 2) as [string, string | undefined];
    switch (k) {
      case 'type':
        if (v !== 'bind' && v !== 'volume' && v !== 'tmpfs') throw bad('mount', spec, `unsupported type ${JSON.stringify(v)}`);
        type = v;
        break;
      case 'source': case 'src': source = v ?? ''; break;
      case 'target': case 'destination': case 'dst': target = v ?? ''; break;
      case 'readonly': case 'ro': readOnly = v === undefined || v === 'true' || v === '1'; break;
      case 'tmpfs-size': options.push(`size=${v}`); break;
      case 'tmpfs-mode': options.push(`mode=${Number.parseInt(v ?? '0', 8).toString(8)}`); break;
      case 'bind-propagation': options.push(v ?? 'rprivate'); break;
      default: throw bad('mount', spec, `unknown key ${JSON.stringify(k)}`);
    }
  }
  if (!target.startsWith('/')) throw bad('mount', spec, 'target must be an absolute path');
  if (type === 'bind' && !source.startsWith('/')) throw bad('mount', spec, 'bind source must be an absolute path');
  return options.length ? { type, source, target, readOnly, options } : { type, source, target, readOnly };
}

/** -p [[HOSTIP:]HOSTPORT:]CPORT[/PROTO] */
export function parsePublish(spec: string, defaultIp: string): PortBinding[] {
  const [main = '', proto = 'tcp'] = spec.split('/');
  if (proto !== 'tcp' && proto !== 'udp') throw bad('publish', spec, 'protocol must be tcp or udp');
  const parts = main.split(':');
  let hostIp = defaultIp;
  let hostPort = '';
  let cport = '';
  if (parts.length === 1) cport = parts[0]!;
  else if (parts.length === 2) [hostPort = '', cport = ''] = parts;
  else if (parts.length === 3) [hostIp = defaultIp, hostPort = '', cport = ''] = parts;
  else throw bad('publish', spec);
  if (hostIp === '') hostIp = defaultIp;
  const cp = Number(cport);
  const hp = hostPort === '' ? 0 : Number(hostPort);
  if (!Number.isInteger(cp) || cp < 1 || cp > 65535 || !Number.isInteger(hp) || hp < 0 || hp > 65535) throw bad('publish', spec);
  return [{ containerPort: cp, protocol: proto, hostIp, hostPort: hp }];
}

export function parseRestart(spec: string): RestartPolicy {
  const [name = '', count] = spec.split(':');
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw bad('restart policy', spec, 'maximum retry count cannot be used with this policy');
    return { name, maximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw bad('restart policy', spec);
    return { name, maximumRetryCount: n };
  }
  throw bad('restart policy', spec);
}

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** docker's RAMInBytes: 512m, 1g, 100k, 1024. */
export function parseSize(spec: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtb]?)b?$/i.exec(spec.trim());
  if (!m) throw bad('size', spec);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/** --cpus 1.5 → NanoCpus. */
export function parseCpus(spec: string): number {
  const n = Number(spec);
  if (!Number.isFinite(n) || n < 0) throw bad('cpus', spec);
  return Math.round(n * 1e9);
}

/** --ulimit nofile=1024:2048 */
export function parseUlimit(spec: string): { name: string; soft: number; hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) throw bad('ulimit', spec);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard) throw bad('ulimit', spec, 'soft limit must not exceed the hard limit');
  return { name: m[1]!, soft, hard };
}

/** Parse KEY=VALUE lines of an --env-file (comments and blank lines skipped; bare KEY takes the caller's env). */
export function parseEnvFile(text: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (line.includes('=')) out.push(line.trimStart());
    else {
      const v = env[line.trim()];
      if (v !== undefined) out.push(`${line.trim()}=${v}`);
    }
  }
  return out;
}

/** Environment merge by key, later entries win (docker: defaults, image, then -e). */
export function mergeEnv(...lists: ReadonlyArray<readonly string[]>): string[] {
  const map = new Map<string, string>();
  for (const list of lists) for (const e of list) {
    const i = e.indexOf('=');
    map.set(i < 0 ? e : e.slice(0, i), e);
  }
  return [...map.values()];
}

const NAME_REGEXP = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export function isValidName(name: string): boolean {
  return NAME_REGEXP.test(name);
}
