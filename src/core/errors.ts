/**
 * Every error berth throws on purpose is a HostError: a stable `code` (API; never renamed),
 * a `kind` from a closed set, and structured `details`. Kinds, not codes, map to CLI exit
 * codes (here) and HTTP statuses (api/errors.ts), each in exactly one place.
 */
export type ErrorKind =
  | 'not-found'
  | 'already-exists'
  | 'invalid-argument'
  | 'failed-precondition'
  | 'conflict'
  | 'unavailable'
  | 'permission-denied'
  | 'corrupt'
  | 'aborted'
  | 'internal';

const HOST_ERROR_BRAND = Symbol.for('berth.HostError');

/** Base class for every error this project throws on purpose. */
export class HostError<D extends object = Record<string, unknown>> extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Readonly<D>;
  readonly [HOST_ERROR_BRAND] = true;

  constructor(code: string, kind: ErrorKind, message: string, details: D, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.kind = kind;
    this.details = details;
    this.name = 'HostError';
  }

  toJSON(): { code: string; kind: ErrorKind; message: string; details: Readonly<D> } {
    return { code: this.code, kind: this.kind, message: this.message, details: this.details };
  }
}

/** Brand check, so instanceof survives duplicate copies of the module. */
export function isHostError(value: unknown): value is HostError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[HOST_ERROR_BRAND] === true;
}

export function isErrno(err: unknown, code: string): err is NodeJS.ErrnoException {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

export const EXIT_CODE: Readonly<Record<ErrorKind, number>> = {
  'not-found': 4,
  'already-exists': 5,
  'invalid-argument': 2,
  'failed-precondition': 6,
  conflict: 6,
  unavailable: 7,
  'permission-denied': 8,
  corrupt: 9,
  aborted: 130,
  internal: 1,
};

/**
 * Declare an error code once: `const RefInvalid = defineError('REPO_INVALID_REF', 'invalid-argument')`
 * then `throw new RefInvalid('Invalid ref name "x"', { ref: 'x' })`. Codes are registered so a
 * test can assert uniqueness and that docs/errors.md lists each one.
 */
export const ERROR_REGISTRY = new Map<string, ErrorKind>();

export interface HostErrorClass<D extends object> {
  new (message: string, details: D, options?: ErrorOptions): HostError<D>;
  readonly code: string;
  readonly kind: ErrorKind;
  is(value: unknown): value is HostError<D>;
}

export function defineError<D extends object = Record<string, unknown>>(code: string, kind: ErrorKind): HostErrorClass<D> {
  if (!/^[A-Z]+(?:_[A-Z0-9]+)+$/.test(code)) throw new RangeError(`Bad error code ${JSON.stringify(code)}`);
  if (ERROR_REGISTRY.has(code)) throw new RangeError(`Error code ${code} defined twice`);
  ERROR_REGISTRY.set(code, kind);
  const cls = class extends HostError<D> {
    static readonly code = code;
    static readonly kind = kind;
    constructor(message: string, details: D, options?: ErrorOptions) {
      super(code, kind, message, details, options);
      this.name = code;
    }
    static is(value: unknown): value is HostError<D> {
      return isHostError(value) && value.code === code;
    }
  };
  return cls;
}

/**
 * Adds a context frame to any error thrown by `fn`, keeping code and kind:
 * "Staging deployment: Writing origin file: EACCES …" (ostree's GLNX_AUTO_PREFIX_ERROR).
 */
export async function step<T>(label: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw withContext(label, err);
  }
}

export function withContext(label: string, err: unknown): unknown {
  if (err instanceof Error) {
    err.message = `${label}: ${err.message}`;
    return err;
  }
  return new Error(`${label}: ${String(err)}`);
}

export const InternalError = defineError<{ what: string }>('CORE_INTERNAL', 'internal');
export const InvalidArgument = defineError<Record<string, unknown>>('CORE_INVALID_ARGUMENT', 'invalid-argument');
export const ToolMissing = defineError<{ tool: string; pkg: string }>('CORE_TOOL_MISSING', 'failed-precondition');
export const CommandFailed = defineError<{ argv: readonly string[]; exitCode: number | null; stderr: string }>(
  'CORE_COMMAND_FAILED',
  'internal',
);
export const PathEscapes = defineError<{ root: string; path: string }>('CORE_PATH_ESCAPES', 'invalid-argument');
