/**
 * Errors of the Docker Engine API layer, and the one table that maps error kinds to HTTP statuses.
 * Docker clients expect `{"message": "…"}` with `Content-Type: application/json` exactly (the Go client
 * prints the raw body otherwise); berth's stable code rides along in the `X-Berth-Error-Code` header.
 */
import type { ServerResponse } from 'node:http';
import { defineError, isHostError, type ErrorKind } from '../core/index.js';

export const ApiBadRequest = defineError<Record<string, unknown>>('API_BAD_REQUEST', 'invalid-argument');
export const ApiNotFound = defineError<{ method: string; path: string }>('API_ROUTE_NOT_FOUND', 'not-found');
export const ApiVersionUnsupported = defineError<{ version: string }>('API_VERSION_UNSUPPORTED', 'invalid-argument');
export const ApiBodyTooLarge = defineError<{ limit: number }>('API_BODY_TOO_LARGE', 'invalid-argument');
export const ApiNotModified = defineError<{ id: string }>('API_NOT_MODIFIED', 'failed-precondition');
export const ApiNoSuchObject = defineError<{ what: string; ref: string }>('API_NO_SUCH_OBJECT', 'not-found');
export const ApiNotImplemented = defineError<{ feature: string }>('API_NOT_IMPLEMENTED', 'unavailable');
export const ApiConflict = defineError<Record<string, unknown>>('API_CONFLICT', 'conflict');
export const ApiSocketInUse = defineError<{ path: string }>('API_SOCKET_IN_USE', 'conflict');

export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  'not-found': 404,
  'already-exists': 409,
  conflict: 409,
  'failed-precondition': 409,
  'invalid-argument': 400,
  'permission-denied': 403,
  unavailable: 503,
  aborted: 500,
  corrupt: 500,
  internal: 500,
};

export interface ErrorResponse {
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string;
}

/** Status and message for any thrown value; 304 is Docker's "already in that state" for start/stop. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (isHostError(err)) {
    const status = err.code === ApiNotModified.code ? 304 : HTTP_STATUS[err.kind];
    return { status, code: err.code, message: err.message };
  }
  if (err instanceof SyntaxError) return { status: 400, code: ApiBadRequest.code, message: err.message };
  return { status: 500, code: undefined, message: err instanceof Error ? err.message : String(err) };
}

export function sendError(res: ServerResponse, err: unknown): ErrorResponse {
  const e = toErrorResponse(err);
  if (res.headersSent) {
    res.destroy();
    return e;
  }
  res.statusCode = e.status;
  if (e.code !== undefined) res.setHeader('X-Berth-Error-Code', e.code);
  if (e.status === 304) {
    res.end();
    return e;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(`${JSON.stringify({ message: e.message })}\n`);
  return e;
}
