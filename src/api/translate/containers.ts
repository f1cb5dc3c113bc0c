/**
 * Engine container model ↔ Docker Engine API JSON (v1.50): list items, inspect, and the create body.
 * Docker's vocabulary (Id, Names, State, HostConfig…) lives only here.
 */
import type {
  ContainerCreateOptions, ContainerInfo, ContainerMount, ContainerSummary, HostConfig, MountSpec, NetworkMode,
  PortBinding, PublishedPort, RestartPolicyName, RuntimeName, Ulimit,
} from '../../engine/index.js';
import { ApiBadRequest, ApiNoSuchObject } from '../errors.js';
import { schemaProperties } from '../schema/check.js';

const NAME_REGEXP = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** Docker refuses memory limits below 6 MiB (moby daemon/daemon_unix.go linuxMinMemory). */
export const MIN_MEMORY = 6 * 1024 * 1024;

function portsJson(published: readonly PublishedPort[], exposed: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = published.map((p) => ({
    IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol,
  }));
  for (const e of exposed) {
    const [port, proto = 'tcp'] = e.split('/');
    if (!published.some((p) => String(p.containerPort) === port && p.protocol === proto)) {
      out.push({ PrivatePort: Number(port), Type: proto });
    }
  }
  return out;
}

function mountJson(m: ContainerMount): Record<string, unknown> {
  return {
    Type: m.type,
    ...(m.name !== undefined ? { Name: m.name } : {}),
    Source: m.source,
    Destination: m.destination,
    ...(m.type === 'volume' ? { Driver: 'local' } : {}),
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.type === 'bind' ? 'rprivate' : '',
  };
}

function networkName(mode: NetworkMode): string {
  return mode === 'none' ? 'none' : mode === 'host' ? 'host' : 'bridge';
}

function endpointJson(ip: string, gateway: string, prefixLen: number, mac: string): Record<string, unknown> {
  return {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: mac, DriverOpts: null, GwPriority: 0, NetworkID: '',
    EndpointID: '', Gateway: gateway, IPAddress: ip, IPPrefixLen: prefixLen, IPv6Gateway: '', GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

export function toContainerSummaryJson(c: ContainerSummary): Record<string, unknown> {
  const net = networkName(c.networkMode);
  return {
    Id: c.id,
    Names: c.names.map((n) => (n.startsWith('/') ? n : `/${n}`)),
    Image: c.image,
    ImageID: c.imageId,
    Command: c.command,
    Created: c.created,
    Ports: portsJson(c.ports, c.exposedPorts),
    Labels: { ...c.labels },
    State: c.state,
    Status: c.status,
    HostConfig: { NetworkMode: c.networkMode === 'bridge' ? 'bridge' : c.networkMode },
    NetworkSettings: { Networks: { [net]: endpointJson(c.ipAddress, '', 0, '') } },
    Mounts: c.mounts.map(mountJson),
  };
}

function portMapJson(published: readonly PublishedPort[], exposed: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of exposed) out[e.includes('/') ? e : `${e}/tcp`] = null;
  for (const p of published) {
    const key = `${p.containerPort}/${p.protocol}`;
    const list = (out[key] as Record<string, string>[] | null | undefined) ?? [];
    list.push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
    out[key] = list;
  }
  return out;
}

export function toHostConfigJson(h: HostConfig): Record<string, unknown> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of h.portBindings ?? []) {
    const key = `${p.containerPort}/${p.protocol}`;
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort === 0 ? '' : String(p.hostPort) });
  }
  return {
    Binds: h.binds !== undefined && h.binds.length > 0 ? [...h.binds] : null,
    ContainerIDFile: '',
    LogConfig: { Type: 'json-file', Config: {} },
    NetworkMode: h.networkMode ?? 'bridge',
    PortBindings: bindings,
    RestartPolicy: { Name: h.restartPolicy?.name ?? 'no', MaximumRetryCount: h.restartPolicy?.maximumRetryCount ?? 0 },
    AutoRemove: h.autoRemove ?? false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: h.capAdd !== undefined ? [...h.capAdd] : null,
    CapDrop: h.capDrop !== undefined ? [...h.capDrop] : null,
    CgroupnsMode: 'private',
    Dns: h.dns !== undefined ? [...h.dns] : [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: h.extraHosts !== undefined ? [...h.extraHosts] : null,
    GroupAdd: null,
    IpcMode: h.ipcMode === 'host' ? 'host' : 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: h.pidMode ?? '',
    Privileged: h.privileged ?? false,
    PublishAllPorts: h.publishAllPorts ?? false,
    ReadonlyRootfs: h.readOnlyRootfs ?? false,
    SecurityOpt: h.securityOpt !== undefined ? [...h.securityOpt] : null,
    Tmpfs: h.tmpfs !== undefined ? { ...h.tmpfs } : undefined,
    UTSMode: h.utsMode ?? '',
    UsernsMode: '',
    ShmSize: h.shmSize ?? 64 * 1024 * 1024,
    Runtime: h.runtime ?? 'runc',
    Isolation: '',
    CpuShares: 0,
    Memory: h.memory ?? 0,
    NanoCpus: h.nanoCpus ?? 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: h.memory !== undefined && h.memory > 0 ? h.memory * 2 : 0,
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: h.pidsLimit ?? null,
    Ulimits: (h.ulimits ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    Mounts: h.mounts?.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
    Init: h.init ?? null,
    MaskedPaths: null,
    ReadonlyPaths: null,
  };
}

export function toContainerInspectJson(c: ContainerInfo): Record<string, unknown> {
  const net = networkName(c.network.mode);
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: [...c.args],
    State: {
      Status: c.state.status,
      Running: c.state.running,
      Paused: c.state.status === 'paused',
      Restarting: c.state.restarting,
      OOMKilled: c.state.oomKilled,
      Dead: c.state.dead,
      Pid: c.state.pid,
      ExitCode: c.state.exitCode,
      Error: c.state.error,
      StartedAt: c.state.startedAt,
      FinishedAt: c.state.finishedAt,
    },
    Image: c.image,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: c.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: { ...toHostConfigJson(c.hostConfig), Runtime: c.runtime, // conmon's k8s-file is not a driver docker's schema knows: it is reported as "local" (docker's own
    // format, read through the logs endpoint), which is what it is to a Docker client; LogPath names the file.
    LogConfig: { Type: c.logDriver === 'k8s-file' ? 'local' : 'json-file', Config: {} } },
    GraphDriver: { Name: 'overlay2', Data: { MergedDir: c.rootfs } },
    Mounts: c.mounts.map(mountJson),
    Config: {
      Hostname: c.config.hostname,
      Domainname: c.config.domainname,
      User: c.config.user,
      AttachStdin: c.config.openStdin,
      AttachStdout: true,
      AttachStderr: true,
      ...(c.config.exposedPorts.length > 0
        ? { ExposedPorts: Object.fromEntries(c.config.exposedPorts.map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) }
        : {}),
      Tty: c.config.tty,
      OpenStdin: c.config.openStdin,
      StdinOnce: c.config.stdinOnce,
      Env: [...c.config.env],
      Cmd: c.config.cmd.length > 0 ? [...c.config.cmd] : null,
      Image: c.config.image,
      Volumes: null,
      WorkingDir: c.config.workingDir,
      Entrypoint: c.config.entrypoint !== null ? [...c.config.entrypoint] : null,
      OnBuild: null,
      Labels: { ...c.config.labels },
      ...(c.config.stopSignal !== '' ? { StopSignal: c.config.stopSignal } : {}),
      StopTimeout: c.config.stopTimeout,
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      Ports: portMapJson(c.network.ports, c.config.exposedPorts),
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: c.network.gateway,
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: c.network.ipAddress,
      IPPrefixLen: c.network.prefixLen,
      IPv6Gateway: '',
      MacAddress: c.network.macAddress,
      Networks: { [net]: endpointJson(c.network.ipAddress, c.network.gateway, c.network.prefixLen, c.network.macAddress) },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Create body → engine options

const CONFIG_KEYS = new Set([...schemaProperties('ContainerConfig'), 'HostConfig', 'NetworkingConfig']);
const HOST_CONFIG_KEYS = schemaProperties('HostConfig');
const RESTART_POLICIES: readonly RestartPolicyName[] = ['no', 'always', 'on-failure', 'unless-stopped'];
const RUNTIMES: readonly RuntimeName[] = ['crun', 'runc'];

type Json = Record<string, unknown>;

function bad(message: string, details: Json = {}): never {
  throw new ApiBadRequest(message, details);
}

function obj(v: unknown, what: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) bad(`json: cannot unmarshal ${jsonKind(v)} into ${what} of type object`);
  return v as Json;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'number' ? 'number' : typeof v;
}

function str(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(`json: cannot unmarshal ${jsonKind(v)} into ${what} of type string`);
  return v;
}

function bool(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') bad(`json: cannot unmarshal ${jsonKind(v)} into ${what} of type bool`);
  return v;
}

function int(v: unknown, what: string, min = Number.MIN_SAFE_INTEGER): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(`json: cannot unmarshal ${jsonKind(v)} into ${what} of type int64`);
  if (v < min) bad(`Invalid ${what}: ${v}`);
  return v;
}

/** Docker's StrSlice: a string or an array of strings. */
function strList(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad(`json: cannot unmarshal ${jsonKind(v)} into ${what} of type []string`);
  return [...(v as string[])];
}

function strMap(v: unknown, what: string): Record<string, string> | undefined {
  const o = obj(v, what);
  if (o === undefined) return undefined;
  for (const [k, x] of Object.entries(o)) if (typeof x !== 'string') bad(`json: cannot unmarshal ${jsonKind(x)} into ${what}[${JSON.stringify(k)}] of type string`);
  return o as Record<string, string>;
}

/**
 * Unknown PascalCase fields are refused (a typo such as "Hostconfig" would otherwise be silently
 * dropped); lower-case keys at the top level are client-library options that some libraries send in
 * the body as well as the query (dockerode's `name`, `platform`), and are ignored as dockerd does.
 */
function checkKeys(o: Json, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(o)) {
    if (where === '' && /^[a-z]/.test(key)) continue;
    if (!allowed.has(key)) bad(`json: unknown field ${JSON.stringify(key)}${where === '' ? '' : ` in ${where}`}`, { field: key });
  }
}

function parsePortKey(key: string): { port: number; protocol: 'tcp' | 'udp' } {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(key);
  const port = m === null ? NaN : Number(m[1]);
  if (m === null || port < 1 || port > 65535) bad(`invalid port specification: ${JSON.stringify(key)}`, { port: key });
  return { port, protocol: (m[2] ?? 'tcp') as 'tcp' | 'udp' };
}

function parseNetworkMode(v: string | undefined): NetworkMode | undefined {
  if (v === undefined || v === '' || v === 'default' || v === 'bridge') return v === undefined || v === '' ? undefined : 'bridge';
  if (v === 'none' || v === 'host') return v;
  throw new ApiNoSuchObject(`network ${v} not found`, { what: 'network', ref: v });
}

/**
 * Validates a `POST /containers/create` body the way dockerd does (unknown fields and wrong JSON types
 * are 400s here, as with a strict decoder) and maps it to engine options. Throws before anything is made.
 */
export function fromCreateBody(raw: unknown, name: string | undefined): ContainerCreateOptions {
  const body = obj(raw, 'container.Config') ?? bad('Config cannot be empty in order to create a container');
  checkKeys(body, CONFIG_KEYS, '');
  if (name !== undefined && name !== '' && !NAME_REGEXP.test(name)) {
    bad(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { name });
  }
  const image = str(body.Image, 'Config.Image');
  if (image === undefined || image === '') bad('Config cannot be empty in order to create a container');
  const hc = obj(body.HostConfig, 'HostConfig') ?? {};
  checkKeys(hc, HOST_CONFIG_KEYS, 'HostConfig');
  obj(body.NetworkingConfig, 'NetworkingConfig');

  const host: { -readonly [K in keyof HostConfig]: HostConfig[K] } = {};
  const binds = strList(hc.Binds, 'HostConfig.Binds');
  if (binds !== undefined && binds.length > 0) {
    for (const b of binds) if (b.split(':').length < 2 || b.split(':')[1] === '') bad(`invalid volume specification: ${JSON.stringify(b)}`, { bind: b });
    host.binds = binds;
  }
  const mounts = hc.Mounts;
  if (mounts !== undefined && mounts !== null) {
    if (!Array.isArray(mounts)) bad('json: cannot unmarshal into HostConfig.Mounts of type []mount.Mount');
    host.mounts = mounts.map((m, i): MountSpec => {
      const o = obj(m, `HostConfig.Mounts[${i}]`) ?? {};
      const type = str(o.Type, 'Mount.Type');
      if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') bad(`mount type unknown: ${JSON.stringify(type ?? '')}`);
      const target = str(o.Target, 'Mount.Target') ?? '';
      if (!target.startsWith('/')) bad(`invalid mount config for type ${JSON.stringify(type)}: invalid mount path: '${target}' mount path must be absolute`);
      const tmpfs = obj(o.TmpfsOptions, 'Mount.TmpfsOptions');
      const options: string[] = [];
      if (tmpfs !== undefined) {
        const size = int(tmpfs.SizeBytes, 'TmpfsOptions.SizeBytes', 0);
        const mode = int(tmpfs.Mode, 'TmpfsOptions.Mode', 0);
        if (size !== undefined) options.push(`size=${size}`);
        if (mode !== undefined) options.push(`mode=${mode.toString(8)}`);
      }
      return { type, source: str(o.Source, 'Mount.Source') ?? '', target, readOnly: bool(o.ReadOnly, 'Mount.ReadOnly') ?? false, ...(options.length > 0 ? { options } : {}) };
    });
  }
  const tmpfs = strMap(hc.Tmpfs, 'HostConfig.Tmpfs');
  if (tmpfs !== undefined && Object.keys(tmpfs).length > 0) host.tmpfs = tmpfs;
  const ro = bool(hc.ReadonlyRootfs, 'HostConfig.ReadonlyRootfs');
  if (ro !== undefined) host.readOnlyRootfs = ro;

  const pb = obj(hc.PortBindings, 'HostConfig.PortBindings');
  if (pb !== undefined) {
    const list: PortBinding[] = [];
    for (const [key, value] of Object.entries(pb)) {
      const { port, protocol } = parsePortKey(key);
      if (value === null) continue;
      if (!Array.isArray(value)) bad(`json: cannot unmarshal ${jsonKind(value)} into HostConfig.PortBindings of type []nat.PortBinding`);
      for (const b of value) {
        const bo = obj(b, 'PortBinding') ?? {};
        const hostPortText = str(bo.HostPort, 'PortBinding.HostPort') ?? '';
        const hostPort = hostPortText === '' ? 0 : Number(hostPortText);
        if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) bad(`invalid port specification: ${JSON.stringify(hostPortText)}`);
        list.push({ containerPort: port, protocol, hostIp: str(bo.HostIp, 'PortBinding.HostIp') ?? '', hostPort });
      }
    }
    if (list.length > 0) host.portBindings = list;
  }
  const publishAll = bool(hc.PublishAllPorts, 'HostConfig.PublishAllPorts');
  if (publishAll !== undefined) host.publishAllPorts = publishAll;
  const networkMode = parseNetworkMode(str(hc.NetworkMode, 'HostConfig.NetworkMode'));
  if (networkMode !== undefined) host.networkMode = networkMode;
  for (const [key, field] of [['PidMode', 'pidMode'], ['IpcMode', 'ipcMode'], ['UTSMode', 'utsMode']] as const) {
    const v = str(hc[key], `HostConfig.${key}`);
    if (v === 'host') host[field] = 'host';
    else if (v !== undefined && v !== '' && v !== 'private' && v !== 'shareable') bad(`invalid ${key}: ${v}`);
  }
  const memory = int(hc.Memory, 'HostConfig.Memory', 0);
  if (memory !== undefined && memory > 0) {
    if (memory < MIN_MEMORY) bad('Minimum memory limit allowed is 6MB', { memory });
    host.memory = memory;
  }
  const nanoCpus = int(hc.NanoCpus, 'HostConfig.NanoCpus', 0);
  if (nanoCpus !== undefined && nanoCpus > 0) host.nanoCpus = nanoCpus;
  const pids = int(hc.PidsLimit, 'HostConfig.PidsLimit');
  if (pids !== undefined && pids !== 0) host.pidsLimit = pids;
  const capAdd = strList(hc.CapAdd, 'HostConfig.CapAdd');
  if (capAdd !== undefined && capAdd.length > 0) host.capAdd = capAdd;
  const capDrop = strList(hc.CapDrop, 'HostConfig.CapDrop');
  if (capDrop !== undefined && capDrop.length > 0) host.capDrop = capDrop;
  const secOpt = strList(hc.SecurityOpt, 'HostConfig.SecurityOpt');
  if (secOpt !== undefined && secOpt.length > 0) host.securityOpt = secOpt;
  const privileged = bool(hc.Privileged, 'HostConfig.Privileged');
  if (privileged !== undefined) host.privileged = privileged;
  const rp = obj(hc.RestartPolicy, 'HostConfig.RestartPolicy');
  const autoRemove = bool(hc.AutoRemove, 'HostConfig.AutoRemove') ?? false;
  if (rp !== undefined) {
    const rpName = str(rp.Name, 'RestartPolicy.Name') ?? '';
    const policy = (rpName === '' ? 'no' : rpName) as RestartPolicyName;
    if (!RESTART_POLICIES.includes(policy)) {
      bad(`invalid restart policy: unknown policy '${rpName}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`, { policy: rpName });
    }
    const retries = int(rp.MaximumRetryCount, 'RestartPolicy.MaximumRetryCount') ?? 0;
    if (retries < 0) bad('invalid restart policy: maximum retry count cannot be negative');
    if (retries > 0 && policy !== 'on-failure') bad(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (autoRemove && policy !== 'no') bad(`can't create 'AutoRemove' container with restart policy`);
    host.restartPolicy = { name: policy, maximumRetryCount: retries };
  }
  if (autoRemove) host.autoRemove = true;
  const init = bool(hc.Init, 'HostConfig.Init');
  if (init !== undefined) host.init = init;
  const runtime = str(hc.Runtime, 'HostConfig.Runtime');
  if (runtime !== undefined && runtime !== '') {
    if (!RUNTIMES.includes(runtime as RuntimeName)) bad(`unknown or invalid runtime name: ${runtime}`, { runtime });
    host.runtime = runtime as RuntimeName;
  }
  const ulimits = hc.Ulimits;
  if (Array.isArray(ulimits) && ulimits.length > 0) {
    host.ulimits = ulimits.map((u, i): Ulimit => {
      const o = obj(u, `HostConfig.Ulimits[${i}]`) ?? {};
      return { name: str(o.Name, 'Ulimit.Name') ?? bad('Ulimit without a name'), soft: int(o.Soft, 'Ulimit.Soft') ?? 0, hard: int(o.Hard, 'Ulimit.Hard') ?? 0 };
    });
  }
  const shm = int(hc.ShmSize, 'HostConfig.ShmSize', 0);
  if (shm !== undefined && shm > 0) host.shmSize = shm;
  const extraHosts = strList(hc.ExtraHosts, 'HostConfig.ExtraHosts');
  if (extraHosts !== undefined && extraHosts.length > 0) host.extraHosts = extraHosts;
  const dns = strList(hc.Dns, 'HostConfig.Dns');
  if (dns !== undefined && dns.length > 0) host.dns = dns;
  const consoleSize = hc.ConsoleSize;
  if (consoleSize !== undefined && consoleSize !== null) {
    if (!Array.isArray(consoleSize) || consoleSize.length !== 2 || !consoleSize.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff)) {
      bad('json: cannot unmarshal into HostConfig.ConsoleSize of type [2]uint');
    }
  }

  const options: { -readonly [K in keyof ContainerCreateOptions]: ContainerCreateOptions[K] } = { image, host };
  if (name !== undefined && name !== '') options.name = name.replace(/^\//, '');
  const cmd = strList(body.Cmd, 'Config.Cmd');
  if (cmd !== undefined && cmd.length > 0) options.cmd = cmd;
  const entrypoint = strList(body.Entrypoint, 'Config.Entrypoint');
  if (entrypoint !== undefined) options.entrypoint = entrypoint;
  const env = strList(body.Env, 'Config.Env');
  if (env !== undefined && env.length > 0) {
    for (const e of env) if (e.startsWith('=') || e === '') bad(`invalid environment variable: ${e}`);
    options.env = env;
  }
  const wd = str(body.WorkingDir, 'Config.WorkingDir');
  if (wd !== undefined && wd !== '') {
    if (!wd.startsWith('/')) bad(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
    options.workingDir = wd;
  }
  const user = str(body.User, 'Config.User');
  if (user !== undefined && user !== '') options.user = user;
  const hostname = str(body.Hostname, 'Config.Hostname');
  if (hostname !== undefined && hostname !== '') options.hostname = hostname;
  const domainname = str(body.Domainname, 'Config.Domainname');
  if (domainname !== undefined && domainname !== '') options.domainname = domainname;
  const labels = strMap(body.Labels, 'Config.Labels');
  if (labels !== undefined) options.labels = labels;
  const tty = bool(body.Tty, 'Config.Tty');
  if (tty !== undefined) options.tty = tty;
  const openStdin = bool(body.OpenStdin, 'Config.OpenStdin');
  if (openStdin !== undefined) options.openStdin = openStdin;
  const stdinOnce = bool(body.StdinOnce, 'Config.StdinOnce');
  if (stdinOnce !== undefined) options.stdinOnce = stdinOnce;
  for (const k of ['AttachStdin', 'AttachStdout', 'AttachStderr', 'NetworkDisabled', 'ArgsEscaped'] as const) bool(body[k], `Config.${k}`);
  const exposed = obj(body.ExposedPorts, 'Config.ExposedPorts');
  if (exposed !== undefined) {
    const keys = Object.keys(exposed);
    for (const k of keys) parsePortKey(k);
    if (keys.length > 0) options.exposedPorts = keys.map((k) => (k.includes('/') ? k : `${k}/tcp`));
  }
  const stopSignal = str(body.StopSignal, 'Config.StopSignal');
  if (stopSignal !== undefined && stopSignal !== '') options.stopSignal = stopSignal;
  const stopTimeout = int(body.StopTimeout, 'Config.StopTimeout');
  if (stopTimeout !== undefined) options.stopTimeout = stopTimeout;
  return options;
}
