import type { IoServer, IoSocket } from './socket-types.ts';

/**
 * Ends sessions whose token has expired: `session:expired`, then a server-side disconnect (so the client does
 * not reconnect with the same token). One sweep for all sockets, rather than a timer held by each of them.
 */
export function watchSessionExpiry(io: IoServer, intervalMs = 1000): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    const expired: IoSocket[] = [];
    for (const socket of io.of('/').sockets.values()) if (socket.data.expiresAt <= now) expired.push(socket);
    for (const socket of expired) {
      socket.emit('session:expired', { detail: 'Token expired.' });
      socket.disconnect(true);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
