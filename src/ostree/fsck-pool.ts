/**
 * Hands fsck's object checks to worker threads in batches. `check()` has the same contract as
 * checkObject() (undefined, 'missing' or the problem in ostree's words; other errors reject), so
 * fsck's reporting logic stays on the main thread, unchanged.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ObjectType } from '../formats/ostree/index.js';
import { deserializeError, type SerializedError } from './worker-errors.js';

export interface FsckBatch {
  readonly id: number;
  readonly keys: string[];
}

export type FsckBatchResult =
  | { readonly id: number; readonly problems: Array<string | undefined> }
  | { readonly id: number; readonly error: SerializedError };

/** Below this many objects, starting workers costs more than it saves. */
const MIN_OBJECTS = 2000;
const BATCH = 32;

/** Workers for a repository of `objects` reachable objects: 0 keeps everything on the main thread. */
export function fsckWorkersFor(objects: number, wanted: number | 'auto' | undefined): number {
  if (typeof wanted === 'number') return wanted;
  return objects < MIN_OBJECTS ? 0 : Math.min(4, availableParallelism());
}

interface Pending {
  readonly resolve: (problem: string | undefined) => void;
  readonly reject: (err: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  inFlight: number;
}

export class FsckPool {
  readonly #slots: Slot[] = [];
  readonly #batches = new Map<number, { slot: Slot; pending: Pending[] }>();
  #keys: string[] = [];
  #pending: Pending[] = [];
  #nextId = 0;
  #flushQueued = false;
  #failure: unknown;

  constructor(repoPath: string, workers: number) {
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(new URL('./fsck-worker.js', import.meta.url), { workerData: { repoPath } });
      const slot: Slot = { worker, inFlight: 0 };
      worker.on('message', (r: FsckBatchResult) => this.#settle(r));
      worker.on('error', (err) => this.#fail(err));
      this.#slots.push(slot);
    }
  }

  check(checksum: string, type: ObjectType): Promise<string | undefined> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#keys.push(`${checksum}.${type}`);
      this.#pending.push({ resolve, reject });
      if (this.#keys.length >= BATCH) this.#flush();
      else if (!this.#flushQueued) {
        this.#flushQueued = true;
        setImmediate(() => this.#flush()); // a partial batch once the callers have queued what they can
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#keys.length === 0) return;
    const slot = this.#slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.#nextId++;
    this.#batches.set(id, { slot, pending: this.#pending });
    slot.inFlight += this.#keys.length;
    slot.worker.postMessage({ id, keys: this.#keys } satisfies FsckBatch);
    this.#keys = [];
    this.#pending = [];
  }

  #settle(r: FsckBatchResult): void {
    const batch = this.#batches.get(r.id);
    if (batch === undefined) return;
    this.#batches.delete(r.id);
    batch.slot.inFlight -= batch.pending.length;
    if ('error' in r) {
      const err = deserializeError(r.error);
      for (const p of batch.pending) p.reject(err);
      return;
    }
    batch.pending.forEach((p, i) => p.resolve(r.problems[i]));
  }

  #fail(err: unknown): void {
    this.#failure ??= err;
    for (const [id, batch] of this.#batches) {
      this.#batches.delete(id);
      for (const p of batch.pending) p.reject(err);
    }
  }
}
