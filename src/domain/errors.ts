import type { ValidationIssue } from '../contract/schemas.ts';
import type { ErrorCode } from '../contract/error-codes.ts';
import { ERROR_CODES } from '../contract/error-codes.ts';
import { isDatabaseUnavailable, isLockTimeout } from '../db/db-errors.ts';

/** A rule of the domain said no. Transports map it to `status` + `{detail, code}` (REST) or an ack error (socket). */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | ValidationIssue[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    options: { detail?: string | ValidationIssue[]; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    const entry = ERROR_CODES[code];
    const detail = options.detail ?? entry.detail;
    super(typeof detail === 'string' ? detail : entry.detail, { cause: options.cause });
    this.code = code;
    this.status = entry.status;
    this.detail = detail;
    this.headers = Object.freeze({ ...options.headers });
  }
}

/** Builds the error for `code`; keeps `cause` when it wraps a lower-level failure. */
export function domainError(
  code: ErrorCode,
  options?: { detail?: string | ValidationIssue[]; cause?: unknown; headers?: Record<string, string> },
): DomainError {
  return new DomainError(code, options);
}

/** Input that failed its schema, in FastAPI's 422 shape. */
export function validationError(issues: ValidationIssue[]): DomainError {
  return new DomainError('VALIDATION_FAILED', { detail: issues });
}

/**
 * What an error becomes on the wire. Domain errors keep their code; a lock not taken in time, or a database that went away, is a 503;
 * anything else is an unexpected 500 whose message never leaves the server.
 */
export function classifyError(e: unknown): { error: DomainError; unexpected: boolean } {
  if (e instanceof DomainError) return { error: e, unexpected: false };
  if (isLockTimeout(e))
    return {
      error: new DomainError('LOCK_TIMEOUT', { cause: e, headers: { 'Retry-After': '1' } }),
      unexpected: false,
    };
  if (isDatabaseUnavailable(e))
    return {
      error: new DomainError('SERVICE_UNAVAILABLE', { cause: e, headers: { 'Retry-After': '1' } }),
      unexpected: false,
    };
  return { error: new DomainError('INTERNAL', { cause: e }), unexpected: true };
}
