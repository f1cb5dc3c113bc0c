/**
 * The OCI runtime spec (config.json) berth hands to crun/runc, built purely from a description of the
 * container: no I/O, no clock. Everything host-dependent (capabilities the engine holds, its rlimits,
 * host devices, kernel version) comes in as input. Docker's semantics are the reference (moby v28
 * `daemon/oci_linux.go`, `oci/defaults.go`): default caps, masked/read-only paths, default mounts,
 * device cgroup rules, seccomp per granted caps, and `--privileged`.
 */
import { DOCKER_DEFAULT_SECCOMP, SECCOMP_ARCHES, type SeccompArg, type SeccompRuleTemplate } from './seccomp-default.js';

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls?: Array<{ names: string[]; action: string; errnoRet?: number; args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> }>;
}

export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciDevice {
  path: string;
  type: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    consoleSize?: { height: number; width: number };
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits?: OciRlimit[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: Array<{ type: string; path?: string }>;
    cgroupsPath?: string;
    resources: {
      devices: Array<{ allow: boolean; type?: string; major?: number; minor?: number; access?: string }>;
      memory?: { limit: number };
      cpu?: { quota: number; period: number };
      pids?: { limit: number };
    };
    devices?: OciDevice[];
    seccomp?: OciSeccomp;
    maskedPaths: string[];
    readonlyPaths: string[];
    sysctl?: Record<string, string>;
  };
}

/** Docker's default capability set (moby `oci/caps/defaults.go`): 14 capabilities. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Linux capabilities by number (include/uapi/linux/capability.h), 0 … 40. */
export const CAPABILITIES_BY_NUMBER: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Masked by bind-mounting /dev/null (files) or an empty read-only tmpfs (directories). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** rlimit names as docker's --ulimit spells them → OCI types. */
export const RLIMIT_TYPES: Readonly<Record<string, string>> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK', as: 'RLIMIT_AS',
};

export type NamespaceSetting = { readonly mode: 'private' } | { readonly mode: 'host' } | { readonly mode: 'path'; readonly path: string };

export interface SpecInput {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly user: { readonly uid: number; readonly gid: number; readonly additionalGids?: readonly number[] };
  readonly terminal: boolean;
  readonly consoleSize?: { readonly height: number; readonly width: number };
  readonly hostname?: string;
  readonly domainname?: string;
  readonly rootfs: string;
  readonly readonlyRootfs: boolean;
  readonly network: NamespaceSetting;
  readonly pid: NamespaceSetting;
  readonly ipc: NamespaceSetting;
  readonly uts: NamespaceSetting;
  /** Mounts after the defaults (binds, volumes, tmpfs, /etc/hosts …), in order. */
  readonly mounts: readonly OciMount[];
  readonly privileged: boolean;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  /** 'default' = Docker's profile for the granted caps; 'unconfined' = none; or a docker-format profile object. */
  readonly seccomp: 'default' | 'unconfined' | SeccompProfileFile;
  readonly noNewPrivileges: boolean;
  /** Capabilities the engine itself holds (its bounding set); nothing outside it is ever requested. */
  readonly availableCaps: readonly string[];
  readonly memory?: number;
  readonly nanoCpus?: number;
  readonly pidsLimit?: number;
  readonly shmSize?: number;
  /** Requested rlimits (docker names); clamped to `hostRlimits`. */
  readonly ulimits: readonly { readonly name: string; readonly soft: number; readonly hard: number }[];
  /** The engine's own hard limits by docker name; without CAP_SYS_RESOURCE a container cannot exceed them. */
  readonly hostHardRlimits: Readonly<Record<string, number>>;
  readonly canRaiseRlimits: boolean;
  /** Host device nodes, added with --privileged. */
  readonly hostDevices: readonly OciDevice[];
  readonly cgroupsPath: string;
  /** For seccomp rule selection. @default 'amd64' */
  readonly arch?: string;
  readonly kernel?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly sysctls?: Readonly<Record<string, string>>;
}

/** Docker's seccomp JSON file format (what --security-opt seccomp=FILE takes). */
export interface SeccompProfileFile {
  readonly defaultAction: string;
  readonly defaultErrnoRet?: number;
  readonly architectures?: readonly string[];
  readonly archMap?: readonly { readonly architecture: string; readonly subArchitectures: readonly string[] | null }[];
  readonly syscalls?: readonly {
    readonly names?: readonly string[];
    readonly name?: string;
    readonly action: string;
    readonly errnoRet?: number;
    readonly args?: readonly { index: number; value: number; valueTwo?: number; op: string }[] | null;
    readonly includes?: { caps?: readonly string[]; arches?: readonly string[]; minKernel?: string };
    readonly excludes?: { caps?: readonly string[]; arches?: readonly string[] };
  }[];
}

export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper === 'ALL' ? 'ALL' : upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** Docker's cap arithmetic: start from defaults (or all), add, drop; ALL in either list means all. */
export function effectiveCapabilities(input: Pick<SpecInput, 'privileged' | 'capAdd' | 'capDrop' | 'availableCaps'>): string[] {
  const available = new Set(input.availableCaps);
  if (input.privileged) return [...input.availableCaps];
  const add = input.capAdd.map(normalizeCapability);
  const drop = input.capDrop.map(normalizeCapability);
  let caps = new Set<string>(add.includes('ALL') ? input.availableCaps : DEFAULT_CAPABILITIES);
  for (const c of add) if (c !== 'ALL') caps.add(c);
  if (drop.includes('ALL')) caps = new Set(add.filter((c) => c !== 'ALL'));
  else for (const c of drop) caps.delete(c);
  return CAPABILITIES_BY_NUMBER.filter((c) => caps.has(c) && available.has(c));
}

function compareKernel(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 2; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function ruleApplies(rule: SeccompRuleTemplate, caps: ReadonlySet<string>, arch: string, kernel: string): boolean {
  if (rule.includesCaps && !rule.includesCaps.every((c) => caps.has(c))) return false;
  if (rule.includesArches && !rule.includesArches.includes(arch)) return false;
  if (rule.minKernel && compareKernel(kernel, rule.minKernel) < 0) return false;
  if (rule.excludesCaps?.some((c) => caps.has(c))) return false;
  if (rule.excludesArches?.includes(arch)) return false;
  return true;
}

/** The seccomp section dockerd generates for a container holding `caps` (from the default profile). */
export function seccompForCaps(caps: readonly string[], arch = 'amd64', kernel = '6.0'): OciSeccomp {
  return seccompFromRules(DOCKER_DEFAULT_SECCOMP, { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 }, caps, arch, kernel);
}

function seccompFromRules(
  rules: readonly SeccompRuleTemplate[],
  head: { defaultAction: string; defaultErrnoRet?: number; architectures?: readonly string[] },
  caps: readonly string[],
  arch: string,
  kernel: string,
): OciSeccomp {
  const capSet = new Set(caps);
  const out: OciSeccomp = {
    defaultAction: head.defaultAction,
    architectures: [...(head.architectures ?? SECCOMP_ARCHES[arch] ?? [])],
    syscalls: [],
  };
  if (head.defaultErrnoRet !== undefined) out.defaultErrnoRet = head.defaultErrnoRet;
  for (const rule of rules) {
    if (!ruleApplies(rule, capSet, arch, kernel)) continue;
    const entry: NonNullable<OciSeccomp['syscalls']>[number] = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) entry.errnoRet = rule.errnoRet;
    if (rule.args) entry.args = rule.args.map((a) => ({ ...a }));
    out.syscalls!.push(entry);
  }
  return out;
}

/** A docker-format profile file (--security-opt seccomp=FILE) → the runtime's seccomp section. */
export function seccompFromProfile(profile: SeccompProfileFile, caps: readonly string[], arch = 'amd64', kernel = '6.0'): OciSeccomp {
  const rules: SeccompRuleTemplate[] = (profile.syscalls ?? []).map((s) => {
    const r: { -readonly [K in keyof SeccompRuleTemplate]: SeccompRuleTemplate[K] } = {
      names: s.names ?? (s.name !== undefined ? [s.name] : []),
      action: s.action as SeccompRuleTemplate['action'],
    };
    if (s.errnoRet !== undefined) r.errnoRet = s.errnoRet;
    if (s.args) r.args = s.args as readonly SeccompArg[];
    if (s.includes?.caps?.length) r.includesCaps = s.includes.caps;
    if (s.includes?.arches?.length) r.includesArches = s.includes.arches;
    if (s.includes?.minKernel) r.minKernel = s.includes.minKernel;
    if (s.excludes?.caps?.length) r.excludesCaps = s.excludes.caps;
    if (s.excludes?.arches?.length) r.excludesArches = s.excludes.arches;
    return r;
  });
  let architectures = profile.architectures;
  if (!architectures && profile.archMap) {
    const native = SECCOMP_ARCHES[arch]?.[0];
    const entry = profile.archMap.find((m) => m.architecture === native);
    if (entry) architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  }
  const head: { defaultAction: string; defaultErrnoRet?: number; architectures?: readonly string[] } = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) head.defaultErrnoRet = profile.defaultErrnoRet;
  if (architectures) head.architectures = architectures;
  return seccompFromRules(rules, head, caps, arch, kernel);
}

/** Docker's default mounts (moby `oci/defaults.go`), /dev/shm sized from ShmSize. */
export function defaultMounts(options: { readonly privileged: boolean; readonly shmSize: number; readonly ipcHost: boolean }): OciMount[] {
  const sysOpts = ['nosuid', 'noexec', 'nodev', options.privileged ? 'rw' : 'ro'];
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOpts },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', options.privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (options.ipcHost) mounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  else mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${options.shmSize}`] });
  return mounts;
}

/**
 * Docker's device cgroup defaults: deny all, allow mknod of any node, then the usual character devices.
 * (Fuse, 10:229, stays denied by the deny-all; an explicit deny after `c *:* m` is refused by runc on cgroup v1.)
 */
export function defaultDeviceRules(privileged: boolean): OciSpec['linux']['resources']['devices'] {
  if (privileged) return [{ allow: true, access: 'rwm' }];
  const c = (major: number, minor: number) => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    c(1, 3), c(1, 5), c(1, 7), c(1, 8), c(1, 9), c(5, 0), c(5, 1), c(5, 2), c(10, 200),
    { allow: true, type: 'c', major: 136, access: 'rwm' },
  ];
}

/** Requested ulimits clamped to what the engine may grant (never above its own hard limit without CAP_SYS_RESOURCE). */
export function clampRlimits(input: Pick<SpecInput, 'ulimits' | 'hostHardRlimits' | 'canRaiseRlimits'>): OciRlimit[] {
  const out: OciRlimit[] = [];
  for (const u of input.ulimits) {
    const type = RLIMIT_TYPES[u.name];
    if (type === undefined) throw new RangeError(`Unknown ulimit ${JSON.stringify(u.name)}`);
    const ceiling = input.canRaiseRlimits ? Infinity : (input.hostHardRlimits[u.name] ?? Infinity);
    const hard = Math.min(u.hard, ceiling);
    out.push({ type, hard, soft: Math.min(u.soft, hard) });
  }
  return out;
}

function namespace(type: string, setting: NamespaceSetting): { type: string; path?: string } | undefined {
  if (setting.mode === 'host') return undefined;
  if (setting.mode === 'path') return { type, path: setting.path };
  return { type };
}

/** The whole config.json. */
export function buildSpec(input: SpecInput): OciSpec {
  const caps = effectiveCapabilities(input);
  const arch = input.arch ?? 'amd64';
  let seccomp: OciSeccomp | undefined;
  if (!input.privileged && input.seccomp !== 'unconfined') {
    seccomp = input.seccomp === 'default'
      ? seccompForCaps(caps, arch, input.kernel)
      : seccompFromProfile(input.seccomp, caps, arch, input.kernel);
  }
  const namespaces = [
    { type: 'mount' },
    namespace('network', input.network),
    namespace('pid', input.pid),
    namespace('ipc', input.ipc),
    namespace('uts', input.uts),
  ].filter((n): n is { type: string; path?: string } => n !== undefined);

  const resources: OciSpec['linux']['resources'] = { devices: defaultDeviceRules(input.privileged) };
  if (input.memory !== undefined && input.memory > 0) resources.memory = { limit: input.memory };
  if (input.nanoCpus !== undefined && input.nanoCpus > 0) {
    const period = 100000;
    resources.cpu = { period, quota: Math.round((input.nanoCpus * period) / 1e9) };
  }
  if (input.pidsLimit !== undefined && input.pidsLimit > 0) resources.pids = { limit: input.pidsLimit };

  const user: OciSpec['process']['user'] = { uid: input.user.uid, gid: input.user.gid };
  if (input.user.additionalGids?.length) user.additionalGids = [...input.user.additionalGids];

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: input.terminal,
      user,
      args: [...input.args],
      env: [...input.env],
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: input.noNewPrivileges,
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    mounts: [
      ...defaultMounts({ privileged: input.privileged, shmSize: input.shmSize ?? 64 * 1024 * 1024, ipcHost: input.ipc.mode === 'host' }),
      ...input.mounts.map((m) => ({ ...m, ...(m.options ? { options: [...m.options] } : {}) })),
    ],
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources,
      maskedPaths: input.privileged ? [] : [...DEFAULT_MASKED_PATHS],
      readonlyPaths: input.privileged ? [] : [...DEFAULT_READONLY_PATHS],
    },
  };
  if (input.terminal && input.consoleSize) spec.process.consoleSize = { ...input.consoleSize };
  const rlimits = clampRlimits(input);
  if (rlimits.length > 0) spec.process.rlimits = rlimits;
  if (input.uts.mode !== 'host' && input.hostname !== undefined) spec.hostname = input.hostname;
  if (input.uts.mode !== 'host' && input.domainname) spec.domainname = input.domainname;
  if (seccomp) spec.linux.seccomp = seccomp;
  if (input.privileged && input.hostDevices.length > 0) spec.linux.devices = input.hostDevices.map((d) => ({ ...d }));
  if (input.annotations && Object.keys(input.annotations).length > 0) spec.annotations = { ...input.annotations };
  if (input.sysctls && Object.keys(input.sysctls).length > 0) spec.linux.sysctl = { ...input.sysctls };
  return spec;
}
