/**
 * Test double of the engine for the API layer's own tests (wire behaviour: routing, errors, hijack,
 * wait ordering). Containers here are records that "run" by echoing their command to stdout; the real
 * engine is driven by the daemon's end-to-end tests. Never used by product code.
 */
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type {
  AttachStreams, ContainerCreateOptions, ContainerEngine, ContainerInfo, ContainerSummary, EngineEvent, ExecInfo,
  ExecSession, LogEntry, WaitResult,
} from '../engine/index.js';
import { defineError } from '../core/index.js';
import type { ApiBackend, DaemonFacts } from './backend.js';

const NoSuch = defineError<{ ref: string }>('API_TEST_NO_SUCH_CONTAINER', 'not-found');
const InUse = defineError<{ name: string }>('API_TEST_NAME_IN_USE', 'conflict');

interface Rec {
  id: string;
  name: string;
  options: ContainerCreateOptions;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  output: LogEntry[];
  listeners: Set<() => void>;
  attached: PassThrough[];
}

export class FakeEngine implements Partial<ContainerEngine> {
  readonly records = new Map<string, Rec>();
  creates = 0;

  #find(ref: string): Rec {
    for (const r of this.records.values()) if (r.id === ref || r.name === ref || (ref.length >= 4 && r.id.startsWith(ref))) return r;
    throw new NoSuch(`No such container: ${ref}`, { ref });
  }

  #emit(r: Rec): void {
    for (const l of r.listeners) l();
  }

  async create(options: ContainerCreateOptions): Promise<{ id: string; warnings: string[] }> {
    this.creates += 1;
    const name = options.name ?? `fake_${this.records.size}`;
    if ([...this.records.values()].some((r) => r.name === name)) throw new InUse(`Conflict. The container name "/${name}" is already in use`, { name });
    const id = randomBytes(32).toString('hex');
    this.records.set(id, { id, name, options, status: 'created', exitCode: 0, output: [], listeners: new Set(), attached: [] });
    return { id, warnings: [] };
  }

  async start(ref: string): Promise<boolean> {
    const r = this.#find(ref);
    if (r.status === 'running') return false;
    r.status = 'running';
    this.#emit(r);
    setImmediate(() => {
      const line = Buffer.from(`${(r.options.cmd ?? []).join(' ')}\n`);
      r.output.push({ stream: 'stdout', time: new Date().toISOString(), line });
      for (const a of r.attached) {
        a.write(line);
        a.end();
      }
      r.status = 'exited';
      r.exitCode = Number(r.options.env?.find((e) => e.startsWith('EXIT='))?.slice(5) ?? '0');
      this.#emit(r);
      if (r.options.host?.autoRemove === true) {
        this.records.delete(r.id);
        this.#emit(r);
      }
    });
    return true;
  }

  async stop(ref: string): Promise<boolean> {
    const r = this.#find(ref);
    if (r.status !== 'running') return false;
    r.status = 'exited';
    this.#emit(r);
    return true;
  }

  async remove(ref: string): Promise<void> {
    const r = this.#find(ref);
    this.records.delete(r.id);
    this.#emit(r);
  }

  async list(options: { all?: boolean } = {}): Promise<ContainerSummary[]> {
    return [...this.records.values()].filter((r) => options.all === true || r.status === 'running').map((r) => ({
      id: r.id, names: [r.name], image: r.options.image, imageId: `sha256:${'0'.repeat(64)}`, command: (r.options.cmd ?? []).join(' '),
      created: 1_700_000_000, state: r.status, status: r.status === 'running' ? 'Up 1 second' : r.status === 'created' ? 'Created' : `Exited (${r.exitCode}) 1 second ago`,
      ports: [], exposedPorts: r.options.exposedPorts ?? [], labels: r.options.labels ?? {}, networkMode: 'bridge', ipAddress: '', mounts: [],
    }));
  }

  async inspect(ref: string): Promise<ContainerInfo> {
    const r = this.#find(ref);
    return {
      id: r.id, name: r.name, created: '2026-11-27T00:00:00.000000000Z', path: r.options.cmd?.[0] ?? '', args: r.options.cmd?.slice(1) ?? [],
      state: {
        status: r.status, running: r.status === 'running', restarting: false, oomKilled: false, dead: false, pid: 0, exitCode: r.exitCode,
        error: '', startedAt: '0001-01-01T00:00:00Z', finishedAt: '0001-01-01T00:00:00Z',
      },
      image: `sha256:${'0'.repeat(64)}`, imageRef: r.options.image, restartCount: 0, runtime: 'runc',
      config: {
        hostname: r.id.slice(0, 12), domainname: '', user: '', env: r.options.env ?? [], cmd: r.options.cmd ?? [], entrypoint: null, workingDir: '',
        labels: r.options.labels ?? {}, tty: r.options.tty ?? false, openStdin: r.options.openStdin ?? false, stdinOnce: false,
        exposedPorts: r.options.exposedPorts ?? [], stopSignal: '', stopTimeout: 10, image: r.options.image,
      },
      hostConfig: r.options.host ?? {}, mounts: [],
      network: { mode: 'bridge', ipAddress: '10.89.0.2', gateway: '10.89.0.1', prefixLen: 24, macAddress: '', bridge: 'berth0', ports: [] },
      rootfs: '/nonexistent', logPath: '',
    };
  }

  wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed' = 'not-running'): Promise<WaitResult> {
    const r = this.#find(ref);
    return new Promise((resolve) => {
      const check = (): void => {
        const gone = !this.records.has(r.id);
        const done = condition === 'removed' ? gone : r.status === 'exited' && (condition !== 'not-running' || true);
        if (done || (condition === 'not-running' && r.status !== 'running' && r.status !== 'created')) {
          r.listeners.delete(check);
          resolve({ statusCode: r.exitCode });
        }
      };
      r.listeners.add(check);
      if (condition === 'not-running' && r.status === 'exited') check();
    });
  }

  async attach(ref: string): Promise<AttachStreams> {
    const r = this.#find(ref);
    const stdout = new PassThrough();
    r.attached.push(stdout);
    let finish!: () => void;
    const done = new Promise<void>((res) => (finish = res));
    stdout.on('end', finish);
    return { tty: r.options.tty ?? false, stdin: null, stdout, stderr: null, close: () => stdout.end(), done };
  }

  async *logs(ref: string): AsyncIterable<LogEntry> {
    yield* this.#find(ref).output;
  }

  async *events(): AsyncIterable<EngineEvent> {
    yield { type: 'container', action: 'create', id: 'x', attributes: { name: 'x' }, time: 1, timeNano: 1_000_000_000 };
  }

  async execInspect(id: string): Promise<ExecInfo> {
    throw new NoSuch(`No such exec instance: ${id}`, { ref: id });
  }

  async execStart(id: string): Promise<ExecSession> {
    throw new NoSuch(`No such exec instance: ${id}`, { ref: id });
  }

  async execResize(id: string): Promise<void> {
    throw new NoSuch(`No such exec instance: ${id}`, { ref: id });
  }
}

export const FAKE_DAEMON: DaemonFacts = {
  version: '0.0.0-test', id: 'test-daemon', root: '/nonexistent', runtimes: ['crun', 'runc'], defaultRuntime: 'crun',
  storageDriver: 'overlay2', cgroupDriver: 'cgroupfs', cgroupVersion: '1', loggingDriver: 'json-file', debug: false, insecureRegistries: [],
};

export function fakeBackend(engine: FakeEngine): ApiBackend {
  return { containers: engine as unknown as ContainerEngine, daemon: FAKE_DAEMON };
}
