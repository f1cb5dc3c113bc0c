/** Messages between the checkout pool (main thread) and its workers. */
import type { DirTask, SlowFile } from './checkout-walk.js';
import { CheckoutExists, HardlinkFailed, ObjectCorrupt, ObjectNotFound } from './errors.js';
import { deserializeError, type SerializedError } from './worker-errors.js';

export interface ToWorker {
  readonly tasks: DirTask[];
}

export type FromWorker =
  | { readonly type: 'donate'; readonly tasks: DirTask[] }
  | {
    readonly type: 'idle'; readonly files: number; readonly hardlinked: number;
    readonly dirs: Array<[string, number, number]>; readonly slow: SlowFile[];
  }
  | { readonly type: 'error'; readonly error: SerializedError };

/** A worker's error as the class the main thread would have thrown. */
export function checkoutError(s: SerializedError): Error {
  return deserializeError(s, [CheckoutExists, HardlinkFailed, ObjectCorrupt, ObjectNotFound]);
}
