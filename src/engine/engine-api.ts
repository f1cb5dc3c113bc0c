import type {
  AttachOptions, AttachStreams, ContainerCreateOptions, ContainerInfo, ContainerSummary, EngineEvent, EventsOptions,
  ExecInfo, ExecOptions, ExecSession, ListOptions, LogEntry, LogsOptions, PruneResult, RemoveOptions, StatsSample,
  StopOptions, TopResult, WaitCondition, WaitResult,
} from './types.js';
import type { Readable } from 'node:stream';

/**
 * Every container operation. `ref` is a full id, a unique id prefix or a name.
 * Errors are HostErrors: ENGINE_NO_SUCH_CONTAINER (not-found), ENGINE_NAME_IN_USE (conflict),
 * ENGINE_CONTAINER_RUNNING (conflict, e.g. rm without force), ENGINE_NOT_RUNNING (conflict) …
 */
export interface ContainerEngine {
  create(options: ContainerCreateOptions): Promise<{ id: string; warnings: string[] }>;
  /** Resolves once the container runs (its monitor reported the pid). No-op (false) if already running. */
  start(ref: string): Promise<boolean>;
  /** SIGTERM (or the stop signal), then SIGKILL after the timeout. False if it was not running. */
  stop(ref: string, options?: StopOptions): Promise<boolean>;
  kill(ref: string, signal?: string): Promise<void>;
  restart(ref: string, options?: StopOptions): Promise<void>;
  remove(ref: string, options?: RemoveOptions): Promise<void>;
  list(options?: ListOptions): Promise<ContainerSummary[]>;
  inspect(ref: string): Promise<ContainerInfo>;
  /** Resolves when the condition holds. Registering is synchronous with the call (safe before start). */
  wait(ref: string, condition?: WaitCondition, signal?: AbortSignal): Promise<WaitResult>;
  logs(ref: string, options?: LogsOptions): AsyncIterable<LogEntry>;
  attach(ref: string, options?: AttachOptions): Promise<AttachStreams>;
  /** Resize the container's TTY (best effort). */
  resize(ref: string, rows: number, cols: number): Promise<void>;
  execCreate(ref: string, options: ExecOptions): Promise<string>;
  execStart(execId: string): Promise<ExecSession>;
  execInspect(execId: string): Promise<ExecInfo>;
  /** Resize an exec's own TTY (a no-op without one). */
  execResize(execId: string, rows: number, cols: number): Promise<void>;
  top(ref: string, psArgs?: string): Promise<TopResult>;
  stats(ref: string): Promise<StatsSample>;
  /** A tar stream of `path` inside the container (docker cp out). */
  copyFrom(ref: string, path: string): Promise<Readable>;
  /** Extract a tar stream into `path` inside the container (docker cp in). */
  copyTo(ref: string, path: string, tar: Readable): Promise<void>;
  rename(ref: string, newName: string): Promise<void>;
  prune(filters?: Readonly<Record<string, readonly string[]>>): Promise<PruneResult>;
  events(options?: EventsOptions): AsyncIterable<EngineEvent>;
  /** Start `always`/`unless-stopped` containers whose monitor is gone (after a reboot). Returns the ids started. */
  restore(): Promise<string[]>;
}
