import {
  ConnectionException,
  UniqueConstraintViolationException,
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
} from '@mikro-orm/core';

const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|connection is closed|terminating connection/i;

const BUSY_SQLSTATES = new Set([
  '55P03', // lock_not_available: lock_timeout passed while waiting for a row lock
  '57014', // query_canceled: statement_timeout passed
]);

/** True when a statement gave up waiting (for a lock, or the statement timeout): nothing changed, retry later. */
export function isLockTimeout(e: unknown): boolean {
  for (let err = e, depth = 0; err && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    const code = (err as { code?: unknown }).code;
    const sqlState = (err as { sqlState?: unknown }).sqlState;
    if (typeof code === 'string' && BUSY_SQLSTATES.has(code)) return true;
    if (typeof sqlState === 'string' && BUSY_SQLSTATES.has(sqlState)) return true;
  }
  return false;
}

/** True when the database could not be reached or went away: the caller should answer 503, not 500. */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let err = e, depth = 0; err && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    if (err instanceof ConnectionException) return true;
    const code = (err as { code?: unknown }).code;
    const sqlState = (err as { sqlState?: unknown }).sqlState;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_CODES.has(code)))
      return true;
    if (typeof sqlState === 'string' && UNAVAILABLE_SQLSTATES.has(sqlState)) return true;
    if (err instanceof Error && UNAVAILABLE_MESSAGES.test(err.message)) return true;
    if (err instanceof AggregateError && err.errors.some((x) => isDatabaseUnavailable(x))) return true;
  }
  return false;
}

/** The name of the violated constraint, when `e` is a unique, check or foreign-key violation. */
export function violatedConstraint(e: unknown): string | undefined {
  if (
    !(e instanceof UniqueConstraintViolationException) &&
    !(e instanceof CheckConstraintViolationException) &&
    !(e instanceof ForeignKeyConstraintViolationException)
  ) {
    return undefined;
  }
  const named = (e as { constraint?: unknown }).constraint;
  if (typeof named === 'string') return named;
  return /constraint "([^"]+)"/.exec(e.message)?.[1];
}
