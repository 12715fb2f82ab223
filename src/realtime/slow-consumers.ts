import type { Logger } from '../logger.ts';
import type { IoServer, IoSocket } from './socket-types.ts';

type Limits = { maxBufferedBytes: number; maxPendingPackets: number; intervalMs?: number };

/** What a socket has queued on this node but the client has not read yet. */
export function pendingOutput(socket: IoSocket): { bytes: number; packets: number } {
  const conn = socket.conn as unknown as {
    writeBuffer?: unknown[];
    transport?: { socket?: { bufferedAmount?: number } };
  };
  return {
    bytes: conn.transport?.socket?.bufferedAmount ?? 0,
    packets: conn.writeBuffer?.length ?? 0,
  };
}

/**
 * A client that stops reading would make this node buffer its pushes without bound. Past the limits its
 * connection is dropped at once (nothing more is queued for it); the client reconnects and resyncs from the log.
 */
export function watchSlowConsumers(
  io: IoServer,
  limits: Limits,
  logger: Logger,
  onDisconnect: () => void = () => {},
): () => void {
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      const { bytes, packets } = pendingOutput(socket);
      if (bytes <= limits.maxBufferedBytes && packets <= limits.maxPendingPackets) continue;
      logger.warn(
        { userId: socket.data.userId, bufferedBytes: bytes, pendingPackets: packets },
        'slow consumer disconnected',
      );
      const conn = socket.conn as unknown as { transport?: { socket?: { terminate?: () => void } } };
      const raw = conn.transport?.socket;
      socket.conn.close();
      raw?.terminate?.();
      onDisconnect();
    }
  }, limits.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
