/**
 * Runs a user-mode hardlink checkout on the main thread plus worker threads. Checkout is kernel
 * time (mkdir, link, symlink, getxattr: ostree spends it on one core); a worker on the second
 * core fills other subtrees at the same time. The main thread starts alone and starts workers
 * only once the tree proves bigger than a few directories, so small checkouts pay nothing.
 *
 * Scheduling: the main thread keeps a stack of pending directories and works on it in short
 * slices; an idle worker gets the shallower half of it. When the main thread runs dry (or a worker
 * is idle and there is nothing to give), it raises a shared flag and a busy worker donates half of
 * its own stack back. The checkout is complete when the stack is empty and every worker is idle.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { applyDirModes, LinkWalker, type DirTask, type LinkWalkConfig, type SlowFile } from './checkout-walk.js';
import { checkoutError, type FromWorker, type ToWorker } from './checkout-protocol.js';

export interface PoolResult {
  readonly files: number;
  readonly hardlinked: number;
  readonly slow: readonly SlowFile[];
  /** Applies the directory modes; call after the slow files are copied. */
  readonly finish: () => void;
}

/** Directories filled on the main thread before it decides the tree is worth a worker. */
const SOLO_DIRS = 48;
/** Directories per main-thread slice between looks at worker messages. */
const SLICE_DIRS = 8;

export function defaultCheckoutWorkers(): number {
  return Math.min(3, availableParallelism() - 1);
}

interface Slot {
  readonly worker: Worker;
  // 'starting' holds no work: the checkout may finish before a worker is even up.
  state: 'starting' | 'idle' | 'busy';
}

/** `soloDirs`: directories the main thread fills alone before starting `workers`; 0: workers do all the work. */
export async function checkoutWithPool(config: LinkWalkConfig, root: DirTask, workers: number, soloDirs = SOLO_DIRS): Promise<PoolResult> {
  const main = new LinkWalker(config);
  main.stack.push(root);
  let dirsDone = 0;
  const countingStop = (limit: number) => () => ++dirsDone % limit === 0;
  if (soloDirs > 0) main.run(countingStop(soloDirs));
  if (main.stack.length === 0 || workers <= 0) {
    main.run();
    return { files: main.files, hardlinked: main.hardlinked, slow: main.slow, finish: () => applyDirModes(main.dirs) };
  }

  // With soloDirs 0 (tests) the main thread only hands out work, so every directory goes through a worker.
  const mainWorks = soloDirs > 0;
  const hungry = new Int32Array(new SharedArrayBuffer(4));
  const slots: Slot[] = [];
  let files = main.files;
  let hardlinked = main.hardlinked;
  const dirs = main.dirs;
  const slow = main.slow;
  main.dirs = [];
  main.slow = [];
  main.files = 0;
  main.hardlinked = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  for (let i = 0; i < workers; i++) {
    const worker = new Worker(new URL('./checkout-worker.js', import.meta.url), { workerData: { config, hungry } });
    const slot: Slot = { worker, state: 'starting' };
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'donate') main.stack.push(...msg.tasks);
      else if (msg.type === 'idle') {
        slot.state = 'idle';
        files += msg.files;
        hardlinked += msg.hardlinked;
        for (const d of msg.dirs) dirs.push(d);
        for (const s of msg.slow) slow.push(s);
      } else failure ??= checkoutError(msg.error);
      notify();
    });
    worker.on('error', (err) => {
      failure ??= err;
      notify();
    });
    slots.push(slot);
  }

  const feed = (): void => {
    for (const slot of slots) {
      if (slot.state !== 'idle') continue;
      const n = mainWorks ? main.stack.length >> 1 : Math.ceil(main.stack.length / 2);
      if (n === 0) continue;
      const tasks = main.stack.splice(0, n);
      slot.state = 'busy';
      slot.worker.postMessage({ tasks } satisfies ToWorker);
    }
    const starving = main.stack.length === 0 || slots.some((s) => s.state === 'idle');
    Atomics.store(hungry, 0, starving ? 1 : 0);
  };

  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      feed();
      if (mainWorks && main.stack.length > 0) {
        main.run(countingStop(SLICE_DIRS));
        await new Promise<void>((resolve) => setImmediate(resolve)); // let worker messages in
        continue;
      }
      if (main.stack.length === 0 && slots.every((s) => s.state !== 'busy')) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
  files += main.files;
  hardlinked += main.hardlinked;
  for (const d of main.dirs) dirs.push(d);
  for (const s of main.slow) slow.push(s);
  return { files, hardlinked, slow, finish: () => applyDirModes(dirs) };
}
