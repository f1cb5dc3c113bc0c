/** Pure renderers: docker's ps rows, port strings and the Docker-shaped inspect document. */
import type { ContainerInfo, ContainerSummary, PublishedPort } from '../../engine/index.js';
import { humanDuration } from '../../engine/index.js';

export function formatPort(p: PublishedPort): string {
  return `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** docker's PORTS cell: published first, then exposed-only ports. */
export function portsCell(c: ContainerSummary): string {
  const published = c.ports.map(formatPort);
  const exposedOnly = c.exposedPorts.filter((e) => !c.ports.some((p) => `${p.containerPort}/${p.protocol}` === e));
  return [...published, ...(c.state === 'running' ? exposedOnly : [])].join(', ');
}

export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** The object docker's ps --format templates see. */
export function psContext(c: ContainerSummary, options: { trunc: boolean; now: number }): Record<string, unknown> {
  return {
    ID: options.trunc ? c.id.slice(0, 12) : c.id,
    Image: c.image,
    // docker/cli: Ellipsis(command, 20), then strconv.Quote.
    Command: JSON.stringify(options.trunc ? ellipsis(c.command, 20) : c.command),
    CreatedAt: new Date(c.created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    RunningFor: `${humanDuration(options.now - c.created * 1000)} ago`,
    Ports: portsCell(c),
    State: c.state,
    Status: c.status,
    Size: '0B',
    Names: c.names.join(','),
    Labels: Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(','),
    LabelsMap: c.labels,
    Mounts: c.mounts.map((m) => m.name ?? m.source).join(','),
    Networks: c.networkMode,
    LocalVolumes: String(c.mounts.filter((m) => m.type === 'volume').length),
  };
}

export const PS_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
};

export const PS_DEFAULT_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

function portMap(info: ContainerInfo): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const e of info.config.exposedPorts) out[e] = null;
  for (const p of info.network.ports) {
    const k = `${p.containerPort}/${p.protocol}`;
    (out[k] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  }
  return out;
}

/** `docker inspect`'s document for a container (the fields the CLI and tools read). */
export function dockerInspect(info: ContainerInfo): Record<string, unknown> {
  const h = info.hostConfig;
  return {
    Id: info.id,
    Created: info.created,
    Path: info.path,
    Args: info.args,
    State: {
      Status: info.state.status, Running: info.state.running, Paused: false, Restarting: info.state.restarting,
      OOMKilled: info.state.oomKilled, Dead: info.state.dead, Pid: info.state.pid, ExitCode: info.state.exitCode,
      Error: info.state.error, StartedAt: info.state.startedAt, FinishedAt: info.state.finishedAt,
    },
    Image: info.image,
    ResolvConfPath: `${info.rootfs.replace(/\/rootfs$/, '')}/resolv.conf`,
    HostnamePath: `${info.rootfs.replace(/\/rootfs$/, '')}/hostname`,
    HostsPath: `${info.rootfs.replace(/\/rootfs$/, '')}/hosts`,
    LogPath: info.logPath,
    Name: `/${info.name}`,
    RestartCount: info.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    HostConfig: {
      Binds: h.binds ?? null,
      NetworkMode: info.network.mode,
      PortBindings: Object.fromEntries((h.portBindings ?? []).map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' }]])),
      RestartPolicy: { Name: h.restartPolicy?.name ?? 'no', MaximumRetryCount: h.restartPolicy?.maximumRetryCount ?? 0 },
      AutoRemove: h.autoRemove ?? false,
      LogConfig: { Type: info.logDriver ?? 'json-file', Config: {} },
      CapAdd: h.capAdd ?? null,
      CapDrop: h.capDrop ?? null,
      Privileged: h.privileged ?? false,
      ReadonlyRootfs: h.readOnlyRootfs ?? false,
      SecurityOpt: h.securityOpt ?? null,
      Tmpfs: h.tmpfs ?? null,
      Memory: h.memory ?? 0,
      NanoCpus: h.nanoCpus ?? 0,
      PidsLimit: h.pidsLimit ?? null,
      Init: h.init ?? null,
      PidMode: h.pidMode ?? '',
      IpcMode: h.ipcMode ?? 'private',
      UTSMode: h.utsMode ?? '',
      Runtime: info.runtime,
      Ulimits: (h.ulimits ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    },
    Mounts: info.mounts.map((m) => ({
      Type: m.type, ...(m.name ? { Name: m.name } : {}), Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw,
      Propagation: m.type === 'bind' ? 'rprivate' : '',
    })),
    Config: {
      Hostname: info.config.hostname, Domainname: info.config.domainname, User: info.config.user,
      AttachStdin: false, AttachStdout: false, AttachStderr: false,
      ExposedPorts: Object.fromEntries(info.config.exposedPorts.map((e) => [e, {}])),
      Tty: info.config.tty, OpenStdin: info.config.openStdin, StdinOnce: info.config.stdinOnce,
      Env: info.config.env, Cmd: info.config.cmd, Image: info.config.image, Volumes: null,
      WorkingDir: info.config.workingDir, Entrypoint: info.config.entrypoint, Labels: info.config.labels,
      StopSignal: info.config.stopSignal, StopTimeout: info.config.stopTimeout,
    },
    NetworkSettings: {
      Bridge: info.network.bridge,
      Ports: portMap(info),
      Gateway: info.network.gateway,
      IPAddress: info.network.ipAddress,
      IPPrefixLen: info.network.prefixLen,
      MacAddress: info.network.macAddress,
      Networks: info.network.mode === 'bridge'
        ? { bridge: { IPAddress: info.network.ipAddress, Gateway: info.network.gateway, IPPrefixLen: info.network.prefixLen, MacAddress: info.network.macAddress } }
        : { [info.network.mode]: {} },
    },
  };
}
