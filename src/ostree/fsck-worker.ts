/**
 * An fsck worker: re-hashes the objects of each batch it gets (reading, inflating archive
 * objects, SHA-256) and answers with the problems found. fsck is CPU-bound in archive mode
 * (inflate + hash; ostree does it on one core); workers spread it over the cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkObject } from './fsck-check.js';
import type { FsckBatch, FsckBatchResult } from './fsck-pool.js';
import { RepoReader } from './reader.js';
import { splitObjectKey } from './traverse.js';
import { serializeError } from './worker-errors.js';

const { repoPath } = workerData as { repoPath: string };
const port = parentPort!;
const reader = RepoReader.open(repoPath);

// Batches are handled one after the other, in arrival order.
let queue = Promise.resolve();
port.on('message', (batch: FsckBatch) => {
  queue = queue.then(async () => {
    let result: FsckBatchResult;
    try {
      const r = await reader;
      const problems: Array<string | undefined> = [];
      for (const key of batch.keys) {
        const { checksum, type } = splitObjectKey(key);
        problems.push(await checkObject(r, checksum, type));
      }
      result = { id: batch.id, problems };
    } catch (err) {
      result = { id: batch.id, error: serializeError(err) };
    }
    port.postMessage(result);
  });
});
