/**
 * The engine: containers on disk under `<root>/containers/<id>/`, each run by its own detached monitor:
 * conmon (runtime/conmon.ts; its exit command, runtime/conmon-exit-main.ts, records exits and applies
 * restart policies) or, without conmon, berth's Node monitor (runtime/monitor.ts via monitor-main.ts).
 * Any number of engine instances in any number of processes (CLI invocations, the API daemon, monitors
 * and exit commands doing --rm) share that state through files:
 *   record.json   what create decided, including the monitor (engine-owned, rewritten only by rename)
 *   state.json    status/pid/exit code (Node monitor-owned while it lives; under conmon written at start
 *                 by the engine and at the exit by whoever records it first, see runtime/conmon-exit.ts)
 *   conmon.json   what conmon's exit command needs (written at each conmon start)
 *   <id>-k8s.log  conmon's k8s-file log (conmon), or <id>-json.log docker json-file log (Node monitor)
 *   stop-requested a user stop is in progress (no restart, unless-stopped stays down)
 * Names are claimed with O_EXCL files under `<root>/names/`. Events are JSON lines in `<root>/events.jsonl`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, isErrno, writeFileAtomic } from '../core/index.js';
import {
  allocateAddress, appendEvent, boundingCapabilities, MONITOR_MAIN, buildSpec, emptyState, endpointCounters, ensureBridge,
  execArgv, gatewayOf, hardRlimits, hostDevices, isCgroupV2, kernelRelease, macForIp, netnsName, netnsPath, nowRfc3339,
  parseSubnet, releaseAddress, resolveRuntime, resolveUser, runtimeDelete, runtimeKill, runtimePs, runtimeStart, runtimeState,
  selinuxEnabled, setupEndpoint, STOP_REQUESTED, teardownEndpoint, ZERO_TIME, openTerminal, resizeTerminal, type MonitorConfig, type MonitorState,
  type OciMount, type RuntimeCommand, type SeccompProfileFile, type SpecInput,
  CONMON_PID_FILE, prepareConmonAttach, EXIT_CLAIM, EXIT_DONE, findConmon, jsonLogDecoder, K8sLogDecoder, openConmonAttach, readExitFile, readLogFile, recordConmonExit,
  directArgv, exitFilePath, oomFilePath, rememberSeccomp, seccompKey, useCachedSeccomp, spawnConmon, exitScript, writeExitTemplates, spawnPortProxy, formatNanoTime, readReportLine, type ConmonAttach, type ConmonExitConfig, type MonitorKind, type ProxySpec,
} from '../runtime/index.js';
import type { ContainerEngine } from './engine-api.js';
import {
  AmbiguousRef, ContainerNotRunning, ContainerRunning, InvalidName, InvalidOption, NameInUse, NoCommand, NoSuchContainer,
  NoSuchExec, StartFailed,
} from './errors.js';
import type { ImageBackend } from './images.js';
import { DirWatch } from './dir-watch.js';
import { JsonFileCache } from './json-file-cache.js';
import { resolveInRoot } from './scoped-path.js';
import { readBlockIo } from './block-io.js';
import { isValidName, mergeEnv, parseBind } from './options.js';
import { humanDuration } from './render.js';
import type {
  AttachOptions, AttachStreams, ContainerCreateOptions, ContainerInfo, ContainerMount, ContainerState, ContainerStatus,
  ContainerSummary, EngineEvent, EngineOptions, EventsOptions, ExecInfo, ExecOptions, ExecSession, HostConfig, ListOptions,
  LogEntry, LogsOptions, MountSpec, NetworkMode, PruneResult, PublishedPort, RemoveOptions, RuntimeName, StatsSample,
  StopOptions, TopResult, WaitCondition, WaitResult,
} from './types.js';

/** How long an attach waits for an exited container to be started again before it ends (docker start -a
 *  attaches first, then starts). */
const ATTACH_EXITED_GRACE_MS = 10_000;
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const INIT_BINARIES = ['/usr/bin/tini-static', '/usr/bin/catatonit'];

/** What create decided; stored as record.json. */
export interface ContainerRecord {
  readonly id: string;
  name: string;
  readonly created: string;
  readonly imageId: string;
  readonly imageRef: string;
  readonly path: string;
  readonly args: readonly string[];
  readonly config: ContainerInfo['config'];
  readonly hostConfig: HostConfig;
  readonly mounts: readonly ContainerMount[];
  readonly runtime: RuntimeName;
  readonly network: { readonly mode: NetworkMode; readonly ip: string; readonly bridge: string; readonly subnet: string; readonly netns: string };
  readonly engine: { readonly root: string; readonly runRoot: string; readonly bridge: string; readonly subnet: string };
  /** The monitor chosen at create (absent in records made before conmon: node). */
  readonly monitor?: MonitorKind;
}

/** conmon.json: what the exit command needs (written at every conmon start). */
interface ConmonJson extends ConmonExitConfig {
  readonly runtime: RuntimeCommand;
  readonly hooksModule: string;
}

/** A container's log file and its format. */
export function logFileOf(dir: string, id: string, monitor: MonitorKind | undefined): string {
  return monitor === 'conmon' ? `${dir}/${id}-k8s.log` : `${dir}/${id}-json.log`;
}

interface ExecRecord {
  readonly id: string;
  readonly containerId: string;
  readonly options: ExecOptions;
  running: boolean;
  exitCode: number | null;
  pid: number;
  /** Where the runtime writes the exec's pid (it appears shortly after the start). */
  pidFile?: string;
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

/** A running/restarting state whose monitor is gone (crash or reboot) is exited. */
function correctState(s: MonitorState): MonitorState {
  if ((s.status === 'running' || s.status === 'restarting') && !isAlive(s.monitorPid)) {
    return { ...s, status: 'exited', pid: 0, exitCode: s.status === 'running' ? 255 : s.exitCode, monitorPid: 0 };
  }
  return s;
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13,
  ALRM: 14, TERM: 15, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, WINCH: 28,
};

/** SIGTERM, TERM, 15 → "SIGTERM" / number as the runtime accepts it. */
export function normalizeSignal(sig: string): string {
  const s = sig.trim().toUpperCase();
  if (/^\d+$/.test(s)) return s;
  const bare = s.startsWith('SIG') ? s.slice(3) : s;
  if (SIGNAL_NUMBERS[bare] === undefined) throw new InvalidOption(`Invalid signal ${JSON.stringify(sig)}`, { option: 'signal', value: sig });
  return `SIG${bare}`;
}

export function defaultRoot(): string {
  return process.getuid?.() === 0 ? '/var/lib/berth' : `${process.cwd()}/.berth`;
}

export class Engine implements ContainerEngine {
  readonly root: string;
  readonly runRoot: string;
  readonly images: ImageBackend;
  readonly #options: EngineOptions;
  readonly #execs = new Map<string, ExecRecord>();
  /** Attach sessions of this process waiting for a container's start: start() wakes them at once. */
  readonly #attachWaiters = new Map<string, Set<() => void | Promise<void>>>();
  readonly #note: (note: string) => void;
  /** record.json/state.json texts for list(): a long-lived engine (berthd) stats instead of reading them. */
  readonly #files = new JsonFileCache();

  constructor(images: ImageBackend, options: EngineOptions = {}) {
    this.images = images;
    this.#options = options;
    this.root = options.root ?? defaultRoot();
    // /run is a tmpfs: what lives there (sockets, runtime state) is gone after a reboot, as it should be.
    this.runRoot = options.runRoot ?? (process.getuid?.() === 0 ? '/run/berth' : `${this.root}/run`);
    this.#note = options.onNote ?? (() => undefined);
  }

  /** The monitor for new containers: the option, else $BERTH_MONITOR, else conmon when installed. */
  async monitorKind(): Promise<MonitorKind> {
    const wanted = this.#options.monitor ?? (process.env.BERTH_MONITOR === 'node' || process.env.BERTH_MONITOR === 'conmon' ? process.env.BERTH_MONITOR : undefined);
    if (wanted === 'node') return 'node';
    if (await findConmon()) return 'conmon';
    if (wanted === 'conmon') this.#note('conmon is not installed (Debian package "conmon"); using the Node monitor');
    return 'node';
  }

  get bridge(): string {
    return this.#options.bridge ?? 'berth0';
  }
  get subnet(): string {
    return this.#options.subnet ?? '10.89.0.0/24';
  }
  get eventsPath(): string {
    return `${this.root}/events.jsonl`;
  }
  containerDir(id: string): string {
    return `${this.root}/containers/${id}`;
  }
  runDir(id: string): string {
    return `${this.runRoot}/containers/${id}`;
  }
  /** Short on purpose: a Unix socket path must fit in 107 bytes. */
  attachSocket(id: string): string {
    return `${this.runRoot}/a/${id.slice(0, 24)}.sock`;
  }

  // ---- records and state ------------------------------------------------------------------------

  async #ids(): Promise<string[]> {
    try {
      return (await readdir(`${this.root}/containers`)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch {
      return [];
    }
  }

  async readRecord(id: string): Promise<ContainerRecord> {
    try {
      return JSON.parse(await readFile(`${this.containerDir(id)}/record.json`, 'utf8')) as ContainerRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NoSuchContainer(`No such container: ${id}`, { ref: id }, { cause: err });
      throw err;
    }
  }

  /** State as the monitor left it, corrected when its monitor is gone (crash or reboot). */
  async readState(id: string): Promise<MonitorState> {
    let s = await this.#readStateFile(id);
    if (s.monitor === 'conmon' && s.status === 'running') s = await this.#conmonExited(id, s);
    if (correctState(s) === s) return s;
    // The monitor looked dead, but it may have written its final state and exited after our read: the
    // state read after seeing it gone is the one that counts (only a crashed monitor needs the correction).
    return correctState(await this.#readStateFile(id));
  }

  /**
   * A conmon container that has exited (conmon wrote its exit file) but whose exit is not recorded yet:
   * recorded here (die event, state, restart decision; see runtime/conmon-exit.ts) unless its exit command
   * claimed it first, in which case its state.json write is waited for (bounded), else derived.
   */
  async #conmonExited(id: string, s: MonitorState): Promise<MonitorState> {
    const runDir = this.runDir(id);
    const exit = await readExitFile(runDir, id);
    if (exit === undefined) return s;
    const dir = this.containerDir(id);
    const cfg = JSON.parse(await readFile(`${dir}/conmon.json`, 'utf8').catch(() => 'null')) as ConmonJson | null;
    if (cfg !== null) {
      const recorded = await recordConmonExit(cfg).catch(() => undefined);
      if (recorded) return recorded;
      // Claimed by its exit command. Without a restart policy the state it writes is fully known already
      // (what the shell exit command and recordConmonExit write: exited, the exit file's code and time, the
      // OOM and stop markers): derived at once instead of waiting for its `date` and `mv` (~10 ms a run).
      if (cfg.restartPolicy.name === 'no') return this.#derivedExit(dir, s, exit);
      for (let i = 0; i < 200; i++) {
        const cur = await this.#readStateFile(id);
        if (cur.status !== 'running' || cur.startedAt !== s.startedAt) return cur;
        await sleep(5);
      }
    }
    return this.#derivedExit(dir, s, exit);
  }

  /** The exited state a recorded exit (exit file `exit`) gives a conmon container whose running state is `s`. */
  async #derivedExit(dir: string, s: MonitorState, exit: { code: number; finishedNs: bigint }): Promise<MonitorState> {
    const [oomKilled, stopRequested] = await Promise.all([oomFilePath(`${dir}/bundle`), `${dir}/${STOP_REQUESTED}`].map((p) => stat(p).then(() => true, () => false)));
    return { ...s, status: 'exited', pid: 0, exitCode: exit.code, finishedAt: formatNanoTime(exit.finishedNs), oomKilled: oomKilled!, manuallyStopped: s.manuallyStopped || stopRequested! };
  }

  async #readStateFile(id: string): Promise<MonitorState> {
    try {
      return { ...emptyState(), ...(JSON.parse(await readFile(`${this.containerDir(id)}/state.json`, 'utf8')) as Partial<MonitorState>) };
    } catch {
      return emptyState();
    }
  }

  async #writeState(id: string, state: MonitorState): Promise<void> {
    await writeFileAtomic(`${this.containerDir(id)}/state.json`, JSON.stringify(state), { durable: false });
  }

  /** Full id for an id, unique id prefix or name. */
  async resolveId(ref: string): Promise<string> {
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    try {
      const id = (await readFile(`${this.root}/names/${name}`, 'utf8')).trim();
      if (await stat(`${this.containerDir(id)}/record.json`).then(() => true, () => false)) return id;
    } catch {
      /* not a name */
    }
    if (/^[0-9a-f]+$/.test(ref)) {
      const hits = (await this.#ids()).filter((i) => i.startsWith(ref));
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) throw new AmbiguousRef(`Multiple IDs found with provided prefix: ${ref}`, { ref });
    }
    throw new NoSuchContainer(`No such container: ${ref}`, { ref });
  }

  #event(action: string, id: string, attributes: Record<string, string>): void {
    appendEvent(this.eventsPath, { type: 'container', action, id, attributes });
  }

  async #claimName(name: string, id: string): Promise<void> {
    if (!isValidName(name)) throw new InvalidName(`Invalid container name ${JSON.stringify(name)}, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { name });
    await mkdir(`${this.root}/names`, { recursive: true });
    try {
      const fh = await open(`${this.root}/names/${name}`, 'wx');
      await fh.writeFile(id);
      await fh.close();
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const owner = (await readFile(`${this.root}/names/${name}`, 'utf8').catch(() => '')).trim();
      // A stale claim (its container is gone) is taken over.
      if (owner && !(await stat(`${this.containerDir(owner)}/record.json`).then(() => true, () => false))) {
        await writeFileAtomic(`${this.root}/names/${name}`, id);
        return;
      }
      throw new NameInUse(
        `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name`,
        { name, id: owner },
      );
    }
  }

  async #releaseName(name: string, id: string): Promise<void> {
    const owner = (await readFile(`${this.root}/names/${name}`, 'utf8').catch(() => '')).trim();
    if (owner === id) await unlink(`${this.root}/names/${name}`).catch(() => undefined);
  }

  // ---- create ------------------------------------------------------------------------------------

  async create(options: ContainerCreateOptions): Promise<{ id: string; warnings: string[] }> {
    const warnings: string[] = [];
    const image = await this.images.resolve(options.image);
    const ic = image.config;
    const host: HostConfig = options.host ?? {};
    const id = randomBytes(32).toString('hex');
    const name = options.name ?? generatedName(id);
    const entrypoint = options.entrypoint !== undefined
      ? options.entrypoint.filter((a, i) => !(i === 0 && a === '' && options.entrypoint!.length === 1))
      : [...(ic.Entrypoint ?? [])];
    const cmd = options.cmd !== undefined && options.cmd.length > 0
      ? [...options.cmd]
      : options.entrypoint !== undefined ? [] : [...(ic.Cmd ?? [])];
    const argv = [...entrypoint, ...cmd];
    if (argv.length === 0) throw new NoCommand('No command specified', { image: options.image });
    const hostname = host.networkMode === 'host' ? '' : options.hostname ?? id.slice(0, 12);
    const networkMode: NetworkMode = host.networkMode ?? 'bridge';
    if (host.memory !== undefined && host.memory > 0 && host.memory < 6 * 1024 * 1024) {
      throw new InvalidOption('Minimum memory limit allowed is 6MB', { option: 'memory', value: String(host.memory) });
    }
    const labels = { ...(ic.Labels ?? {}), ...(options.labels ?? {}) };
    const exposed = [...new Set([...Object.keys(ic.ExposedPorts ?? {}), ...(options.exposedPorts ?? []), ...(host.portBindings ?? []).map((p) => `${p.containerPort}/${p.protocol}`)])];
    let portBindings = [...(host.portBindings ?? [])];
    if (host.publishAllPorts) {
      for (const e of exposed) {
        const [p = '', proto = 'tcp'] = e.split('/');
        if (!portBindings.some((b) => `${b.containerPort}/${b.protocol}` === `${p}/${proto}`)) {
          portBindings.push({ containerPort: Number(p), protocol: proto === 'udp' ? 'udp' : 'tcp', hostIp: this.#options.defaultPublishIp ?? '127.0.0.1', hostPort: 0 });
        }
      }
    }
    if (networkMode !== 'bridge' && portBindings.length > 0) {
      warnings.push(`Published ports are discarded when using ${networkMode} network mode`);
      portBindings = [];
    }
    const dir = this.containerDir(id);
    await mkdir(dir, { recursive: true });
    try {
      await this.#claimName(name, id);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    try {
      // Mounts: -v, --mount, --tmpfs, image volumes (anonymous).
      const specs: MountSpec[] = [...(host.binds ?? []).map(parseBind), ...(host.mounts ?? [])];
      for (const [target, opts] of Object.entries(host.tmpfs ?? {})) {
        specs.push({ type: 'tmpfs', source: '', target, readOnly: false, options: opts ? opts.split(',') : [] });
      }
      for (const target of Object.keys(ic.Volumes ?? {})) {
        if (!specs.some((s) => s.target === target)) specs.push({ type: 'volume', source: '', target, readOnly: false });
      }
      const mounts: ContainerMount[] = [];
      for (const s of specs) {
        if (s.type === 'bind') {
          await stat(s.source).catch(async () => mkdir(s.source, { recursive: true }));
          mounts.push({ type: 'bind', source: s.source, destination: s.target, mode: (s.options ?? []).join(','), rw: !s.readOnly });
        } else if (s.type === 'volume') {
          const vname = s.source || randomBytes(32).toString('hex');
          const vdir = `${this.root}/volumes/${vname}/_data`;
          await mkdir(vdir, { recursive: true });
          mounts.push({ type: 'volume', name: vname, source: vdir, destination: s.target, mode: 'z', rw: !s.readOnly });
        } else {
          mounts.push({ type: 'tmpfs', source: '', destination: s.target, mode: (s.options ?? []).join(','), rw: !s.readOnly });
        }
      }
      let ip = '';
      if (networkMode === 'bridge') ip = await allocateAddress(`${this.root}/network/${this.bridge}/ips`, this.subnet, id);
      const record: ContainerRecord = {
        id,
        name,
        created: nowRfc3339(),
        imageId: image.id,
        imageRef: options.image,
        path: argv[0]!,
        args: argv.slice(1),
        config: {
          hostname,
          domainname: options.domainname ?? '',
          user: options.user ?? ic.User ?? '',
          env: mergeEnv([DEFAULT_PATH, ...(hostname ? [`HOSTNAME=${hostname}`] : [])], options.tty ? ['TERM=xterm'] : [], ic.Env ?? [], options.env ?? []),
          cmd,
          entrypoint: entrypoint.length ? entrypoint : null,
          workingDir: options.workingDir || ic.WorkingDir || '/',
          labels,
          tty: options.tty ?? false,
          openStdin: options.openStdin ?? false,
          stdinOnce: options.stdinOnce ?? false,
          exposedPorts: exposed,
          stopSignal: options.stopSignal ?? ic.StopSignal ?? 'SIGTERM',
          stopTimeout: options.stopTimeout ?? 10,
          image: options.image,
        },
        hostConfig: { ...host, portBindings, networkMode, restartPolicy: host.restartPolicy ?? { name: 'no', maximumRetryCount: 0 } },
        mounts,
        runtime: host.runtime ?? this.#options.defaultRuntime ?? 'crun',
        network: { mode: networkMode, ip, bridge: networkMode === 'bridge' ? this.bridge : '', subnet: networkMode === 'bridge' ? this.subnet : '', netns: networkMode === 'bridge' ? netnsName(id) : '' },
        engine: { root: this.root, runRoot: this.runRoot, bridge: this.bridge, subnet: this.subnet },
        monitor: await this.monitorKind(),
      };
      // The rootfs mount (a process) and the record's durable write (two fsyncs) side by side. The record
      // still makes the container exist: one left without its mount (a crash in between) is mounted again
      // by start(), which mounts whatever is not mounted yet. state.json and the log file come first, so
      // a record never exists without them.
      // The run dir exists from now on (not only from the start): wait() watches it for conmon's exit file.
      await Promise.all([
        mkdir(this.runDir(id), { recursive: true }),
        this.#writeState(id, emptyState()),
        writeFile(logFileOf(dir, id, record.monitor), ''),
      ]);
      const [mounted, written] = await Promise.allSettled([
        this.images.mountRootfs(id, image.id, dir, { volatile: record.hostConfig.autoRemove === true }),
        writeFileAtomic(`${dir}/record.json`, JSON.stringify(record, null, 1)),
      ]);
      if (mounted.status === 'rejected') throw mounted.reason;
      if (written.status === 'rejected') throw written.reason;
      if (await selinuxEnabled()) this.#note('SELinux is enabled but berth does not label containers yet');
      this.#event('create', id, { name, image: options.image, ...labels });
      return { id, warnings };
    } catch (err) {
      await this.images.removeRootfs(id, dir).catch(() => undefined);
      await this.#releaseName(name, id);
      await rm(this.runDir(id), { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  // ---- start -------------------------------------------------------------------------------------

  async #runtime(name: RuntimeName): Promise<RuntimeCommand> {
    return resolveRuntime(name, `${this.runRoot}/runtime`, this.#note);
  }

  /**
   * Network namespace and addresses for a container (idempotent; redone after a reboot). --network none
   * needs none made here: the runtime creates the container's own namespace and brings its loopback up
   * (crun and runc both do), so no `ip` process runs at the start or the removal. Records made before that
   * name a namespace for none as well; theirs is still made and removed.
   */
  async ensureNetwork(rec: ContainerRecord): Promise<void> {
    if (rec.network.mode === 'host' || rec.network.netns === '') return;
    if (rec.network.mode === 'bridge') {
      await ensureBridge(rec.network.bridge, rec.network.subnet);
      await setupEndpoint({ id: rec.id, netns: rec.network.netns, bridge: { name: rec.network.bridge, subnet: rec.network.subnet, ip: rec.network.ip, mac: macForIp(rec.network.ip) } });
    } else {
      await setupEndpoint({ id: rec.id, netns: rec.network.netns });
    }
  }

  async #writeEtcFiles(rec: ContainerRecord): Promise<OciMount[]> {
    const dir = this.containerDir(rec.id);
    const mounts: OciMount[] = [];
    if (rec.network.mode === 'host') {
      for (const f of ['/etc/hosts', '/etc/resolv.conf']) mounts.push({ destination: f, type: 'bind', source: f, options: ['rbind', 'ro'] });
      return mounts;
    }
    const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
    if (rec.network.ip) hosts.push(`${rec.network.ip}\t${rec.config.hostname}`);
    for (const h of rec.hostConfig.extraHosts ?? []) {
      const [hn = '', ip = ''] = h.split(':');
      hosts.push(`${ip}\t${hn}`);
    }
    await writeFile(`${dir}/hosts`, `${hosts.join('\n')}\n`);
    await writeFile(`${dir}/hostname`, `${rec.config.hostname}\n`);
    let resolv = '';
    if (rec.hostConfig.dns?.length) resolv = rec.hostConfig.dns.map((d) => `nameserver ${d}`).join('\n');
    else {
      const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
      resolv = host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l)).join('\n');
    }
    await writeFile(`${dir}/resolv.conf`, `${resolv.trim()}\n`);
    for (const f of ['hosts', 'hostname', 'resolv.conf']) {
      mounts.push({ destination: `/etc/${f}`, type: 'bind', source: `${dir}/${f}`, options: ['rbind', 'rprivate', ...(rec.hostConfig.readOnlyRootfs ? ['ro'] : [])] });
    }
    return mounts;
  }

  /**
   * Writes the bundle's config.json. With the runtime `rt` given, a seccomp program it compiled before for
   * the same section goes in too (runtime/seccomp-bpf-cache.ts); `seccomp` is the key to remember the one
   * it compiles now under (after the create), or undefined when there is none to remember.
   */
  async #buildBundle(rec: ContainerRecord, rootfs: string, rt?: RuntimeCommand): Promise<{ bundle: string; seccomp: string | undefined }> {
    const dir = this.containerDir(rec.id);
    const host = rec.hostConfig;
    const sec = host.securityOpt ?? [];
    let seccomp: SpecInput['seccomp'] = 'default';
    let noNewPrivileges = false;
    for (const opt of sec) {
      const [k = '', v = ''] = opt.includes('=') ? [opt.slice(0, opt.indexOf('=')), opt.slice(opt.indexOf('=') + 1)] : opt.split(':');
      if (k === 'seccomp') {
        if (v === 'unconfined') seccomp = 'unconfined';
        else if (v !== 'builtin' && v !== '') {
          const text = v.trimStart().startsWith('{') ? v : await readFile(v, 'utf8');
          seccomp = JSON.parse(text) as SeccompProfileFile;
        }
      } else if (k === 'no-new-privileges') noNewPrivileges = v === '' || v === 'true';
      else if (k === 'label' || k === 'apparmor') this.#note(`--security-opt ${opt}: not applied (no SELinux/AppArmor on this host)`);
      else throw new InvalidOption(`Invalid --security-opt ${JSON.stringify(opt)}`, { option: 'security-opt', value: opt });
    }
    const user = await resolveUser(rootfs, rec.config.user);
    const mounts: OciMount[] = [];
    for (const m of rec.mounts) {
      if (m.type === 'tmpfs') {
        const opts = m.mode ? m.mode.split(',') : [];
        mounts.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...(opts.some((o) => o.startsWith('mode=')) ? [] : ['mode=1777']), ...opts, ...(m.rw ? [] : ['ro'])] });
      } else {
        const extra = m.type === 'bind' ? m.mode.split(',').filter((o) => ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'].includes(o)) : [];
        mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', ...(extra.length ? extra : ['rprivate']), m.rw ? 'rw' : 'ro'] });
      }
    }
    mounts.push(...(await this.#writeEtcFiles(rec)));
    let args = [rec.path, ...rec.args];
    if (host.init) {
      let initBin: string | undefined;
      for (const b of INIT_BINARIES) if (await stat(b).then(() => true, () => false)) { initBin = b; break; }
      if (initBin === undefined) throw new InvalidOption('--init needs tini-static or catatonit (Debian packages "tini", "catatonit")', { option: 'init', value: 'true' });
      mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: initBin, options: ['rbind', 'ro'] });
      args = ['/sbin/docker-init', '--', ...args];
    }
    const nsFor = (mode: string | undefined) => (mode === 'host' ? { mode: 'host' as const } : { mode: 'private' as const });
    const network: SpecInput['network'] = rec.network.mode === 'host' ? { mode: 'host' } : rec.network.netns === '' ? { mode: 'private' } : { mode: 'path', path: netnsPath(rec.network.netns) };
    const caps = await boundingCapabilities();
    const env = user.home && !rec.config.env.some((e) => e.startsWith('HOME=')) ? [...rec.config.env, `HOME=${user.home}`] : [...rec.config.env];
    const spec = buildSpec({
      args,
      env,
      cwd: rec.config.workingDir,
      user,
      terminal: rec.config.tty,
      hostname: rec.config.hostname,
      domainname: rec.config.domainname,
      rootfs,
      readonlyRootfs: host.readOnlyRootfs ?? false,
      network,
      pid: nsFor(host.pidMode),
      ipc: nsFor(host.ipcMode),
      uts: rec.network.mode === 'host' ? { mode: 'host' } : nsFor(host.utsMode),
      mounts,
      privileged: host.privileged ?? false,
      capAdd: host.capAdd ?? [],
      capDrop: host.capDrop ?? [],
      seccomp,
      noNewPrivileges,
      availableCaps: caps,
      ...(host.memory ? { memory: host.memory } : {}),
      ...(host.nanoCpus ? { nanoCpus: host.nanoCpus } : {}),
      ...(host.pidsLimit ? { pidsLimit: host.pidsLimit } : {}),
      ...(host.shmSize ? { shmSize: host.shmSize } : {}),
      ulimits: host.ulimits ?? [],
      hostHardRlimits: await hardRlimits(),
      canRaiseRlimits: caps.includes('CAP_SYS_RESOURCE'),
      hostDevices: host.privileged ? await hostDevices() : [],
      cgroupsPath: `/berth/${rec.id}`,
      kernel: await kernelRelease(),
      annotations: { 'org.opencontainers.image.ref.name': rec.imageRef },
    });
    const key = rt === undefined ? undefined : seccompKey(rt, spec);
    const cached = useCachedSeccomp(key, spec);
    const bundle = `${dir}/bundle`;
    await mkdir(bundle, { recursive: true });
    await writeFileAtomic(`${bundle}/config.json`, JSON.stringify(spec), { durable: false });
    return { bundle, seccomp: cached ? undefined : key };
  }

  async start(ref: string): Promise<boolean> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const state = await this.readState(id);
    if (state.status === 'running' || state.status === 'restarting') return false;
    const dir = this.containerDir(id);
    await unlink(`${dir}/${STOP_REQUESTED}`).catch(() => undefined);
    const rt = await this.#runtime(rec.runtime);
    // After an unclean end (monitor killed, crash) a leftover runtime container would block `run`. The state
    // file may already say `exited` (restore() and others persist readState's correction), so any container
    // that ran before is checked; a never-started one (`created`) cannot have runtime state.
    if (rec.monitor === 'conmon') {
      // The previous run's exit command may still be at work (conmon waits for it): let it finish first.
      if (state.monitorPid && state.monitor === 'conmon') await this.#waitMonitorGone(id, 10_000, true);
      if (state.status !== 'created' && (await runtimeState(rt, id))) await runtimeDelete(rt, id);
      await this.#startConmon(rec, rt, false);
      return true;
    }
    if (state.status !== 'created' && (await runtimeState(rt, id))) await runtimeDelete(rt, id);
    await mkdir(this.runDir(id), { recursive: true });
    const pending = await spawnMonitor(dir);
    let bundle: string;
    let seccomp: string | undefined;
    try {
      const rootfs = await this.images.mountRootfs(id, rec.imageId, dir, { volatile: rec.hostConfig.autoRemove === true });
      await this.ensureNetwork(rec);
      ({ bundle, seccomp } = await this.#buildBundle(rec, rootfs, rt));
    } catch (err) {
      pending.abort();
      throw err;
    }
    const publishIp = this.#options.defaultPublishIp ?? '127.0.0.1';
    const monitor: MonitorConfig & { hooksModule: string } = {
      id,
      name: rec.name,
      image: rec.imageRef,
      bundle,
      runtime: rt,
      dir,
      runDir: this.runDir(id),
      attachSocket: this.attachSocket(id),
      logPath: `${dir}/${id}-json.log`,
      eventsPath: this.eventsPath,
      tty: rec.config.tty,
      openStdin: rec.config.openStdin,
      stdinOnce: rec.config.stdinOnce,
      restartPolicy: rec.hostConfig.restartPolicy ?? { name: 'no', maximumRetryCount: 0 },
      autoRemove: rec.hostConfig.autoRemove ?? false,
      expectClients: this.#attachWaiters.get(id)?.size ?? 0,
      ports: (rec.hostConfig.portBindings ?? []).map((p) => ({ hostIp: p.hostIp || publishIp, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, targetIp: rec.network.ip })),
      labels: rec.config.labels,
      hooksModule: fileURLToPath(new URL('./monitor-hooks.js', import.meta.url)),
    };
    await writeFileAtomic(`${dir}/monitor.json`, JSON.stringify(monitor), { durable: false });
    const result = await pending.go();
    for (const wake of this.#attachWaiters.get(id) ?? []) wake();
    if ('error' in result) {
      const log = (await readFile(`${dir}/monitor.log`, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      if (log) result.error += ` (monitor log: ${log})`;
      throw new StartFailed(`failed to create task for container ${id.slice(0, 12)}: ${result.error}`, { id });
    }
    void rememberSeccomp(seccomp, rt, id).catch(() => undefined); // while it runs, its state has the program
    return true;
  }

  /** Called by a conmon container's exit command to apply its restart policy (state is `restarting`). */
  async restartAfterExit(id: string): Promise<void> {
    const rec = await this.readRecord(id);
    await this.#startConmon(rec, await this.#runtime(rec.runtime), true);
  }

  /**
   * One run under conmon: bundle and network, the port proxy (only when ports are published), conmon (which
   * runs `create`), the attach sessions waiting for this start, then `start`. Nothing stays behind in this
   * process: the exit is handled by conmon's exit command.
   */
  async #startConmon(rec: ContainerRecord, rt: RuntimeCommand, restart: boolean): Promise<void> {
    const id = rec.id;
    const dir = this.containerDir(id);
    const runDir = this.runDir(id);
    const conmon = await findConmon();
    if (conmon === undefined) throw new StartFailed(`failed to create task for container ${id.slice(0, 12)}: conmon is not installed (Debian package "conmon")`, { id });
    const rootfs = await this.images.mountRootfs(id, rec.imageId, dir, { volatile: rec.hostConfig.autoRemove === true });
    await this.ensureNetwork(rec);
    const { bundle, seccomp } = await this.#buildBundle(rec, rootfs, rt);
    await mkdir(runDir, { recursive: true });
    await Promise.all([...[id, EXIT_CLAIM, EXIT_DONE, 'pid', CONMON_PID_FILE].map((f) => `${runDir}/${f}`), oomFilePath(bundle)].map((f) => rm(f, { force: true })));
    const prev = await this.#readStateFile(id);
    const attributes = { name: rec.name, image: rec.imageRef, ...rec.config.labels };
    const fail = async (message: string, proxyPid: number) => {
      if (proxyPid) killQuietly(proxyPid);
      await this.#writeState(id, {
        ...prev, status: restart ? 'exited' : 'created', pid: 0, exitCode: 128, error: message, finishedAt: nowRfc3339(), monitorPid: 0, monitor: 'conmon', proxyPid: 0,
      });
      if (restart) appendEvent(this.eventsPath, { type: 'container', action: 'die', id, attributes: { ...attributes, exitCode: '128' } });
      throw new StartFailed(`failed to create task for container ${id.slice(0, 12)}: ${message}`, { id });
    };
    const publishIp = this.#options.defaultPublishIp ?? '127.0.0.1';
    const specs: ProxySpec[] = (rec.hostConfig.portBindings ?? []).map((p) => ({ hostIp: p.hostIp || publishIp, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, targetIp: rec.network.ip }));
    let proxyPid = 0;
    let ports: ProxySpec[] = [];
    if (specs.length > 0) {
      const p = await spawnPortProxy(specs, `${runDir}/${CONMON_PID_FILE}`, monitorEnv(process.env), MONITOR_NODE_FLAGS);
      if ('error' in p) return fail(p.error, 0);
      proxyPid = p.pid;
      ports = p.ports;
    }
    const cfg: ConmonJson = {
      id, dir, runDir, eventsPath: this.eventsPath, attributes,
      restartPolicy: rec.hostConfig.restartPolicy ?? { name: 'no', maximumRetryCount: 0 },
      autoRemove: rec.hostConfig.autoRemove ?? false,
      runtime: rt,
      hooksModule: fileURLToPath(new URL('./monitor-hooks.js', import.meta.url)),
    };
    await writeFileAtomic(`${dir}/conmon.json`, JSON.stringify(cfg), { durable: false });
    // Nothing to do at the exit but record it: the shell exit command (no Node process per exit).
    const quickExit = cfg.restartPolicy.name === 'no' && proxyPid === 0;
    const nodeExit = [process.execPath, ...MONITOR_NODE_FLAGS, CONMON_EXIT_MAIN];
    const log = await open(`${dir}/monitor.log`, 'a');
    let created: Awaited<ReturnType<typeof spawnConmon>>;
    try {
      created = await spawnConmon({
        conmon, id, name: rec.name, runtime: rt, bundle, runDir, logPath: logFileOf(dir, id, 'conmon'), tty: rec.config.tty,
        openStdin: rec.config.openStdin, stdinOnce: rec.config.stdinOnce, logFd: log.fd,
        exitCommand: quickExit
          ? ['/bin/sh', await exitScript(`${this.runRoot}/runtime`, nodeExit), dir, runDir, id, this.eventsPath, cfg.autoRemove ? '1' : '0', ...directArgv(rt)]
          : [...nodeExit, dir],
      }, monitorEnv(process.env));
    } finally {
      await log.close();
    }
    if ('error' in created) return fail(created.error, proxyPid);
    void rememberSeccomp(seccomp, rt, id).catch(() => undefined); // off the start's path
    // Attach sessions waiting for this start connect now: the process has not run yet, so none of its output
    // is lost (bounded: a session that cannot connect does not hold the start).
    const waiters = [...(this.#attachWaiters.get(id) ?? [])];
    if (waiters.length > 0) await Promise.race([Promise.all(waiters.map((w) => w())), sleep(5000, undefined, { ref: false })]);
    const running: MonitorState = {
      ...prev, status: 'running', pid: created.pid, exitCode: 0, error: '', startedAt: nowRfc3339(), finishedAt: prev.finishedAt,
      monitorPid: created.monitorPid, manuallyStopped: false, oomKilled: false, ports, monitor: 'conmon', proxyPid,
    };
    if (quickExit) await writeExitTemplates(runDir, running, { ...running, status: 'exited', pid: 0 }, { type: 'container', action: 'die', id, attributes });
    await this.#writeState(id, running);
    // `start` only writes to the created container's exec FIFO (for crun done in-process, see runtimeStart).
    const started = await runtimeStart(rt, id);
    if (started.exitCode !== 0) {
      const message = started.stderr || `${rt.name} start: exit ${started.exitCode}`;
      await this.#writeState(id, { ...(await this.#readStateFile(id)), status: 'created', pid: 0 }); // not a run: no exit to record
      await runtimeDelete(rt, id).catch(() => undefined);
      return fail(message, proxyPid);
    }
    appendEvent(this.eventsPath, { type: 'container', action: restart ? 'restart' : 'start', id, attributes });
  }

  // ---- stop / kill / restart ---------------------------------------------------------------------

  async #waitNotRunning(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100000 && Date.now() < deadline; i++) {
      const s = await this.readState(id);
      if (s.status !== 'running' && s.status !== 'restarting') return true;
      await sleep(i < 20 ? 5 : 25);
    }
    return false;
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const s = await this.readState(id);
    if (s.status !== 'running') throw new ContainerNotRunning(`Container ${id} is not running`, { id });
    const sig = normalizeSignal(signal);
    await runtimeKill(await this.#runtime(rec.runtime), id, sig);
    this.#event('kill', id, { name: rec.name, image: rec.imageRef, signal: sig.replace(/^SIG/, '') === sig ? sig : String(SIGNAL_NUMBERS[sig.slice(3)] ?? sig) });
  }

  async stop(ref: string, options: StopOptions = {}): Promise<boolean> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const dir = this.containerDir(id);
    await writeFile(`${dir}/${STOP_REQUESTED}`, 'stop');
    let s = await this.readState(id);
    if (s.status === 'restarting') {
      await this.#waitNotRunning(id, 5000);
      s = await this.readState(id);
    }
    if (s.status !== 'running') {
      if (s.status === 'exited' && !s.manuallyStopped) await this.#writeState(id, { ...s, manuallyStopped: true });
      if (s.status === 'exited') await this.images.unmountRootfs(id, dir);
      return false;
    }
    const rt = await this.#runtime(rec.runtime);
    const timeout = options.timeout ?? rec.config.stopTimeout;
    const signal = normalizeSignal(options.signal ?? rec.config.stopSignal);
    let stopped = false;
    if (timeout !== 0) {
      await runtimeKill(rt, id, signal).catch(() => undefined);
      stopped = timeout < 0 ? await this.#waitNotRunning(id, 24 * 3600_000) : await this.#waitNotRunning(id, timeout * 1000);
    }
    if (!stopped) {
      await runtimeKill(rt, id, 'SIGKILL').catch(() => undefined);
      if (!(await this.#waitNotRunning(id, 30_000))) throw new StartFailed(`Container ${id.slice(0, 12)} did not stop after SIGKILL`, { id });
    }
    // A stopped container keeps its writable layer but not its mount (start mounts it again), as dockerd does.
    await this.images.unmountRootfs(id, dir);
    this.#event('stop', id, { name: rec.name, image: rec.imageRef });
    return true;
  }

  async restart(ref: string, options: StopOptions = {}): Promise<void> {
    const id = await this.resolveId(ref);
    await this.stop(id, options);
    await this.#waitMonitorGone(id, 10_000);
    await this.start(id);
    const rec = await this.readRecord(id);
    this.#event('restart', id, { name: rec.name, image: rec.imageRef });
  }

  /**
   * Waits for the monitor to be done with the last run. A Node monitor exits then. conmon lives until its
   * exit command finished, which includes --rm and restart work: `forStart` waits until the exit command
   * has deleted the runtime's container (a new run must not race that); otherwise a recorded exit is enough
   * (removal deletes the runtime's container itself).
   */
  async #waitMonitorGone(id: string, timeoutMs: number, forStart = false, exitEnough = false): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10000 && Date.now() < deadline; i++) {
      const raw = JSON.parse(await readFile(`${this.containerDir(id)}/state.json`, 'utf8').catch(() => '{}')) as Partial<MonitorState>;
      if (!raw.monitorPid || !isAlive(raw.monitorPid)) return;
      if (raw.monitor === 'conmon') {
        if (!forStart && raw.status !== 'running' && raw.status !== 'restarting') return;
        // `exitEnough` (no restart policy: nothing starts it again): conmon's exit file (removed before every
        // start) is enough, its exit command's state write is not waited for.
        if (exitEnough && !forStart && (await stat(exitFilePath(this.runDir(id), id)).then(() => true, () => false))) return;
        if (forStart && (await stat(`${this.runDir(id)}/${EXIT_DONE}`).then(() => true, () => false))) return;
      }
      await sleep(10);
    }
  }

  // ---- remove / prune ----------------------------------------------------------------------------

  async remove(ref: string, options: RemoveOptions = {}): Promise<void> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const s = await this.readState(id);
    if (s.status === 'running' || s.status === 'restarting') {
      if (!options.force) {
        throw new ContainerRunning(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`, { id });
      }
      await writeFile(`${this.containerDir(id)}/${STOP_REQUESTED}`, 'remove');
      await runtimeKill(await this.#runtime(rec.runtime), id, 'SIGKILL').catch(() => undefined);
      await this.#waitNotRunning(id, 30_000);
    }
    await this.#waitMonitorGone(id, 10_000, false, (rec.hostConfig.restartPolicy?.name ?? 'no') === 'no');
    await this.removeStopped(rec, options.volumes ?? false, options.background ?? false);
  }

  /**
   * Tear down a stopped container (also used by the monitor for --rm). The container first goes out of
   * sight in one rename of its directory to `removed/` (list, inspect and wait see no record from then on;
   * the name is released right after), then the runtime's container, the network, the rootfs and the files
   * go. With `background` that second part runs after this returns (the API's `wait?condition=removed` of
   * a --rm container answers without waiting for an unmount and a `crun delete`); the engine remembers it
   * (settle()), and a process that dies meanwhile leaves the directory in `removed/`, where the next
   * restore() finishes the job from the record it holds.
   */
  async removeStopped(rec: ContainerRecord, volumes: boolean, background = false): Promise<void> {
    const id = rec.id;
    const dir = this.containerDir(id);
    // Claim the removal: only one process tears a container down.
    try {
      await writeFile(`${dir}/removing`, String(process.pid), { flag: 'wx' });
    } catch (err) {
      if (isErrno(err, 'EEXIST') || isErrno(err, 'ENOENT')) return;
      throw err;
    }
    const raw = JSON.parse(await readFile(`${dir}/state.json`, 'utf8').catch(() => '{}')) as Partial<MonitorState>;
    const gone = `${this.root}/removed/${id}`;
    await mkdir(`${this.root}/removed`, { recursive: true });
    await rename(dir, gone);
    await this.#releaseName(rec.name, id);
    this.#event('destroy', id, { name: rec.name, image: rec.imageRef });
    const teardown = this.#teardown(rec, raw, gone, volumes);
    if (!background) return teardown;
    this.#teardowns.add(teardown);
    const forget = (err?: unknown) => {
      this.#teardowns.delete(teardown);
      if (err !== undefined) this.#note(`Removing container ${id.slice(0, 12)}: ${err instanceof Error ? err.message : String(err)} (finished at the next start)`);
    };
    teardown.then(() => forget(), forget);
  }

  /** Background teardowns in progress (removeStopped with `background`). */
  readonly #teardowns = new Set<Promise<void>>();

  /** Waits for the background teardowns in progress (bounded by `timeoutMs`). */
  async settle(timeoutMs = 30_000): Promise<void> {
    if (this.#teardowns.size === 0) return;
    await Promise.race([Promise.allSettled([...this.#teardowns]), sleep(timeoutMs, undefined, { ref: false })]);
  }

  /** The part of a removal after the container is out of sight; `dir` is where its directory is now. */
  async #teardown(rec: ContainerRecord, raw: Partial<MonitorState>, dir: string, volumes: boolean): Promise<void> {
    const id = rec.id;
    if (raw.proxyPid) killQuietly(raw.proxyPid);
    // A foreground `run` deletes its runtime container when it ends; only an unclean end leaves one behind.
    // Under conmon the exit command deletes the runtime's container, possibly not yet: delete it here too.
    const clean = (raw.status === 'exited' || raw.status === 'created') && !raw.monitorPid && raw.monitor !== 'conmon';
    const rt = clean ? undefined : await this.#runtime(rec.runtime).catch(() => undefined);
    // The runtime's container, the network and the rootfs do not depend on each other once the process
    // is gone: torn down side by side (the overlay's unmount waits for its filesystem's sync).
    const [, , rootfs] = await Promise.allSettled([
      rt ? runtimeDelete(rt, id).catch(() => undefined) : undefined,
      (async () => {
        if (rec.network.netns) await teardownEndpoint(id, rec.network.netns, rec.network.mode === 'bridge');
        if (rec.network.ip) await releaseAddress(`${rec.engine.root}/network/${rec.network.bridge}/ips`, rec.network.ip, id);
      })(),
      this.images.removeRootfs(id, dir),
    ]);
    if (rootfs.status === 'rejected') throw rootfs.reason;
    if (volumes) {
      for (const m of rec.mounts) if (m.type === 'volume' && m.name && /^[0-9a-f]{64}$/.test(m.name)) await rm(`${this.root}/volumes/${m.name}`, { recursive: true, force: true });
    }
    // conmon and its exit command may still write there for a moment after the recorded exit (exit file,
    // markers): retried on ENOTEMPTY; whatever they try after the removal fails on the missing directory.
    // Node waits retryDelay × attempt: from 5 ms on (the first retry used to cost 25 ms), ~5 s in all as before.
    const again = { recursive: true, force: true, maxRetries: 45, retryDelay: 5 } as const;
    await rm(this.runDir(id), again);
    await rm(this.attachSocket(id), { force: true });
    await rm(dir, again);
  }

  /**
   * Finishes removals a process did not finish (it died during a teardown): every directory in `removed/`
   * holds the container's record. Called by restore().
   */
  async finishRemovals(): Promise<string[]> {
    const done: string[] = [];
    for (const id of await readdir(`${this.root}/removed`).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}$/.test(id)) continue;
      const dir = `${this.root}/removed/${id}`;
      const rec = JSON.parse(await readFile(`${dir}/record.json`, 'utf8').catch(() => 'null')) as ContainerRecord | null;
      const raw = JSON.parse(await readFile(`${dir}/state.json`, 'utf8').catch(() => '{}')) as Partial<MonitorState>;
      try {
        if (rec === null) {
          await this.images.removeRootfs(id, dir);
          await rm(this.runDir(id), { recursive: true, force: true });
          await rm(dir, { recursive: true, force: true });
        } else {
          await this.#teardown(rec, raw, dir, false);
        }
        done.push(id);
      } catch (err) {
        this.#note(`Removing container ${id.slice(0, 12)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return done;
  }

  async prune(filters: Readonly<Record<string, readonly string[]>> = {}): Promise<PruneResult> {
    const deleted: string[] = [];
    const until = filters.until?.[0];
    const untilSec = until === undefined ? undefined : /^\d+$/.test(until) ? Number(until) : Date.parse(until) / 1000;
    for (const id of await this.#ids()) {
      let rec: ContainerRecord;
      try {
        rec = await this.readRecord(id);
      } catch {
        continue;
      }
      const s = await this.readState(id);
      if (s.status === 'running' || s.status === 'restarting') continue;
      if (untilSec !== undefined && Date.parse(rec.created) / 1000 > untilSec) continue;
      if (!matchLabels(rec.config.labels, filters.label ?? [])) continue;
      await this.removeStopped(rec, false);
      deleted.push(id);
    }
    return { deleted, spaceReclaimed: 0 };
  }

  // ---- list / inspect ----------------------------------------------------------------------------

  #state(s: MonitorState): ContainerState {
    const status: ContainerStatus = s.status === 'removing' ? 'removing' : s.status;
    return {
      status,
      running: status === 'running' || status === 'restarting',
      restarting: status === 'restarting',
      oomKilled: s.oomKilled,
      dead: status === 'dead',
      pid: s.pid,
      exitCode: s.exitCode,
      error: s.error,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    };
  }

  async inspect(ref: string): Promise<ContainerInfo> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const s = await this.readState(id);
    return this.#info(rec, s);
  }

  #info(rec: ContainerRecord, s: MonitorState): ContainerInfo {
    const net = rec.network;
    const s2 = net.subnet ? parseSubnet(net.subnet) : undefined;
    const running = s.status === 'running' || s.status === 'restarting';
    return {
      id: rec.id,
      name: rec.name,
      created: rec.created,
      path: rec.path,
      args: rec.args,
      state: this.#state(s),
      image: rec.imageId,
      imageRef: rec.imageRef,
      restartCount: s.restartCount,
      runtime: rec.runtime,
      config: rec.config,
      hostConfig: rec.hostConfig,
      mounts: rec.mounts,
      network: {
        mode: net.mode,
        ipAddress: net.ip,
        gateway: s2 ? gatewayOf(s2) : '',
        prefixLen: s2?.prefix ?? 0,
        macAddress: net.ip ? macForIp(net.ip) : '',
        bridge: net.bridge,
        ports: running ? s.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort })) : [],
      },
      rootfs: `${this.containerDir(rec.id)}/rootfs`,
      logPath: logFileOf(this.containerDir(rec.id), rec.id, rec.monitor),
      logDriver: rec.monitor === 'conmon' ? 'k8s-file' : 'json-file',
    };
  }

  /** readRecord/readState through the file cache; undefined when the container is gone or its record unreadable. */
  async #listed(id: string): Promise<{ rec: ContainerRecord; s: MonitorState } | undefined> {
    const dir = this.containerDir(id);
    const [rec, raw] = await Promise.all([
      this.#files.read(`${dir}/record.json`).catch(() => undefined),
      this.#files.read(`${dir}/state.json`).catch(() => undefined),
    ]);
    if (rec === undefined) return undefined;
    const s = { ...emptyState(), ...(raw as Partial<MonitorState> | undefined) };
    // As in readState: a monitor that looks dead may just have written its final state and exited.
    const settled = correctState(s) === s && !(s.monitor === 'conmon' && s.status === 'running');
    return { rec: rec as ContainerRecord, s: settled ? s : await this.readState(id) };
  }

  async list(options: ListOptions = {}): Promise<ContainerSummary[]> {
    const rows: Array<{ summary: ContainerSummary; rec: ContainerRecord }> = [];
    const f = options.filters ?? {};
    const ids = await this.#ids();
    const present = new Set(ids.map((id) => this.containerDir(id)));
    this.#files.prune((path) => present.has(path.slice(0, path.lastIndexOf('/'))));
    const loaded = await Promise.all(ids.map((id) => this.#listed(id)));
    for (const [i, id] of ids.entries()) {
      const got = loaded[i];
      if (got === undefined) continue;
      const { rec, s } = got;
      const info = this.#info(rec, s);
      const summary: ContainerSummary = {
        id,
        names: [rec.name],
        image: rec.imageRef,
        imageId: rec.imageId,
        // dockerd's wording: arguments with a space in single quotes.
        command: [rec.path, ...rec.args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' '),
        created: Math.floor(Date.parse(rec.created) / 1000),
        state: info.state.status,
        status: statusText(info.state, s.restartCount),
        ports: info.network.ports,
        exposedPorts: rec.config.exposedPorts,
        labels: rec.config.labels,
        networkMode: rec.network.mode,
        ipAddress: rec.network.ip,
        mounts: rec.mounts,
      };
      if (!options.all && !info.state.running && !(f.status?.length || f.exited?.length)) continue;
      if (!matchFilters(summary, info, f)) continue;
      rows.push({ summary, rec });
    }
    rows.sort((a, b) => b.rec.created.localeCompare(a.rec.created));
    // before/since are relative to other containers.
    let out = rows.map((r) => r.summary);
    for (const [key, pick] of [['before', (i: number) => out.slice(i + 1)], ['since', (i: number) => out.slice(0, i)]] as const) {
      const v = f[key]?.[0];
      if (v !== undefined) {
        const i = out.findIndex((c) => c.id.startsWith(v) || c.names.includes(v));
        out = i < 0 ? [] : pick(i);
      }
    }
    if (options.limit !== undefined && options.limit > 0) out = out.slice(0, options.limit);
    return out;
  }

  // ---- wait / logs / events ----------------------------------------------------------------------

  async wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<WaitResult> {
    const id = await this.resolveId(ref);
    const first = await this.readState(id);
    let last = first;
    const result = (s: MonitorState): WaitResult => (s.error ? { statusCode: s.exitCode, error: s.error } : { statusCode: s.exitCode });
    // Re-read when state.json or record.json changes, or conmon writes its exit file (the run dir exists
    // from create on); every 250 ms regardless (a monitor that died writes nothing), or every 10–50 ms when
    // a directory could not be watched.
    const watch = this.#stateWatch(id);
    try {
      // Unbounded by design (a container may run for months); the caller bounds it with `signal`.
      for (let i = 0; ; i++) {
        signal?.throwIfAborted();
        if (!(await stat(`${this.containerDir(id)}/record.json`).then(() => true, () => false))) {
          // Removed (--rm) between two reads: the last state seen may predate the exit; its die event has the code.
          const code = await this.#lastExitCode(id);
          return code === undefined ? result(last) : { statusCode: code };
        }
        const s = await this.readState(id);
        last = s;
        const running = s.status === 'running' || s.status === 'restarting';
        if (condition === 'not-running' && !running && (s.status !== 'created' || s.error)) return result(s);
        if (condition === 'next-exit' && !running && s.status !== 'created' && s.finishedAt !== first.finishedAt) return result(s);
        await watch.next(watch.complete ? 250 : i < 50 ? 10 : 50, signal);
      }
    } finally {
      watch.close();
    }
  }

  /** Wakes a loop when a container's state may have changed (see dir-watch.ts). */
  #stateWatch(id: string): DirWatch {
    return new DirWatch([
      // The directory's own name: its move to removed/ (removeStopped) takes record.json along.
      { dir: this.containerDir(id), names: (n) => n === 'state.json' || n === 'record.json' || n === id },
      { dir: this.runDir(id), names: (n) => n === id },
    ]);
  }

  /** The exit code in the container's last `die` event (searched from the end of the events file). */
  async #lastExitCode(id: string): Promise<number | undefined> {
    const fh = await open(this.eventsPath, 'r').catch(() => undefined);
    if (fh === undefined) return undefined;
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 1 << 20);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      const lines = buf.toString('utf8').split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        const l = lines[i]!;
        if (!l.includes(id) || !l.includes('"action":"die"')) continue;
        try {
          const e = JSON.parse(l) as EngineEvent;
          if (e.id === id && e.action === 'die') return Number(e.attributes.exitCode ?? 0);
        } catch {
          /* a torn first line of the window */
        }
      }
      return undefined;
    } finally {
      await fh.close();
    }
  }

  async *logs(ref: string, options: LogsOptions = {}): AsyncGenerator<LogEntry> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const path = logFileOf(this.containerDir(id), id, rec.monitor);
    const wantOut = options.stdout ?? true;
    const wantErr = options.stderr ?? true;
    const isLive = async () => {
      const s = await this.readState(id).catch(() => undefined);
      return s !== undefined && (s.status === 'running' || s.status === 'restarting');
    };
    const opts = {
      follow: options.follow ?? false,
      isLive,
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.until !== undefined ? { until: options.until } : {}),
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    };
    for await (const e of readLogFile(path, rec.monitor === 'conmon' ? new K8sLogDecoder() : jsonLogDecoder, opts)) {
      if ((e.stream === 'stdout' && wantOut) || (e.stream === 'stderr' && wantErr)) yield { stream: e.stream, time: e.time, line: e.log };
    }
  }

  async *events(options: EventsOptions = {}): AsyncGenerator<EngineEvent> {
    const path = this.eventsPath;
    await mkdir(this.root, { recursive: true });
    let offset = 0;
    const live = options.until === undefined || options.until * 1000 > Date.now();
    if (options.since === undefined) offset = (await stat(path).catch(() => ({ size: 0 }))).size;
    let carry = '';
    for (let i = 0; ; i++) {
      if (options.signal?.aborted) return;
      const size = (await stat(path).catch(() => ({ size: 0 }))).size;
      if (size > offset) {
        const fh = await open(path, 'r');
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        await fh.close();
        offset = size;
        const lines = (carry + buf.toString('utf8')).split('\n');
        carry = lines.pop() ?? '';
        for (const l of lines) {
          let e: EngineEvent;
          try {
            e = JSON.parse(l) as EngineEvent;
          } catch {
            continue;
          }
          if (options.since !== undefined && e.time < options.since) continue;
          if (options.until !== undefined && e.time > options.until) return;
          if (eventMatches(e, options.filters ?? {})) yield e;
        }
      }
      if (!live || (options.until !== undefined && Date.now() / 1000 > options.until)) return;
      try {
        await sleep(50, undefined, options.signal ? { signal: options.signal } : undefined);
      } catch {
        return;
      }
    }
  }

  // ---- attach ------------------------------------------------------------------------------------

  async attach(ref: string, options: AttachOptions = {}): Promise<AttachStreams> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    if (rec.monitor === 'conmon') return this.#attachConmon(id, rec, options);
    const tty = rec.config.tty;
    const stdout = new PassThrough();
    const stderr = tty ? null : new PassThrough();
    const wantIn = (options.stdin ?? false) && rec.config.openStdin;
    const sockPath = this.attachSocket(id);
    const initial = await this.readState(id);
    const fromStart = initial.status === 'created' || initial.status === 'exited';
    let socket: net.Socket | undefined;
    let closed = false;
    const pendingIn: Buffer[] = [];
    let inEnded = false;
    const stdin = wantIn
      ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          if (socket) socket.write(chunk, () => cb());
          else {
            pendingIn.push(Buffer.from(chunk));
            cb();
          }
        },
        final(cb) {
          inEnded = true;
          if (socket) socket.end();
          cb();
        },
      })
      : null;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const finish = () => {
      stdout.end();
      stderr?.end();
      resolveDone();
    };
    // Attached before the start: start() in this process wakes the loop below as soon as the monitor reported,
    // and the monitor, told to expect us, does not go away before we connected.
    let woken = false;
    let wakeSleep: (() => void) | undefined;
    const waiter = () => {
      woken = true;
      wakeSleep?.();
    };
    const waiters = this.#attachWaiters;
    if (initial.status === 'created') {
      if (!waiters.has(id)) waiters.set(id, new Set());
      waiters.get(id)!.add(waiter);
    }
    const unregister = () => {
      const set = waiters.get(id);
      set?.delete(waiter);
      if (set?.size === 0) waiters.delete(id);
    };
    const pause = (ms: number) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const connect = async () => {
      try {
        await connectLoop();
      } finally {
        unregister();
      }
      attachStreams();
    };
    const connectLoop = async () => {
      // Until the monitor's socket appears (container still `created`), poll: bounded by a generous limit.
      // A container that stays exited (attached for a start that never comes, or whose monitor died) ends
      // the session after a short grace instead; readState never throws, so removal is checked on the record.
      const exitedDeadline = Date.now() + ATTACH_EXITED_GRACE_MS;
      for (let i = 0; i < 6000 && !closed; i++) {
        if (!(await stat(`${this.containerDir(id)}/record.json`).then(() => true, () => false))) return finish(); // removed (--rm)
        const s = await this.readState(id);
        if (s.status === 'exited' && s.finishedAt === initial.finishedAt && Date.now() > exitedDeadline) return finish();
        // Once woken by start(), the monitor is there even if the container already ended: it replays the run.
        if ((s.status === 'running' && isAlive(s.monitorPid)) || (woken && s.status !== 'created')) {
          const ok = await new Promise<boolean>((resolve) => {
            const sock = net.connect(sockPath);
            sock.once('connect', () => {
              socket = sock;
              resolve(true);
            });
            sock.once('error', () => resolve(false));
          });
          if (ok) break;
        }
        if (s.status === 'exited' && !fromStart) return finish();
        if (s.status === 'created' && s.error && s.finishedAt !== initial.finishedAt) return finish(); // start failed
        if (s.status === 'exited' && s.finishedAt !== initial.finishedAt) {
          // It ran and ended before we could connect: replay this run's output from the log.
          for await (const e of this.logs(id, { since: Date.parse(s.startedAt) / 1000 - 0.001 })) (e.stream === 'stdout' || tty ? stdout : stderr!).write(e.line);
          return finish();
        }
        if (!woken) await pause(i < 200 ? 5 : 50);
        else await sleep(5);
      }
    };
    const attachStreams = () => {
      if (!socket) return finish();
      const sock = socket;
      sock.write(`${JSON.stringify({ stdin: wantIn, stdout: options.stdout ?? true, stderr: options.stderr ?? true, fromStart })}\n`);
      for (const b of pendingIn) sock.write(b);
      if (inEnded) sock.end();
      let buf: Buffer = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        while (buf.length >= 8) {
          const len = buf.readUInt32BE(4);
          if (buf.length < 8 + len) break;
          const payload = buf.subarray(8, 8 + len);
          const target = buf[0] === 2 && stderr ? stderr : stdout;
          target.write(Buffer.from(payload));
          buf = buf.subarray(8 + len);
        }
      });
      sock.on('close', finish);
      sock.on('error', finish);
    };
    if (options.logs) {
      for await (const e of this.logs(id)) (e.stream === 'stdout' || tty ? stdout : stderr!).write(e.line);
    }
    void connect();
    this.#event('attach', id, { name: rec.name, image: rec.imageRef });
    return {
      tty,
      stdin,
      stdout,
      stderr,
      close() {
        closed = true;
        socket?.destroy();
        finish();
      },
      done,
    };
  }

  /**
   * Attach through conmon's socket (a perl relay, see runtime/conmon.ts). Attached before the start, the
   * session connects while the container is created but not started (start() in this process calls us), so
   * no output is lost; a container that ran and ended before we could connect is replayed from its log.
   */
  async #attachConmon(id: string, rec: ContainerRecord, options: AttachOptions): Promise<AttachStreams> {
    const tty = rec.config.tty;
    const stdout = new PassThrough();
    const stderr = tty ? null : new PassThrough();
    const wantOut = options.stdout ?? true;
    const wantErr = options.stderr ?? true;
    const wantIn = (options.stdin ?? false) && rec.config.openStdin;
    const bundle = `${this.containerDir(id)}/bundle`;
    const initial = await this.readState(id);
    const fromStart = initial.status === 'created' || initial.status === 'exited';
    let session: ConmonAttach | undefined;
    let opening: Promise<boolean> | undefined;
    let closed = false;
    const pendingIn: Buffer[] = [];
    let inEnded = false;
    const stdin = wantIn
      ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          if (session?.stdin) session.stdin.write(chunk, () => cb());
          else {
            pendingIn.push(Buffer.from(chunk));
            cb();
          }
        },
        final(cb) {
          inEnded = true;
          session?.stdin?.end();
          cb();
        },
      })
      : null;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let finished = false;
    // Attached before a start: the relay boots now and connects when the start calls us.
    let prepared = initial.status === 'created' || initial.status === 'exited'
      ? prepareConmonAttach(bundle, { stdin: wantIn, halfClose: wantIn && !tty })
      : undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      prepared?.cancel();
      stdout.end();
      stderr?.end();
      resolveDone();
    };
    const write = (stream: 'stdout' | 'stderr', data: Buffer) => {
      if (tty || stream === 'stdout' ? wantOut : wantErr) (stream === 'stderr' && stderr ? stderr : stdout).write(data);
    };
    const open = (): Promise<boolean> => (opening ??= (async () => {
      if (closed) return false;
      const relay = prepared;
      prepared = undefined;
      // A relay booted ahead that could not connect (its process failed) gets one fresh try: before a start
      // that is still waiting for us, a late connection would lose the first output.
      const a = (relay ? await relay.connect() : undefined) ?? await openConmonAttach(bundle, { stdin: wantIn, halfClose: wantIn && !tty });
      if (a === undefined) {
        opening = undefined;
        return false;
      }
      session = a;
      a.onData(write);
      if (a.stdin) {
        for (const b of pendingIn.splice(0)) a.stdin.write(b);
        if (inEnded) a.stdin.end();
      }
      void a.done.then(finish);
      return true;
    })());
    const waiters = this.#attachWaiters;
    const waiter = async () => {
      await open();
    };
    if (initial.status === 'created' || initial.status === 'exited') {
      if (!waiters.has(id)) waiters.set(id, new Set());
      waiters.get(id)!.add(waiter);
    }
    const unregister = () => {
      const set = waiters.get(id);
      set?.delete(waiter);
      if (set?.size === 0) waiters.delete(id);
    };
    const connectLoop = async () => {
      const exitedDeadline = Date.now() + ATTACH_EXITED_GRACE_MS;
      // Re-read on a state change (a start() in this process calls the waiter at once), else after 5–50 ms.
      const watch = this.#stateWatch(id);
      try {
        await attachLoop(exitedDeadline, watch);
      } finally {
        watch.close();
      }
    };
    const attachLoop = async (exitedDeadline: number, watch: DirWatch) => {
      for (let i = 0; i < 6000 && !closed && session === undefined; i++) {
        if (!(await stat(`${this.containerDir(id)}/record.json`).then(() => true, () => false))) return finish(); // removed (--rm)
        const s = await this.readState(id);
        if (session !== undefined) return;
        if (s.status === 'running' && (await open())) return;
        if (s.status === 'exited' && s.finishedAt === initial.finishedAt && Date.now() > exitedDeadline) return finish();
        if (s.status === 'exited' && !fromStart) return finish();
        if (s.status === 'created' && s.error && s.finishedAt !== initial.finishedAt) return finish(); // start failed
        if (s.status === 'exited' && s.finishedAt !== initial.finishedAt) {
          // It ran and ended before we could connect: replay this run's output from the log.
          for await (const e of this.logs(id, { since: Date.parse(s.startedAt) / 1000 - 0.001 })) write(e.stream, e.line);
          return finish();
        }
        await watch.next(watch.complete ? (i < 200 ? 50 : 250) : (i < 200 ? 5 : 50));
      }
      if (session === undefined) finish();
    };
    if (options.logs) {
      for await (const e of this.logs(id)) write(e.stream, e.line);
    }
    void connectLoop().finally(unregister);
    this.#event('attach', id, { name: rec.name, image: rec.imageRef });
    return {
      tty,
      stdin,
      stdout,
      stderr,
      close() {
        closed = true;
        session?.close();
        finish();
      },
      done,
    };
  }

  async resize(ref: string, rows: number, cols: number): Promise<void> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const s = await this.readState(id);
    if (s.status !== 'running') throw new ContainerNotRunning(`Container ${id} is not running`, { id });
    // Without a TTY there is nothing to size: accepted and ignored, as docker does.
    if (!rec.config.tty || rows <= 0 || cols <= 0) return;
    try {
      await resizeTerminal(s.pid, rows, cols);
    } catch (err) {
      // The container may have ended between the check and the resize: that is "not running", not a failure.
      if ((await this.readState(id)).status !== 'running') throw new ContainerNotRunning(`Container ${id} is not running`, { id });
      throw err;
    }
  }

  async execResize(execId: string, rows: number, cols: number): Promise<void> {
    const e = this.#execs.get(execId);
    if (e === undefined) throw new NoSuchExec(`No such exec instance: ${execId}`, { id: execId });
    if (!e.options.tty || !e.running || rows <= 0 || cols <= 0) return;
    const pid = await this.#execPid(e);
    if (pid !== 0) await resizeTerminal(pid, rows, cols);
  }

  // ---- exec --------------------------------------------------------------------------------------

  async execCreate(ref: string, options: ExecOptions): Promise<string> {
    const id = await this.resolveId(ref);
    const s = await this.readState(id);
    if (s.status !== 'running') throw new ContainerNotRunning(`Container ${id} is not running`, { id });
    if (options.cmd.length === 0) throw new NoCommand('No exec command specified', { image: '' });
    const execId = randomBytes(32).toString('hex');
    this.#execs.set(execId, { id: execId, containerId: id, options, running: false, exitCode: null, pid: 0 });
    const rec = await this.readRecord(id);
    this.#event(`exec_create: ${options.cmd.join(' ')}`, id, { name: rec.name, image: rec.imageRef, execID: execId });
    return execId;
  }

  async execInspect(execId: string): Promise<ExecInfo> {
    const e = this.#execs.get(execId);
    if (e === undefined) throw new NoSuchExec(`No such exec instance: ${execId}`, { id: execId });
    const pid = e.running ? await this.#execPid(e, 0) : e.pid;
    return { id: e.id, containerId: e.containerId, running: e.running, exitCode: e.exitCode, pid, options: e.options };
  }

  /** The exec's pid, from the runtime's pid file (waited for up to `waitMs` right after the start). */
  async #execPid(e: ExecRecord, waitMs = 1000): Promise<number> {
    for (let waited = 0; e.pid === 0 && e.pidFile !== undefined && e.running; waited += 10) {
      e.pid = Number.parseInt(await readFile(e.pidFile, 'utf8').catch(() => ''), 10) || 0;
      if (e.pid !== 0 || waited >= waitMs) break;
      await sleep(10);
    }
    return e.pid;
  }

  async execStart(execId: string): Promise<ExecSession> {
    const e = this.#execs.get(execId);
    if (e === undefined) throw new NoSuchExec(`No such exec instance: ${execId}`, { id: execId });
    const rec = await this.readRecord(e.containerId);
    const rt = await this.#runtime(rec.runtime);
    const bundleSpec = JSON.parse(await readFile(`${this.containerDir(rec.id)}/bundle/config.json`, 'utf8')) as { process: Record<string, unknown> };
    const rootfs = `${this.containerDir(rec.id)}/rootfs`;
    const o = e.options;
    const user = o.user ? await resolveUser(rootfs, o.user) : undefined;
    const proc = {
      ...bundleSpec.process,
      terminal: o.tty ?? false,
      args: [...o.cmd],
      env: mergeEnv(bundleSpec.process.env as string[], o.env ?? []),
      cwd: o.workingDir || (bundleSpec.process.cwd as string),
      ...(user ? { user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) } } : {}),
    };
    delete (proc as Record<string, unknown>).consoleSize;
    const tmp = `${this.runDir(rec.id)}/exec-${execId.slice(0, 12)}`;
    await mkdir(tmp, { recursive: true });
    await writeFile(`${tmp}/process.json`, JSON.stringify(proc));
    // A TTY exec gets its terminal over a console socket (see runtime/console.ts), like a TTY container.
    const terminal = o.tty ? await openTerminal(`${this.runRoot}/a/${execId.slice(0, 24)}.tty`) : undefined;
    const argv = execArgv(rt, rec.id, `${tmp}/process.json`, `${tmp}/pid`, terminal?.socketPath);
    // A streamed, possibly long-lived child: spawned here rather than through core/exec (see monitor.ts).
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [o.tty ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    e.running = true;
    const stdout = new PassThrough();
    const stderr = o.tty ? null : new PassThrough();
    let stdin: Writable | null = null;
    if (terminal) {
      // The runtime's own output (its errors) shares the one TTY stream; the terminal's end ends the stream.
      terminal.output.pipe(stdout);
      const diag = (d: Buffer) => (stdout.writableEnded ? undefined : stdout.write(d));
      child.stdout!.on('data', diag);
      child.stderr!.on('data', diag);
      stdin = o.attachStdin
        ? new Writable({
          write(chunk: Buffer, _enc, cb) {
            terminal.write(chunk);
            cb();
          },
        })
        : null;
    } else {
      child.stdout!.pipe(stdout);
      child.stderr!.pipe(stderr!);
      if (!o.attachStdin) child.stdin!.end();
      child.stdin!.on('error', () => undefined);
      stdin = o.attachStdin ? child.stdin! : null;
    }
    this.#event(`exec_start: ${o.cmd.join(' ')}`, rec.id, { name: rec.name, image: rec.imageRef, execID: execId });
    e.pidFile = `${tmp}/pid`;
    const exit = new Promise<number>((resolve) => {
      child.on('close', (code, sig) => {
        void (async () => {
          // Everything the process wrote is still in the terminal: read it before reporting the exit.
          await terminal?.finish(true);
          e.running = false;
          e.exitCode = code ?? (sig ? 128 + (SIGNAL_NUMBERS[sig.replace(/^SIG/, '')] ?? 0) : 255);
          void rm(tmp, { recursive: true, force: true });
          this.#event('exec_die', rec.id, { name: rec.name, image: rec.imageRef, execID: execId, exitCode: String(e.exitCode) });
          resolve(e.exitCode);
        })();
      });
      child.on('error', () => {
        void terminal?.finish(false);
        e.running = false;
        e.exitCode = 126;
        resolve(126);
      });
    });
    const done = exit.then(() => undefined);
    return {
      id: execId,
      exit,
      streams: { tty: o.tty ?? false, stdin, stdout, stderr, close: () => (terminal ? undefined : child.stdin?.end()), done },
    };
  }

  // ---- top / stats / cp / port / rename ------------------------------------------------------------

  async top(ref: string, _psArgs = '-ef'): Promise<TopResult> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const s = await this.readState(id);
    if (s.status !== 'running') throw new ContainerNotRunning(`Container ${id} is not running`, { id });
    const pids = await runtimePs(await this.#runtime(rec.runtime), id);
    const titles = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];
    const processes: string[][] = [];
    const bootSec = Date.now() / 1000 - Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
    for (const pid of pids) {
      const stat0 = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (!stat0) continue;
      const after = stat0.slice(stat0.lastIndexOf(')') + 2).split(' ');
      const ppid = after[1] ?? '0';
      const utime = Number(after[11]) + Number(after[12]);
      const startTicks = Number(after[19]);
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '0';
      const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ');
      const started = new Date((bootSec + startTicks / 100) * 1000);
      const t = Math.floor(utime / 100);
      const time = `${String(Math.floor(t / 3600)).padStart(2, '0')}:${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
      processes.push([uid === '0' ? 'root' : uid, String(pid), ppid, '0', started.toISOString().slice(11, 16), '?', time, cmd]);
    }
    return { titles, processes };
  }

  async stats(ref: string): Promise<StatsSample> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const s = await this.readState(id);
    const v2 = await isCgroupV2();
    const cg = `/berth/${id}`;
    const num = async (p: string) => Number((await readFile(p, 'utf8').catch(() => '0')).trim().split(/\s+/)[0]) || 0;
    let cpu = 0, mem = 0, limit = 0, pids = 0;
    let blockIo = { read: 0, write: 0 };
    if (s.status === 'running') {
      blockIo = await readBlockIo(cg, v2);
      if (v2) {
        const cpuStat = await readFile(`/sys/fs/cgroup${cg}/cpu.stat`, 'utf8').catch(() => '');
        cpu = (Number(/usage_usec (\d+)/.exec(cpuStat)?.[1]) || 0) * 1000;
        mem = await num(`/sys/fs/cgroup${cg}/memory.current`);
        const max = (await readFile(`/sys/fs/cgroup${cg}/memory.max`, 'utf8').catch(() => 'max')).trim();
        limit = max === 'max' ? 0 : Number(max);
        pids = await num(`/sys/fs/cgroup${cg}/pids.current`);
      } else {
        cpu = await num(`/sys/fs/cgroup/cpuacct${cg}/cpuacct.usage`);
        mem = await num(`/sys/fs/cgroup/memory${cg}/memory.usage_in_bytes`);
        limit = await num(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`);
        pids = await num(`/sys/fs/cgroup/pids${cg}/pids.current`);
      }
    }
    const totalMem = Number(/MemTotal:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'))?.[1] ?? 0) * 1024;
    if (limit === 0 || limit > totalMem) limit = totalMem;
    const statLine = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.split(/\s+/).slice(1).map(Number);
    const systemCpuNs = (statLine.reduce((a, b) => a + (b || 0), 0) * 1e9) / 100;
    const cpus = (await readFile('/proc/stat', 'utf8')).split('\n').filter((l) => /^cpu\d/.test(l)).length;
    const netc = s.status === 'running' && rec.network.netns && rec.network.mode === 'bridge' ? await endpointCounters(rec.network.netns) : { rxBytes: 0, txBytes: 0 };
    return {
      id, name: rec.name, read: nowRfc3339(), cpuTotalNs: cpu, systemCpuNs, onlineCpus: cpus, cpuPercent: 0,
      memoryUsage: mem, memoryLimit: limit, pids, netRxBytes: netc.rxBytes, netTxBytes: netc.txBytes, blockRead: blockIo.read, blockWrite: blockIo.write,
    };
  }

  /** Host path for a path inside the container: through binds/volumes, else the rootfs. */
  /**
   * Where `path` of the container is on the host. A running container is seen through /proc/PID/root (its
   * own mount namespace: volumes, binds and tmpfs mounts included); a stopped one through its mounts' sources
   * and its rootfs. Either way the container's symlinks are followed inside it (scoped-path.ts).
   */
  async #hostPath(rec: ContainerRecord, path: string, followLast: boolean): Promise<string> {
    const norm = `/${path.split('/').filter((p) => p && p !== '.').join('/')}`;
    if (norm.split('/').includes('..')) throw new InvalidOption(`Invalid path ${JSON.stringify(path)}`, { option: 'path', value: path });
    const s = await this.readState(rec.id);
    if (s.status === 'running' && s.pid > 0) {
      const root = `/proc/${s.pid}/root`;
      if (await stat(root).then(() => true, () => false)) return resolveInRoot(root, norm, followLast);
    }
    const m = [...rec.mounts].filter((x) => x.type !== 'tmpfs').sort((a, b) => b.destination.length - a.destination.length)
      .find((x) => norm === x.destination || norm.startsWith(`${x.destination}/`));
    if (m) return resolveInRoot(m.source, norm.slice(m.destination.length), followLast);
    const rootfs = await this.images.mountRootfs(rec.id, rec.imageId, this.containerDir(rec.id));
    return resolveInRoot(rootfs, norm, followLast);
  }

  async copyFrom(ref: string, path: string): Promise<Readable> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    // docker cp copies a final symlink as a link, and a path ending in "/." as the directory it names.
    const followLast = /\/\.?$/.test(path);
    const asked = path.split('/').filter((p) => p && p !== '.').pop();
    const hostPath = await this.#hostPath(rec, path, followLast);
    return (await import('./tar-copy.js')).copyFromDir(hostPath, asked ?? basename(hostPath));
  }

  async copyTo(ref: string, path: string, tar: Readable): Promise<void> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    await (await import('./tar-copy.js')).copyToDir(await this.#hostPath(rec, path, true), tar);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const id = await this.resolveId(ref);
    const rec = await this.readRecord(id);
    const name = newName.startsWith('/') ? newName.slice(1) : newName;
    if (name === rec.name) throw new InvalidOption(`Renaming a container with the same name as its current name`, { option: 'name', value: name });
    await this.#claimName(name, id);
    const old = rec.name;
    rec.name = name;
    await writeFileAtomic(`${this.containerDir(id)}/record.json`, JSON.stringify(rec, null, 1));
    await this.#releaseName(old, id);
    this.#event('rename', id, { name, oldName: `/${old}`, image: rec.imageRef });
  }

  // ---- restore -----------------------------------------------------------------------------------

  async restore(): Promise<string[]> {
    await this.finishRemovals();
    const started: string[] = [];
    for (const id of await this.#ids()) {
      let rec: ContainerRecord;
      try {
        rec = await this.readRecord(id);
      } catch {
        continue;
      }
      const raw = JSON.parse(await readFile(`${this.containerDir(id)}/state.json`, 'utf8').catch(() => '{}')) as Partial<MonitorState>;
      const s = await this.readState(id);
      if (raw.status !== s.status) await this.#writeState(id, s); // persist the correction
      const policy = rec.hostConfig.restartPolicy?.name ?? 'no';
      const wasUp = raw.status === 'running' || raw.status === 'restarting';
      const want = policy === 'always' ? !s.manuallyStopped || wasUp : policy === 'unless-stopped' ? !s.manuallyStopped : false;
      if (s.status === 'running' || s.status === 'restarting' || !want) continue;
      if (rec.hostConfig.autoRemove) continue;
      try {
        await this.start(id);
        started.push(id);
      } catch (err) {
        this.#note(`Restoring container ${id.slice(0, 12)}: ${(err as Error).message}`);
      }
    }
    return started;
  }
}

// ---- helpers -------------------------------------------------------------------------------------

interface PendingMonitor {
  /** Tell the booted monitor its config is written; resolves with its first report. */
  go(): Promise<{ pid: number } | { error: string }>;
  abort(): void;
}

/**
 * The monitor's environment: the caller's, without what only costs it. It never speaks TLS, yet Node parses
 * a NODE_EXTRA_CA_CERTS bundle at every start (measured 0.05 s → 0.3 s per start on a loaded machine), and
 * NODE_OPTIONS could override the monitor's own heap flags.
 */
export function monitorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ca, NODE_OPTIONS: _opts, ...rest } = env;
  return rest;
}

/**
 * Spawn the detached monitor early: Node's boot overlaps with the engine preparing the network and the
 * bundle. The monitor waits for "go" on its stdin before reading monitor.json, then reports on fd 3.
 */
async function spawnMonitor(dir: string): Promise<PendingMonitor> {
  const main = MONITOR_MAIN;
  // Detached and in its own session: it must outlive the CLI or daemon that started it.
  const log = await open(`${dir}/monitor.log`, 'a');
  const child = spawn(process.execPath, [...MONITOR_NODE_FLAGS, main, dir], {
    detached: true,
    stdio: ['pipe', log.fd, log.fd, 'pipe'],
    cwd: '/',
    env: monitorEnv(process.env),
  });
  await log.close();
  const pipe = child.stdio[3] as Readable;
  const report = readReportLine(pipe, {
    timeoutMs: 60_000,
    timedOut: '{"error":"monitor did not report within 60 s"}',
    closedEarly: '{"error":"monitor exited before reporting"}',
  });
  child.stdin!.on('error', () => undefined);
  return {
    async go() {
      child.stdin!.end('go\n');
      const r = await report;
      child.unref();
      return JSON.parse(r) as { pid: number } | { error: string };
    },
    abort() {
      child.kill('SIGKILL');
      pipe.destroy();
      child.unref();
    },
  };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* gone already */
  }
}

const CONMON_EXIT_MAIN = fileURLToPath(new URL('../runtime/conmon-exit-main.js', import.meta.url));

/** Keep the per-container monitor small: tiny heaps, no background compiler threads. */
export const MONITOR_NODE_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1', '--v8-pool-size=0'];

const ADJECTIVES = ['admiring', 'brave', 'calm', 'eager', 'focused', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'nifty', 'quirky', 'serene', 'vivid', 'zealous'];
const NOUNS = ['babbage', 'curie', 'darwin', 'euler', 'fermi', 'galileo', 'hopper', 'kepler', 'lovelace', 'noether', 'pascal', 'ritchie', 'turing', 'wozniak'];

/** docker-style adjective_surname, derived from the id (unique enough; a clash retries with the id). */
export function generatedName(id: string): string {
  const a = Number.parseInt(id.slice(0, 4), 16);
  const b = Number.parseInt(id.slice(4, 8), 16);
  return `${ADJECTIVES[a % ADJECTIVES.length]}_${NOUNS[b % NOUNS.length]}_${id.slice(8, 12)}`;
}

/** docker's Status column. */
export function statusText(state: ContainerState, restartCount: number, now = Date.now()): string {
  const ago = (t: string) => humanDuration(now - Date.parse(t));
  switch (state.status) {
    case 'running': return `Up ${ago(state.startedAt)}`;
    case 'restarting': return `Restarting (${state.exitCode}) ${ago(state.finishedAt)} ago`;
    case 'exited': return state.finishedAt === ZERO_TIME ? `Exited (${state.exitCode})` : `Exited (${state.exitCode}) ${ago(state.finishedAt)} ago`;
    case 'created': return 'Created';
    case 'removing': return 'Removal In Progress';
    case 'dead': return 'Dead';
    default: return restartCount ? state.status : state.status;
  }
}

function matchLabels(labels: Readonly<Record<string, string>>, wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    const i = w.indexOf('=');
    return i < 0 ? w in labels : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

function matchFilters(c: ContainerSummary, info: ContainerInfo, f: Readonly<Record<string, readonly string[]>>): boolean {
  const any = (key: string, pred: (v: string) => boolean) => (f[key]?.length ? f[key]!.some(pred) : true);
  return any('id', (v) => c.id.startsWith(v)) &&
    any('name', (v) => c.names.some((n) => n.includes(v.replace(/^\//, '')))) &&
    matchLabels(c.labels, f.label ?? []) &&
    any('status', (v) => v === c.state) &&
    any('exited', (v) => c.state === 'exited' && Number(v) === info.state.exitCode) &&
    any('ancestor', (v) => c.image === v || c.image === `${v}:latest` || c.imageId.replace('sha256:', '').startsWith(v.replace('sha256:', ''))) &&
    any('network', (v) => v === c.networkMode) &&
    any('publish', (v) => c.ports.some((p) => `${p.containerPort}/${p.protocol}`.startsWith(v) || String(p.hostPort) === v)) &&
    any('volume', (v) => c.mounts.some((m) => m.name === v || m.destination === v || m.source === v));
}

function eventMatches(e: EngineEvent, f: Readonly<Record<string, readonly string[]>>): boolean {
  const any = (key: string, pred: (v: string) => boolean) => (f[key]?.length ? f[key]!.some(pred) : true);
  return any('type', (v) => v === e.type) &&
    any('event', (v) => e.action === v || e.action.startsWith(`${v}:`)) &&
    any('container', (v) => e.id.startsWith(v) || e.attributes.name === v) &&
    any('image', (v) => e.attributes.image === v) &&
    matchLabels(e.attributes, f.label ?? []);
}

export type { PublishedPort };
