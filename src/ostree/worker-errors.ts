/** Errors across a worker_threads boundary: structured clone keeps neither the class nor `code`. */
import { HostError, isHostError, type ErrorKind } from '../core/index.js';

export type SerializedError =
  | { readonly host: true; readonly code: string; readonly kind: ErrorKind; readonly message: string; readonly details: Record<string, unknown> }
  | { readonly host: false; readonly message: string; readonly stack: string | undefined; readonly errno: Record<string, string | number | undefined> };

export function serializeError(err: unknown): SerializedError {
  if (isHostError(err)) {
    return { host: true, code: err.code, kind: err.kind, message: err.message, details: { ...err.details } };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const n = e as NodeJS.ErrnoException;
  return { host: false, message: e.message, stack: e.stack, errno: { code: n.code, errno: n.errno, syscall: n.syscall, path: n.path } };
}

/** The same class (so `X.is(err)` and `code` hold) as if the main thread had thrown it, when listed in `classes`. */
/** What defineError() returns, with the details type erased. */
export interface ErrorClass {
  readonly code: string;
  new (message: string, details: never): Error;
}

export function deserializeError(s: SerializedError, classes: readonly ErrorClass[] = []): Error {
  if (s.host) {
    const cls = classes.find((c) => c.code === s.code);
    if (cls !== undefined) return new cls(s.message, s.details as never);
    return new HostError(s.code, s.kind, s.message, s.details);
  }
  const err = Object.assign(new Error(s.message), Object.fromEntries(Object.entries(s.errno).filter(([, v]) => v !== undefined)));
  if (s.stack !== undefined) err.stack = s.stack;
  return err;
}
