/**
 * berthd's composition root: configuration → engine (+ image store) → Docker API socket. Containers
 * belong to their monitors, not to this process, so stopping or killing berthd leaves them running
 * (live restore); at start it restores `always` / `unless-stopped` containers whose monitor is gone.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineError, isErrno, writeFileAtomic } from '../core/index.js';
import { ApiServer, createApiRouter, type ApiBackend, type DaemonFacts } from '../api/index.js';
import type { DaemonConfig } from './daemon-config.js';
import type { Logger } from './daemon-log.js';

export const DaemonAlreadyRunning = defineError<{ pid: number; root: string }>('DAEMON_ALREADY_RUNNING', 'conflict');

/** What the daemon gets from the engine side: the API's backend plus lifecycle hooks. */
export interface OpenedBackend {
  readonly backend: Omit<ApiBackend, 'daemon'>;
  readonly facts: Partial<Omit<DaemonFacts, 'version' | 'id' | 'root'>>;
  /** Start `always`/`unless-stopped` containers whose monitor is gone; returns their ids. */
  restore(): Promise<string[]>;
  /** Release what this process holds; containers keep running. */
  close(): Promise<void>;
}

export type BackendFactory = (config: DaemonConfig, logger: Logger) => Promise<OpenedBackend>;

export interface BerthdOptions {
  readonly config: DaemonConfig;
  readonly logger: Logger;
  readonly openBackend: BackendFactory;
  readonly version: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

async function daemonId(root: string): Promise<string> {
  const file = join(root, 'daemon-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (id !== '') return id;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const id = randomUUID();
  await writeFileAtomic(file, `${id}\n`);
  return id;
}

export class Berthd {
  readonly #options: BerthdOptions;
  #server: ApiServer | undefined;
  #opened: OpenedBackend | undefined;
  #pidFile: string;
  #stopping: Promise<void> | undefined;

  constructor(options: BerthdOptions) {
    this.#options = options;
    this.#pidFile = join(options.config.runRoot, 'berthd.pid');
  }

  get socketPath(): string {
    return this.#options.config.dockerSocket;
  }

  /** The backend the API serves (after start()). */
  get backend(): OpenedBackend['backend'] | undefined {
    return this.#opened?.backend;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#options;
    await mkdir(config.root, { recursive: true, mode: 0o711 });
    await mkdir(config.runRoot, { recursive: true, mode: 0o711 });
    await mkdir(dirname(config.dockerSocket), { recursive: true, mode: 0o711 });
    await this.#takePidFile();
    try {
      const id = await daemonId(config.root);
      const opened = await this.#options.openBackend(config, logger);
      this.#opened = opened;
      const daemon: DaemonFacts = {
        version: this.#options.version,
        id,
        root: config.root,
        runtimes: ['crun', 'runc'],
        defaultRuntime: config.defaultRuntime,
        storageDriver: 'overlay2',
        cgroupDriver: 'cgroupfs',
        cgroupVersion: '1',
        loggingDriver: 'json-file',
        debug: config.logLevel === 'debug',
        insecureRegistries: config.insecureRegistries,
        ...opened.facts,
      };
      const router = createApiRouter({ ...opened.backend, daemon });
      const server = new ApiServer({
        router,
        serverHeader: `berth/${this.#options.version} (linux)`,
        log: (entry) => {
          const { level, msg, ...fields } = entry as { level?: string; msg?: string };
          logger.log((level as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'debug', msg ?? 'api', fields);
        },
      });
      if (config.restore) {
        try {
          const restored = await opened.restore();
          if (restored.length > 0) logger.info('Restored containers with a restart policy', { containers: restored });
        } catch (err) {
          logger.error('Restoring containers failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      const gid = await this.#socketGid();
      this.#server = server;
      await server.listen(config.dockerSocket, gid !== undefined ? { gid } : {});
      if (config.tcp !== '') {
        const at = config.tcp.lastIndexOf(':');
        const [cert, key, ca] = await Promise.all([config.tlsCert, config.tlsKey, config.tlsCa].map((f) => readFile(f)));
        const addr = await server.listenTls({ host: config.tcp.slice(0, at), port: Number(config.tcp.slice(at + 1)), cert: cert!, key: key!, ca: ca! });
        logger.info('berthd listening on TCP with TLS client verification', { address: `${addr.address}:${addr.port}` });
      }
      logger.info('berthd listening', { socket: config.dockerSocket, root: config.root, runRoot: config.runRoot, pid: process.pid, version: this.#options.version });
    } catch (err) {
      await this.#server?.close().catch(() => undefined);
      await this.#opened?.close().catch(() => undefined);
      await unlink(this.#pidFile).catch(() => undefined);
      throw err;
    }
  }

  /** Stops serving; containers keep running. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const { logger } = this.#options;
      logger.info('berthd stopping');
      await this.#server?.close();
      await this.#opened?.close();
      await unlink(this.#pidFile).catch(() => undefined);
      logger.info('berthd stopped');
    })();
    return this.#stopping;
  }

  async #takePidFile(): Promise<void> {
    try {
      const pid = Number((await readFile(this.#pidFile, 'utf8')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DaemonAlreadyRunning(`berthd is already running with pid ${pid} (${this.#pidFile})`, { pid, root: this.#options.config.root });
      }
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    await writeFileAtomic(this.#pidFile, `${process.pid}\n`);
  }

  async #socketGid(): Promise<number | undefined> {
    const group = this.#options.config.socketGroup;
    if (group === '') return undefined;
    if (/^\d+$/.test(group)) return Number(group);
    const text = await readFile('/etc/group', 'utf8');
    const line = text.split('\n').find((l) => l.split(':')[0] === group);
    if (line === undefined) {
      this.#options.logger.warn('Socket group not found; the socket stays root-only', { group });
      return undefined;
    }
    return Number(line.split(':')[2]);
  }
}
