/**
 * A commit worker thread: stores batches of small regular files with synchronous calls
 * (commit-file.ts), so that two workers keep both cores busy (ostree commits on one).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SmallFileStore, type SmallFile, type StoreConfig } from './commit-file.js';

/** One message to a worker: files to store, answered by one BatchResult with the same id. */
export interface WorkBatch {
  readonly id: number;
  readonly files: readonly SmallFile[];
}

/** checksums[i] belongs to files[i]; wrote lists the indexes of the files this worker staged. */
export type BatchResult =
  | { readonly id: number; readonly checksums: string[]; readonly wrote: number[] }
  | { readonly id: number; readonly error: { message: string; code?: string; stack?: string } };

if (parentPort !== null && workerData !== undefined && (workerData as { berthCommitWorker?: boolean }).berthCommitWorker === true) {
  const store = new SmallFileStore((workerData as { config: StoreConfig }).config);
  const port = parentPort;
  port.on('message', (batch: WorkBatch) => {
    const checksums: string[] = [];
    const wrote: number[] = [];
    let out: BatchResult;
    try {
      for (const [i, file] of batch.files.entries()) {
        const r = store.store(file);
        checksums.push(r.checksum);
        if (r.wrote) wrote.push(i);
      }
      out = { id: batch.id, checksums, wrote };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      out = { id: batch.id, error: { message: e.message, ...(e.code === undefined ? {} : { code: e.code }), ...(e.stack === undefined ? {} : { stack: e.stack }) } };
    }
    port.postMessage(out);
  });
}
