import { classifyError, type DomainError } from './domain/errors.ts';
import type { Logger } from './logger.ts';

/**
 * Turns any error into what the client is told, and logs it once, the same way for REST, socket commands and
 * the handshake: an unexpected one with its stack (its message never reaches the client), a database that
 * went away as a warning, a domain error not at all. `context` says where it happened (request, command).
 */
export function reportError(logger: Logger, e: unknown, context: object): DomainError {
  const { error, unexpected } = classifyError(e);
  if (unexpected) logger.error({ err: e, ...context }, 'unexpected error');
  else if (error.code === 'SERVICE_UNAVAILABLE')
    logger.warn({ ...context, cause: String((e as Error)?.message) }, 'database unavailable');
  return error;
}
