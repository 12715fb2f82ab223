import type { HandshakeErrorData } from '../contract/socket-events.ts';
import type { Em } from '../db/orm.ts';
import { authenticateToken } from '../domain/accounts.ts';
import type { Deps } from '../domain/context.ts';
import { classifyError, domainError } from '../domain/errors.ts';
import type { Logger } from '../logger.ts';
import type { IoServer } from './socket-types.ts';

type HandshakeError = Error & { data: HandshakeErrorData };

function refusal(message: string, status: number, detail: string): HandshakeError {
  return Object.assign(new Error(message), { data: { status, detail } });
}

/**
 * Every connection authenticates in its handshake with `auth: { token }`, the same JWT as REST.
 * A refusal reaches the client as `connect_error` with message `unauthorized` and `data: { status, detail }`.
 */
export function authenticateHandshakes(
  io: IoServer,
  options: { fork(): Em; depsFor(em: Em): Deps; logger: Logger },
): void {
  io.use(async (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    try {
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
        throw domainError('NOT_AUTHENTICATED');
      }
      const { user, expiresAt } = await authenticateToken(options.depsFor(options.fork()), token);
      socket.data.userId = user.id;
      socket.data.username = user.username;
      socket.data.expiresAt = expiresAt;
      // Checked once; keeping the token for the socket's lifetime would only cost memory and widen exposure.
      delete (socket.handshake.auth as { token?: unknown }).token;
      next();
    } catch (e) {
      const { error, unexpected } = classifyError(e);
      if (unexpected) options.logger.error({ err: e }, 'unexpected error in socket handshake');
      const message = error.status === 401 ? 'unauthorized' : error.status === 503 ? 'unavailable' : 'error';
      next(
        refusal(
          message,
          error.status,
          typeof error.detail === 'string' ? error.detail : 'Invalid handshake.',
        ),
      );
    }
  });
}
