/** Messages between the checkout pool (main thread) and its workers, and errors across the boundary. */
import { HostError, isHostError, type ErrorKind } from '../core/index.js';
import type { DirTask, SlowFile } from './checkout-walk.js';
import { CheckoutExists, HardlinkFailed, ObjectCorrupt, ObjectNotFound } from './errors.js';

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

export type SerializedError =
  | { readonly host: true; readonly code: string; readonly kind: ErrorKind; readonly message: string; readonly details: Record<string, unknown> }
  | { readonly host: false; readonly message: string; readonly stack: string | undefined; readonly errno: Record<string, string | number | undefined> };

// Structured clone keeps neither the class nor `code`: carry what callers test for.
export function serializeError(err: unknown): SerializedError {
  if (isHostError(err)) {
    return { host: true, code: err.code, kind: err.kind, message: err.message, details: { ...err.details } };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const n = e as NodeJS.ErrnoException;
  return { host: false, message: e.message, stack: e.stack, errno: { code: n.code, errno: n.errno, syscall: n.syscall, path: n.path } };
}

const CLASSES = new Map([CheckoutExists, HardlinkFailed, ObjectCorrupt, ObjectNotFound].map((c) => [c.code, c]));

/** The same class (so `X.is(err)` and `code` hold) as if the main thread had thrown it. */
export function deserializeError(s: SerializedError): Error {
  if (s.host) {
    const cls = CLASSES.get(s.code);
    if (cls !== undefined) return new cls(s.message, s.details as never);
    return new HostError(s.code, s.kind, s.message, s.details);
  }
  const err = Object.assign(new Error(s.message), Object.fromEntries(Object.entries(s.errno).filter(([, v]) => v !== undefined)));
  if (s.stack !== undefined) err.stack = s.stack;
  return err;
}
