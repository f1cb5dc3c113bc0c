/**
 * What the API layer drives. Containers are the engine's `ContainerEngine`; images, volumes and
 * networks are declared here in engine casing (the daemon wires implementations in), so the API
 * stays importable from `engine` only. Optional parts answer 503 until the daemon provides them.
 */
import type { Readable } from 'node:stream';
import type { ContainerEngine, EngineEvent, EventsOptions } from '../engine/index.js';

export interface DaemonFacts {
  /** berth's version (package.json). */
  readonly version: string;
  /** Stable daemon id (kept under the state root). */
  readonly id: string;
  readonly root: string;
  readonly runtimes: readonly string[];
  readonly defaultRuntime: string;
  readonly storageDriver: string;
  readonly cgroupDriver: string;
  readonly cgroupVersion: string;
  readonly loggingDriver: string;
  readonly debug: boolean;
  /** Registries reached over plain HTTP (`127.0.0.0/8` is always insecure, as in dockerd). */
  readonly insecureRegistries: readonly string[];
}

export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
  readonly registryToken?: string;
  readonly serverAddress?: string;
}

/**
 * Docker's JSON progress message as the image side produces it (`{status, id, progressDetail, aux}`);
 * the API adds the rendered `progress` bar. Pull and push emit every line, including the final
 * `Digest:` / `Status:` lines and the push's `aux` record.
 */
export interface ProgressUpdate {
  readonly status: string;
  readonly id?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly aux?: Readonly<Record<string, unknown>>;
}
export type ProgressSink = (update: ProgressUpdate) => void;

export interface ImageRecord {
  /** sha256:… of the config bytes. */
  readonly id: string;
  readonly repoTags: readonly string[];
  /** name@sha256:… of manifests the image came from or was pushed to. */
  readonly repoDigests: readonly string[];
  readonly parentId: string;
  /** Unix seconds. */
  readonly created: number;
  /** Bytes of the uncompressed layers. */
  readonly size: number;
  readonly labels: Readonly<Record<string, string>>;
  /** The image config exactly as stored (OCI/Docker image config JSON). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly layers: readonly string[];
}

export interface ImageHistoryEntry {
  readonly id: string;
  readonly created: number;
  readonly createdBy: string;
  readonly tags: readonly string[];
  readonly size: number;
  readonly comment: string;
}

export interface ImageBackend {
  list(options?: { readonly all?: boolean; readonly filters?: Readonly<Record<string, readonly string[]>> }): Promise<ImageRecord[]>;
  inspect(ref: string): Promise<ImageRecord>;
  history(ref: string): Promise<ImageHistoryEntry[]>;
  pull(ref: string, options: { readonly auth?: RegistryAuth; readonly onProgress?: ProgressSink; readonly signal?: AbortSignal }): Promise<{ id: string; digest: string; ref: string; fresh: boolean }>;
  push(ref: string, options: { readonly auth?: RegistryAuth; readonly onProgress?: ProgressSink; readonly signal?: AbortSignal }): Promise<{ digest: string; size: number; tag: string }>;
  tag(source: string, target: string): Promise<void>;
  remove(ref: string, options?: { readonly force?: boolean; readonly noPrune?: boolean }): Promise<{ untagged: string[]; deleted: string[] }>;
  /** Loads a docker-archive / OCI tarball; returns what was loaded ("repo:tag" names or "sha256:…" ids). */
  load(tar: Readable, options?: { readonly onProgress?: ProgressSink }): Promise<{ loaded: string[]; ids: string[] }>;
  /** A docker-archive tarball of the named images. */
  save(refs: readonly string[]): Promise<Readable>;
  /** Checks credentials against a registry and stores nothing (the client keeps them). */
  login(auth: RegistryAuth): Promise<{ status: string; identityToken?: string }>;
  prune(options?: { readonly dangling?: boolean; readonly filters?: Readonly<Record<string, readonly string[]>> }): Promise<{ deleted: string[]; spaceReclaimed: number }>;
}

export interface VolumeRecord {
  readonly name: string;
  readonly driver: string;
  readonly mountpoint: string;
  readonly createdAt: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  /** Bytes used, -1 when not computed. */
  readonly size: number;
  /** Containers that reference the volume, -1 when not computed. */
  readonly refCount: number;
}

export interface VolumeBackend {
  list(filters?: Readonly<Record<string, readonly string[]>>): Promise<VolumeRecord[]>;
  create(options: { readonly name?: string; readonly driver?: string; readonly labels?: Readonly<Record<string, string>>; readonly driverOpts?: Readonly<Record<string, string>> }): Promise<VolumeRecord>;
  inspect(name: string): Promise<VolumeRecord>;
  remove(name: string, options?: { readonly force?: boolean }): Promise<void>;
  prune(filters?: Readonly<Record<string, readonly string[]>>): Promise<{ deleted: string[]; spaceReclaimed: number }>;
}

export interface NetworkRecord {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly created: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly internal: boolean;
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** container id → {name, ipv4 with prefix, mac}. */
  readonly containers: Readonly<Record<string, { readonly name: string; readonly ipv4Address: string; readonly macAddress: string }>>;
}

export interface NetworkBackend {
  list(): Promise<NetworkRecord[]>;
  inspect(ref: string): Promise<NetworkRecord>;
}

export interface EventSource {
  events(options?: EventsOptions): AsyncIterable<EngineEvent>;
}

export interface ApiBackend {
  readonly containers: ContainerEngine;
  readonly images?: ImageBackend;
  readonly volumes?: VolumeBackend;
  readonly networks?: NetworkBackend;
  readonly daemon: DaemonFacts;
}
