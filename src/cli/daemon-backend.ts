/**
 * berthd's default backend: the image store (src/image) under the state root, the container engine
 * (src/engine) on top of it, and adapters to what the API drives (images, volumes, networks).
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { defineError, isErrno, writeFileAtomic } from '../core/index.js';
import { Engine, StoreImages, type ContainerEngine } from '../engine/index.js';
import { ImageStore, RegistryClient, pullImage, pushImage, type ImageRecord as StoreRecord, type RegistryAccess } from '../image/index.js';
import { parseReference } from '../formats/oci/index.js';
import type {
  ImageBackend, ImageHistoryEntry, ProgressSink, RegistryAuth, ImageRecord, NetworkBackend, NetworkRecord, VolumeBackend, VolumeRecord,
} from '../api/index.js';
import type { DaemonConfig } from './daemon-config.js';
import type { BackendFactory, OpenedBackend } from './daemon-host.js';
import type { Logger } from './daemon-log.js';

export const VolumeNotFound = defineError<{ name: string }>('DAEMON_NO_SUCH_VOLUME', 'not-found');
export const VolumeInUse = defineError<{ name: string; containers: string[] }>('DAEMON_VOLUME_IN_USE', 'conflict');
export const NetworkNotFound = defineError<{ name: string }>('DAEMON_NO_SUCH_NETWORK', 'not-found');
export const FeatureMissing = defineError<{ feature: string }>('DAEMON_FEATURE_MISSING', 'unavailable');

/** The API's image operations over the image store; registry transfer comes from the store when present. */
export class StoreImageApi implements ImageBackend {
  readonly #store: ImageStore;
  readonly #insecure: readonly string[];

  constructor(store: ImageStore, insecureRegistries: readonly string[] = []) {
    this.#store = store;
    this.#insecure = insecureRegistries;
  }

  /** Registry access for one request: the client's X-Registry-Auth credentials, never stored by the daemon. */
  #access(auth: RegistryAuth | undefined, onProgress: ProgressSink | undefined, signal: AbortSignal | undefined): RegistryAccess {
    const creds = auth?.username !== undefined && auth.password !== undefined ? { username: auth.username, password: auth.password } : undefined;
    return {
      insecureRegistries: this.#insecure,
      ...(creds !== undefined ? { credentials: () => Promise.resolve(creds) } : {}),
      ...(onProgress !== undefined ? { onProgress } : {}),
      ...(signal !== undefined ? { signal } : {}),
    };
  }

  async #record(id: string, summary?: { repoTags: readonly string[]; repoDigests: readonly string[]; created: number; size: number; labels: Readonly<Record<string, string>> }): Promise<ImageRecord> {
    const img: StoreRecord = await this.#store.resolve(id);
    const config = JSON.parse((await this.#store.configBytes(img)).toString('utf8')) as Record<string, unknown>;
    const s = summary ?? (await this.#store.list()).find((x) => x.id === img.id);
    return {
      id: img.id,
      repoTags: s?.repoTags ?? [],
      repoDigests: s?.repoDigests ?? [],
      parentId: '',
      created: s?.created ?? 0,
      size: img.size,
      labels: s?.labels ?? {},
      config,
      layers: img.layers.map((l) => l.diffId),
    };
  }

  async list(): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const s of await this.#store.list()) out.push(await this.#record(s.id, s));
    return out;
  }

  async inspect(ref: string): Promise<ImageRecord> {
    return this.#record(ref);
  }

  async history(ref: string): Promise<ImageHistoryEntry[]> {
    const r = await this.#record(ref);
    const hist = Array.isArray(r.config.history) ? (r.config.history as Record<string, unknown>[]) : [];
    const entries: Record<string, unknown>[] = hist.length > 0 ? hist : r.layers.map(() => ({}));
    return entries.map((h, i) => ({
      id: i === entries.length - 1 ? r.id : '<missing>',
      created: typeof h.created === 'string' ? Math.floor(Date.parse(h.created) / 1000) : r.created,
      createdBy: typeof h.created_by === 'string' ? h.created_by : '',
      tags: i === entries.length - 1 ? [...r.repoTags] : [],
      size: 0,
      comment: typeof h.comment === 'string' ? h.comment : '',
    })).reverse();
  }

  async pull(ref: string, options: { auth?: RegistryAuth; onProgress?: ProgressSink; signal?: AbortSignal }): Promise<{ id: string; digest: string; ref: string; fresh: boolean }> {
    const r = await pullImage(this.#store, ref, this.#access(options.auth, options.onProgress, options.signal));
    return { id: r.image.id, digest: r.digest, ref: r.reference, fresh: !r.upToDate };
  }

  async push(ref: string, options: { auth?: RegistryAuth; onProgress?: ProgressSink; signal?: AbortSignal }): Promise<{ digest: string; size: number; tag: string }> {
    const r = await pushImage(this.#store, ref, this.#access(options.auth, options.onProgress, options.signal));
    return { digest: r.digest, size: r.size, tag: r.tag };
  }

  /** `docker login`: checks the credentials with the registry; the client stores them, as with dockerd. */
  async login(auth: RegistryAuth): Promise<{ status: string }> {
    if (auth.username === undefined || auth.password === undefined) throw new FeatureMissing('Login needs a username and a password', { feature: 'login' });
    const server = (auth.serverAddress ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const registry = server === '' || server === 'index.docker.io' ? 'docker.io' : parseReference(`${server}/x`).domain;
    const client = new RegistryClient({
      registry,
      credentials: { username: auth.username, password: auth.password },
      ...(this.#insecure.includes(registry) ? { insecure: true } : {}),
    });
    await client.checkLogin();
    return { status: 'Login Succeeded' };
  }

  async tag(source: string, target: string): Promise<void> {
    await this.#store.tag(source, target);
  }

  async remove(ref: string, options: { force?: boolean; noPrune?: boolean } = {}): Promise<{ untagged: string[]; deleted: string[] }> {
    const items = await this.#store.remove(ref, { force: options.force ?? false, prune: !(options.noPrune ?? false) });
    return {
      untagged: items.flatMap((i) => (i.Untagged !== undefined ? [i.Untagged] : [])),
      deleted: items.flatMap((i) => (i.Deleted !== undefined ? [i.Deleted] : [])),
    };
  }

  async load(tar: Readable): Promise<{ loaded: string[]; ids: string[] }> {
    const loaded = await this.#store.load(tar);
    return {
      loaded: loaded.flatMap((l) => (l.tags.length > 0 ? [...l.tags] : [l.id])),
      ids: loaded.map((l) => l.id),
    };
  }

  async save(refs: readonly string[]): Promise<Readable> {
    const out = new PassThrough();
    this.#store.save(refs, out).then(
      () => out.end(),
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  }

  async prune(options: { dangling?: boolean } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const r = await this.#store.prune({ all: options.dangling === false });
    return { deleted: r.deleted.flatMap((i) => (i.Deleted !== undefined ? [i.Deleted] : [])), spaceReclaimed: r.spaceReclaimed };
  }
}

/**
 * Named volumes: `<root>/volumes/<name>/_data`, the layout the engine mounts from, plus a small
 * `meta.json` (created time, labels, options) written atomically.
 */
export class LocalVolumes implements VolumeBackend {
  readonly #dir: string;
  readonly #engine: ContainerEngine;

  constructor(root: string, engine: ContainerEngine) {
    this.#dir = `${root}/volumes`;
    this.#engine = engine;
  }

  async #users(name: string): Promise<string[]> {
    const list = await this.#engine.list({ all: true });
    return list.filter((c) => c.mounts.some((m) => m.type === 'volume' && m.name === name)).map((c) => c.id);
  }

  async #read(name: string): Promise<VolumeRecord> {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new VolumeNotFound(`get ${name}: no such volume`, { name });
    let st;
    try {
      st = await stat(`${this.#dir}/${name}/_data`);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new VolumeNotFound(`get ${name}: no such volume`, { name });
      throw err;
    }
    let meta: { createdAt?: string; labels?: Record<string, string>; options?: Record<string, string> } = {};
    try {
      meta = JSON.parse(await readFile(`${this.#dir}/${name}/meta.json`, 'utf8')) as typeof meta;
    } catch {
      meta = {}; // created implicitly by `run -v name:/path`
    }
    return {
      name,
      driver: 'local',
      mountpoint: `${this.#dir}/${name}/_data`,
      createdAt: meta.createdAt ?? st.birthtime.toISOString(),
      labels: meta.labels ?? {},
      options: meta.options ?? {},
      size: -1,
      refCount: (await this.#users(name)).length,
    };
  }

  async list(filters: Readonly<Record<string, readonly string[]>> = {}): Promise<VolumeRecord[]> {
    let names: string[] = [];
    try {
      names = (await readdir(this.#dir)).sort();
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    const out: VolumeRecord[] = [];
    for (const n of names) {
      try {
        out.push(await this.#read(n));
      } catch (err) {
        if (!VolumeNotFound.is(err)) throw err;
      }
    }
    return out.filter((v) =>
      (filters.name === undefined || filters.name.some((f) => v.name.includes(f))) &&
      (filters.dangling === undefined || filters.dangling.some((d) => (d === 'true' || d === '1') === (v.refCount === 0))) &&
      (filters.label === undefined || filters.label.every((l) => {
        const [k = '', val] = l.split('=', 2);
        return val === undefined ? k in v.labels : v.labels[k] === val;
      })));
  }

  async create(options: { name?: string; labels?: Readonly<Record<string, string>>; driverOpts?: Readonly<Record<string, string>> }): Promise<VolumeRecord> {
    const name = options.name ?? createHash('sha256').update(`${Date.now()}-${Math.random()}`).digest('hex');
    const dir = `${this.#dir}/${name}`;
    await mkdir(`${dir}/_data`, { recursive: true });
    try {
      await stat(`${dir}/meta.json`);
    } catch {
      await writeFileAtomic(`${dir}/meta.json`, JSON.stringify({ createdAt: new Date().toISOString(), labels: options.labels ?? {}, options: options.driverOpts ?? {} }));
    }
    return this.#read(name);
  }

  inspect(name: string): Promise<VolumeRecord> {
    return this.#read(name);
  }

  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#read(name);
    const users = await this.#users(name);
    if (users.length > 0 && options.force !== true) {
      throw new VolumeInUse(`remove ${name}: volume is in use - [${users.join(', ')}]`, { name, containers: users });
    }
    await rm(`${this.#dir}/${name}`, { recursive: true, force: true });
  }

  async prune(filters: Readonly<Record<string, readonly string[]>> = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const all = filters.all?.some((a) => a === 'true' || a === '1') ?? false;
    const deleted: string[] = [];
    for (const v of await this.list()) {
      if (v.refCount > 0) continue;
      if (!all && /^[0-9a-f]{64}$/.test(v.name) === false) continue; // named volumes only with all=true, as in Docker 23+
      await rm(`${this.#dir}/${v.name}`, { recursive: true, force: true });
      deleted.push(v.name);
    }
    return { deleted, spaceReclaimed: 0 };
  }
}

/** berth's networks: its one bridge, the host's stack, and none. */
export class FixedNetworks implements NetworkBackend {
  readonly #engine: ContainerEngine;
  readonly #config: DaemonConfig;
  readonly #created: string;

  constructor(engine: ContainerEngine, config: DaemonConfig, created: string) {
    this.#engine = engine;
    this.#config = config;
    this.#created = created;
  }

  async list(): Promise<NetworkRecord[]> {
    const containers = await this.#engine.list({ all: false });
    const id = (n: string): string => createHash('sha256').update(`${this.#config.root}:${n}`).digest('hex');
    const gateway = this.#config.subnet.replace(/\.0\/\d+$/, '.1');
    const prefix = this.#config.subnet.split('/')[1] ?? '24';
    const base = { created: this.#created, internal: false, labels: {} };
    return [
      {
        ...base, id: id('bridge'), name: 'bridge', driver: 'bridge', subnet: this.#config.subnet, gateway,
        options: { 'com.docker.network.bridge.name': this.#config.bridge },
        containers: Object.fromEntries(containers.filter((c) => c.networkMode === 'bridge').map((c) => [
          c.id, { name: c.names[0] ?? '', ipv4Address: c.ipAddress !== '' ? `${c.ipAddress}/${prefix}` : '', macAddress: '' },
        ])),
      },
      { ...base, id: id('host'), name: 'host', driver: 'host', subnet: '', gateway: '', options: {}, containers: {} },
      { ...base, id: id('none'), name: 'none', driver: 'null', subnet: '', gateway: '', options: {}, containers: {} },
    ];
  }

  async inspect(ref: string): Promise<NetworkRecord> {
    const list = await this.list();
    const hit = list.find((n) => n.name === ref || n.id === ref) ?? list.find((n) => ref.length >= 3 && n.id.startsWith(ref));
    if (hit === undefined) throw new NetworkNotFound(`network ${ref} not found`, { name: ref });
    return hit;
  }
}

/** Containers younger than this are never swept: another process (the `berth` CLI) may be creating them. */
export const HALF_CREATED_GRACE_MS = 5000;

/**
 * Removes what a create interrupted by a crash (SIGKILL, power loss) left behind: a container
 * directory without its record, the rootfs the image store prepared for it, its address reservation
 * and its name claim. Complete containers are never touched. Returns the ids swept.
 */
export async function sweepHalfCreated(root: string, runRoot: string, store: ImageStore, now = Date.now()): Promise<string[]> {
  const swept: string[] = [];
  const hex = /^[0-9a-f]{64}$/;
  const hasRecord = (id: string): Promise<boolean> => stat(`${root}/containers/${id}/record.json`).then(() => true, () => false);
  const ids = new Set([
    ...(await readdir(`${root}/containers`).catch(() => [] as string[])),
    ...(await readdir(`${root}/image/rootfs`).catch(() => [] as string[])),
  ]);
  for (const id of ids) {
    if (!hex.test(id) || (await hasRecord(id))) continue;
    const st = await stat(`${root}/containers/${id}`).catch(() => stat(`${root}/image/rootfs/${id}`)).catch(() => undefined);
    if (st !== undefined && now - st.mtimeMs < HALF_CREATED_GRACE_MS) continue;
    await store.removeRootfs(id);
    await rm(`${root}/containers/${id}`, { recursive: true, force: true });
    await rm(`${runRoot}/containers/${id}`, { recursive: true, force: true });
    swept.push(id);
  }
  if (swept.length === 0) return swept;
  const gone = new Set(swept);
  for (const name of await readdir(`${root}/names`).catch(() => [] as string[])) {
    const owner = (await readFile(`${root}/names/${name}`, 'utf8').catch(() => '')).trim();
    if (gone.has(owner)) await rm(`${root}/names/${name}`, { force: true });
  }
  for (const bridge of await readdir(`${root}/network`).catch(() => [] as string[])) {
    const dir = `${root}/network/${bridge}/ips`;
    for (const ip of await readdir(dir).catch(() => [] as string[])) {
      const owner = (await readFile(`${dir}/${ip}`, 'utf8').catch(() => '')).trim();
      if (gone.has(owner)) await rm(`${dir}/${ip}`, { force: true });
    }
  }
  return swept;
}

async function createdStamp(root: string): Promise<string> {
  const file = `${root}/network-created`;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const now = new Date().toISOString();
    await writeFile(file, `${now}\n`);
    return now;
  }
}

export async function openBackendWith(config: DaemonConfig, logger: Logger): Promise<OpenedBackend> {
  let engineRef: Engine | undefined;
  const store = await ImageStore.open({
    root: config.root,
    isImageInUse: async (id) => ((await engineRef?.list({ all: true })) ?? []).some((c) => c.imageId === id),
  });
  // The engine's image backend on the daemon's store: local images first, then the store's (overlay rootfs).
  const engine = new Engine(new StoreImages(config.root, store), {
    root: config.root,
    runRoot: config.runRoot,
    defaultRuntime: config.defaultRuntime,
    bridge: config.bridge,
    subnet: config.subnet,
    defaultPublishIp: config.defaultPublishIp,
    onNote: (note) => logger.info(note, { source: 'engine' }),
  });
  engineRef = engine;
  const created = await createdStamp(config.root);
  return {
    backend: {
      containers: engine,
      images: new StoreImageApi(store, config.insecureRegistries),
      volumes: new LocalVolumes(config.root, engine),
      networks: new FixedNetworks(engine, config, created),
    },
    facts: { defaultRuntime: config.defaultRuntime },
    restore: async () => {
      const swept = await sweepHalfCreated(config.root, config.runRoot, store);
      if (swept.length > 0) logger.info('Removed half-created containers left by a crash', { containers: swept });
      return engine.restore();
    },
    // Removals answered before their teardown ended (--rm through the API) finish before berthd exits.
    close: () => engine.settle(),
  };
}

export const openEngineBackend: BackendFactory = openBackendWith;
