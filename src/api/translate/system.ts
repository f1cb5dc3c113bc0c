/** `/version` and `/info` bodies (API v1.50 SystemVersion / SystemInfo). Pure: facts in, JSON out. */
import type { DaemonFacts } from '../backend.js';
import { API_VERSION, MIN_API_VERSION } from '../router.js';

export interface HostFacts {
  readonly hostname: string;
  readonly kernelVersion: string;
  readonly operatingSystem: string;
  readonly osVersion: string;
  /** Go's GOARCH name (amd64, arm64). */
  readonly architecture: string;
  /** uname -m (x86_64, aarch64): /info reports this one. */
  readonly machine: string;
  readonly ncpu: number;
  readonly memTotal: number;
  readonly nodeVersion: string;
  /** RFC 3339 with nanoseconds. */
  readonly systemTime: string;
}

export interface ContainerCounts {
  readonly total: number;
  readonly running: number;
  readonly paused: number;
  readonly stopped: number;
}

export function toVersionJson(daemon: DaemonFacts, host: HostFacts): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION,
    Arch: host.architecture,
    BuildTime: '',
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node${host.nodeVersion}`,
    KernelVersion: host.kernelVersion,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'berth' },
    Components: [
      { Name: 'Engine', Version: daemon.version, Details: details },
      ...daemon.runtimes.map((r) => ({ Name: r, Version: '', Details: { GitCommit: '' } })),
    ],
    Version: daemon.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node${host.nodeVersion}`,
    Os: 'linux',
    Arch: host.architecture,
    KernelVersion: host.kernelVersion,
    BuildTime: '',
  };
}

export function toInfoJson(
  daemon: DaemonFacts,
  host: HostFacts,
  counts: { readonly containers: ContainerCounts; readonly images: number },
): Record<string, unknown> {
  const runtimes = Object.fromEntries(daemon.runtimes.map((r) => [r, { path: r }]));
  return {
    ID: daemon.id,
    Containers: counts.containers.total,
    ContainersRunning: counts.containers.running,
    ContainersPaused: counts.containers.paused,
    ContainersStopped: counts.containers.stopped,
    Images: counts.images,
    Driver: daemon.storageDriver,
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: [daemon.loggingDriver] },
    MemoryLimit: true,
    SwapLimit: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    OomKillDisable: false,
    IPv4Forwarding: true,
    Debug: daemon.debug,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: host.systemTime,
    LoggingDriver: daemon.loggingDriver,
    CgroupDriver: daemon.cgroupDriver,
    CgroupVersion: daemon.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: host.kernelVersion,
    OperatingSystem: host.operatingSystem,
    OSVersion: host.osVersion,
    OSType: 'linux',
    Architecture: host.machine,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      InsecureRegistryCIDRs: ['127.0.0.0/8', ...daemon.insecureRegistries.filter((r) => r.includes('/'))],
      IndexConfigs: Object.fromEntries(
        daemon.insecureRegistries.filter((r) => !r.includes('/')).map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }]),
      ),
      Mirrors: [],
    },
    NCPU: host.ncpu,
    MemTotal: host.memTotal,
    GenericResources: null,
    DockerRootDir: daemon.root,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: host.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: daemon.version,
    Runtimes: runtimes,
    DefaultRuntime: daemon.defaultRuntime,
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    SecurityOptions: ['name=seccomp,profile=builtin'],
    Warnings: [],
  };
}
