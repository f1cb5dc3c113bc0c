/**
 * A checkout worker: runs a LinkWalker over the directories the main thread hands it. While it
 * works it watches a shared "hungry" flag; when another thread has run dry it gives away the
 * shallower half of its pending directories (work stealing), so both cores stay busy whatever
 * the shape of the tree.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LinkWalker, type DirTask, type LinkWalkConfig } from './checkout-walk.js';
import type { FromWorker, ToWorker } from './checkout-protocol.js';
import { serializeError } from './worker-errors.js';

const { config, hungry } = workerData as { config: LinkWalkConfig; hungry: Int32Array };
const port = parentPort!;
const walker = new LinkWalker(config);

function donate(): boolean {
  if (walker.stack.length >= 2 && Atomics.exchange(hungry, 0, 0) === 1) {
    const tasks: DirTask[] = walker.stack.splice(0, walker.stack.length >> 1);
    port.postMessage({ type: 'donate', tasks } satisfies FromWorker);
  }
  return false;
}

port.on('message', (msg: ToWorker) => {
  walker.stack.push(...msg.tasks);
  try {
    walker.run(donate);
  } catch (err) {
    port.postMessage({ type: 'error', error: serializeError(err) } satisfies FromWorker);
    return;
  }
  port.postMessage({
    type: 'idle', files: walker.files, hardlinked: walker.hardlinked, dirs: walker.dirs, slow: walker.slow,
  } satisfies FromWorker);
  walker.files = 0;
  walker.hardlinked = 0;
  walker.dirs = [];
  walker.slow = [];
});
port.postMessage({ type: 'idle', files: 0, hardlinked: 0, dirs: [], slow: [] } satisfies FromWorker);
