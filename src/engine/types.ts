/**
 * The container engine's model: what the CLI, the Docker API and the cluster agent drive.
 *
 * Lifecycle (docker's): created --start--> running --exit--> exited --start--> running …
 *                        running --(restart policy)--> restarting --> running
 *                        any --remove--> (gone); running needs force (kill first).
 * Names are unique; ids are 64 hex; every id-or-name argument also accepts a unique id prefix.
 * Casing is camelCase here; the API translates to Docker's PascalCase at its boundary.
 */
import type { Readable, Writable } from 'node:stream';

export type ContainerStatus = 'created' | 'running' | 'restarting' | 'exited' | 'removing' | 'dead' | 'paused';
export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';
export type NetworkMode = 'bridge' | 'none' | 'host';
export type RuntimeName = 'crun' | 'runc';

export interface RestartPolicy {
  readonly name: RestartPolicyName;
  /** on-failure only; 0 = unlimited. */
  readonly maximumRetryCount: number;
}

export interface PortBinding {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
  /** Host address the proxy listens on. @default '127.0.0.1' (see engine docs: never 0.0.0.0 by default) */
  readonly hostIp: string;
  /** 0 = a port chosen by the kernel, reported back in ContainerInfo.ports. */
  readonly hostPort: number;
}

export interface MountSpec {
  readonly type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name (volume; empty = anonymous), unused for tmpfs. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** Extra mount options (tmpfs: size=…, mode=…; bind: rprivate, z …). */
  readonly options?: readonly string[];
}

export interface Ulimit {
  readonly name: string; // 'nofile', 'nproc', … (docker's names)
  readonly soft: number;
  readonly hard: number;
}

export interface HostConfig {
  readonly binds?: readonly string[]; // docker -v syntax: /host:/ctr[:ro], name:/ctr
  readonly mounts?: readonly MountSpec[];
  readonly tmpfs?: Readonly<Record<string, string>>; // target -> options
  readonly readOnlyRootfs?: boolean;
  readonly portBindings?: readonly PortBinding[];
  readonly publishAllPorts?: boolean;
  readonly networkMode?: NetworkMode;
  readonly pidMode?: 'host' | '';
  readonly ipcMode?: 'host' | '';
  readonly utsMode?: 'host' | '';
  /** Bytes; 0 = unlimited. */
  readonly memory?: number;
  /** CPUs × 1e9; 0 = unlimited. */
  readonly nanoCpus?: number;
  /** 0 or negative = unlimited. */
  readonly pidsLimit?: number;
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  /** docker --security-opt values: seccomp=unconfined|<path or JSON>, no-new-privileges[=true|false], label=disable … */
  readonly securityOpt?: readonly string[];
  readonly privileged?: boolean;
  readonly restartPolicy?: RestartPolicy;
  readonly autoRemove?: boolean;
  readonly init?: boolean;
  readonly runtime?: RuntimeName;
  readonly ulimits?: readonly Ulimit[];
  readonly shmSize?: number;
  readonly extraHosts?: readonly string[];
  readonly dns?: readonly string[];
}

export interface ContainerCreateOptions {
  readonly image: string;
  readonly name?: string;
  /** Replaces the image Cmd when given. */
  readonly cmd?: readonly string[];
  /** Replaces the image Entrypoint when given ([] or [''] clears it) and discards the image Cmd. */
  readonly entrypoint?: readonly string[];
  readonly env?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
  readonly hostname?: string;
  readonly domainname?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly tty?: boolean;
  readonly openStdin?: boolean;
  readonly stdinOnce?: boolean;
  readonly exposedPorts?: readonly string[]; // '80/tcp'
  readonly stopSignal?: string;
  /** Seconds; default 10. */
  readonly stopTimeout?: number;
  readonly host?: HostConfig;
}

export interface PublishedPort {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
  readonly hostIp: string;
  readonly hostPort: number;
}

export interface ContainerState {
  readonly status: ContainerStatus;
  readonly running: boolean;
  readonly restarting: boolean;
  readonly oomKilled: boolean;
  readonly dead: boolean;
  /** Host pid of the container's init process, 0 when not running. */
  readonly pid: number;
  readonly exitCode: number;
  readonly error: string;
  /** RFC 3339; '0001-01-01T00:00:00Z' when never. */
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface ContainerMount {
  readonly type: 'bind' | 'volume' | 'tmpfs';
  readonly name?: string;
  readonly source: string;
  readonly destination: string;
  readonly mode: string;
  readonly rw: boolean;
}

/** What `inspect` returns (engine casing; the API maps it to Docker's). */
export interface ContainerInfo {
  readonly id: string;
  readonly name: string; // without the leading '/'
  readonly created: string; // RFC 3339
  readonly path: string;
  readonly args: readonly string[];
  readonly state: ContainerState;
  readonly image: string; // image id (sha256:…)
  readonly imageRef: string; // as given at create
  readonly restartCount: number;
  readonly runtime: RuntimeName;
  readonly config: {
    readonly hostname: string;
    readonly domainname: string;
    readonly user: string;
    readonly env: readonly string[];
    readonly cmd: readonly string[];
    readonly entrypoint: readonly string[] | null;
    readonly workingDir: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly tty: boolean;
    readonly openStdin: boolean;
    readonly stdinOnce: boolean;
    readonly exposedPorts: readonly string[];
    readonly stopSignal: string;
    readonly stopTimeout: number;
    readonly image: string;
  };
  readonly hostConfig: HostConfig;
  readonly mounts: readonly ContainerMount[];
  readonly network: {
    readonly mode: NetworkMode;
    readonly ipAddress: string;
    readonly gateway: string;
    readonly prefixLen: number;
    readonly macAddress: string;
    readonly bridge: string;
    readonly ports: readonly PublishedPort[];
  };
  readonly rootfs: string;
  readonly logPath: string;
  /** The on-disk format of logPath: json-file (Node monitor) or k8s-file (conmon). */
  readonly logDriver?: 'json-file' | 'k8s-file';
}

/** One row of `list` (docker ps). */
export interface ContainerSummary {
  readonly id: string;
  readonly names: readonly string[];
  readonly image: string;
  readonly imageId: string;
  readonly command: string;
  readonly created: number; // unix seconds
  readonly state: ContainerStatus;
  /** docker's human status: "Up 5 seconds", "Exited (0) 2 minutes ago", "Created". */
  readonly status: string;
  readonly ports: readonly PublishedPort[];
  readonly exposedPorts: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly networkMode: NetworkMode;
  readonly ipAddress: string;
  readonly mounts: readonly ContainerMount[];
}

export interface ListOptions {
  readonly all?: boolean;
  /** docker ps --filter, key -> accepted values (id, name, label, status, exited, ancestor, before, since, network). */
  readonly filters?: Readonly<Record<string, readonly string[]>>;
  readonly limit?: number;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';
export interface WaitResult {
  readonly statusCode: number;
  readonly error?: string;
}

export interface LogsOptions {
  readonly follow?: boolean;
  readonly stdout?: boolean; // default true
  readonly stderr?: boolean; // default true
  /** Unix seconds (may be fractional), inclusive. */
  readonly since?: number;
  readonly until?: number;
  readonly timestamps?: boolean;
  /** Last N lines; undefined = all. */
  readonly tail?: number;
  readonly signal?: AbortSignal;
}

export interface LogEntry {
  readonly stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as docker's json-file "time". */
  readonly time: string;
  readonly line: Buffer; // includes the trailing newline when the program wrote one
}

/**
 * Attached stdio of a container or exec. With a TTY there is one output stream (`stdout`) and no `stderr`.
 * `stdin` is null unless stdin was requested and the container/exec has OpenStdin.
 * Closing `stdin` (end()) is a half-close: output keeps flowing until the process exits.
 */
export interface AttachStreams {
  readonly tty: boolean;
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable | null;
  /** Detach without affecting the process. */
  close(): void;
  /** Resolves when the output ended (process exit or close()). */
  readonly done: Promise<void>;
}

export interface AttachOptions {
  readonly stdin?: boolean;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
  /** Replay the existing log before live output (docker attach ?logs=1). */
  readonly logs?: boolean;
}

export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  readonly user?: string;
  readonly workingDir?: string;
  readonly tty?: boolean;
  readonly privileged?: boolean;
  readonly attachStdin?: boolean;
}

export interface ExecInfo {
  readonly id: string;
  readonly containerId: string;
  readonly running: boolean;
  readonly exitCode: number | null;
  readonly pid: number;
  readonly options: ExecOptions;
}

/** A started exec: its streams and its exit code. */
export interface ExecSession {
  readonly id: string;
  readonly streams: AttachStreams;
  readonly exit: Promise<number>;
}

export interface TopResult {
  readonly titles: readonly string[];
  readonly processes: readonly (readonly string[])[];
}

export interface StatsSample {
  readonly id: string;
  readonly name: string;
  readonly read: string; // RFC 3339
  readonly cpuTotalNs: number;
  readonly systemCpuNs: number;
  readonly onlineCpus: number;
  readonly cpuPercent: number;
  readonly memoryUsage: number;
  readonly memoryLimit: number;
  readonly pids: number;
  readonly netRxBytes: number;
  readonly netTxBytes: number;
  readonly blockRead: number;
  readonly blockWrite: number;
}

export interface PruneResult {
  readonly deleted: readonly string[];
  readonly spaceReclaimed: number;
}

/** docker-style event: {Type, Action, Actor{ID, Attributes}, time, timeNano} in engine casing. */
export interface EngineEvent {
  readonly type: 'container' | 'image' | 'network' | 'volume';
  readonly action: string; // create, start, die, stop, kill, destroy, rename, restart, exec_create, exec_start, exec_die, attach, …
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly time: number; // unix seconds
  readonly timeNano: number;
}

export interface EventsOptions {
  readonly since?: number; // unix seconds
  readonly until?: number;
  readonly filters?: Readonly<Record<string, readonly string[]>>;
  readonly signal?: AbortSignal;
}

export interface StopOptions {
  /** Seconds before SIGKILL; default the container's stopTimeout (10). */
  readonly timeout?: number;
  readonly signal?: string;
}

export interface RemoveOptions {
  readonly force?: boolean;
  readonly volumes?: boolean;
  /**
   * Return once the container is out of sight (no record, name free, `destroy` event): the rest of the
   * teardown (runtime container, network, rootfs, files) goes on after the call returns. See removeStopped.
   */
  readonly background?: boolean;
}

export interface EngineOptions {
  /** State root. @default '/var/lib/berth' as root, './.berth' otherwise */
  readonly root?: string;
  /** Runtime state (pids, sockets, netns). @default '/run/berth' as root, '<root>/run' otherwise */
  readonly runRoot?: string;
  /** @default 'crun' */
  readonly defaultRuntime?: RuntimeName;
  /** Bridge name. @default 'berth0' */
  readonly bridge?: string;
  /** Bridge subnet (the gateway takes .1). @default '10.89.0.0/24' */
  readonly subnet?: string;
  /** Where `-p` listens when no host IP is given. @default '127.0.0.1' */
  readonly defaultPublishIp?: string;
  /** Sink for human notes (runtime fallbacks, SELinux skipped …). @default ignore */
  readonly onNote?: (note: string) => void;
  /**
   * The per-container monitor of containers created from now on: conmon (~0.5 MiB, Debian package "conmon")
   * or berth's Node monitor. @default $BERTH_MONITOR, else conmon when installed, else node
   */
  readonly monitor?: 'node' | 'conmon';
}
