import type { HandshakeErrorData } from '../contract/socket-events.ts';
import { authenticateToken } from '../domain/accounts.ts';
import type { Deps } from '../domain/context.ts';
import { domainError, type DomainError } from '../domain/errors.ts';
import { reportError } from '../error-report.ts';
import type { Logger } from '../logger.ts';
import type { IoServer } from './socket-types.ts';

type HandshakeError = Error & { data: HandshakeErrorData };

function refusal(message: string, error: DomainError): HandshakeError {
  const detail = typeof error.detail === 'string' ? error.detail : 'Invalid handshake.';
  return Object.assign(new Error(message), { data: { status: error.status, code: error.code, detail } });
}

/**
 * Every connection authenticates in its handshake with `auth: { token }`, the same JWT as REST.
 * A refusal reaches the client as `connect_error` with message `unauthorized` and `data: { status, code, detail }`;
 * an account past its socket cap gets `rate_limited` with status 429.
 */
export function authenticateHandshakes(
  io: IoServer,
  options: { deps(): Deps; logger: Logger; socketsPerAccount: number },
): void {
  // Counted from the handshake's acceptance to the connection's close, so that a burst of parallel handshakes
  // cannot all pass before any of them is counted.
  const openPerAccount = new Map<number, number>();
  function admitSocket(userId: number, conn: { once(event: 'close', fn: () => void): unknown }): void {
    const open = openPerAccount.get(userId) ?? 0;
    if (open >= options.socketsPerAccount) throw domainError('TOO_MANY_SOCKETS');
    openPerAccount.set(userId, open + 1);
    conn.once('close', () => {
      const left = (openPerAccount.get(userId) ?? 1) - 1;
      if (left > 0) openPerAccount.set(userId, left);
      else openPerAccount.delete(userId);
    });
  }

  io.use(async (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    try {
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
        throw domainError('NOT_AUTHENTICATED');
      }
      const { user, expiresAt } = await authenticateToken(options.deps(), token);
      admitSocket(user.id, socket.conn);
      socket.data.userId = user.id;
      socket.data.username = user.username;
      socket.data.expiresAt = expiresAt;
      // Checked once; keeping the token for the socket's lifetime would only cost memory and widen exposure.
      delete (socket.handshake.auth as { token?: unknown }).token;
      next();
    } catch (e) {
      const error = reportError(options.logger, e, { during: 'socket handshake' });
      const message =
        error.status === 401
          ? 'unauthorized'
          : error.status === 503
            ? 'unavailable'
            : error.status === 429
              ? 'rate_limited'
              : 'error';
      next(refusal(message, error));
    }
  });
}
