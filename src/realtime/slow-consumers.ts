import type { Logger } from '../logger.ts';
import type { IoServer, IoSocket } from './socket-types.ts';

type Limits = { maxBufferedBytes: number; maxPendingPackets: number; intervalMs?: number };

type EnginePacket = { data?: unknown };
type EngineConn = {
  writeBuffer?: EnginePacket[];
  transport?: { name?: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'packetCreate', fn: (packet: EnginePacket) => void): void;
  on(event: 'flush', fn: () => void): void;
};

/** Bytes sitting in engine.io's write buffer, per connection: counted as packets enter it, zeroed when it flushes. */
const engineQueued = new WeakMap<object, number>();

function packetBytes(packet: EnginePacket): number {
  const data = packet.data;
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

function connOf(socket: IoSocket): EngineConn {
  return socket.conn as unknown as EngineConn;
}

/**
 * What a socket has queued on this node but the client has not read yet: pushes and acks still in engine.io's
 * write buffer (where they wait while the transport is busy, and where a polling client's wait until its next
 * poll), plus what the websocket has handed to its TCP socket without the kernel taking it.
 */
export function pendingOutput(socket: IoSocket): { bytes: number; packets: number } {
  const conn = connOf(socket);
  return {
    bytes: (engineQueued.get(conn) ?? 0) + (conn.transport?.socket?.bufferedAmount ?? 0),
    packets: conn.writeBuffer?.length ?? 0,
  };
}

/**
 * A client that stops reading would make this node buffer its pushes and answers without bound. Each packet
 * is counted as it is queued, and the connection is dropped as soon as its unread bytes or packets pass the
 * limits (nothing more is queued for it); the client reconnects and resyncs from the log.
 */
export function watchSlowConsumers(
  io: IoServer,
  limits: Limits,
  logger: Logger,
  onDisconnect: () => void = () => {},
): () => void {
  const dropped = new WeakSet<IoSocket>();

  function drop(socket: IoSocket): void {
    if (dropped.has(socket)) return;
    const { bytes, packets } = pendingOutput(socket);
    if (bytes <= limits.maxBufferedBytes && packets <= limits.maxPendingPackets) return;
    dropped.add(socket);
    logger.warn(
      { userId: socket.data.userId, bufferedBytes: bytes, pendingPackets: packets },
      'slow consumer disconnected',
    );
    const raw = connOf(socket).transport?.socket;
    // Discarding closes at once, without waiting for a buffer the client will never read to drain.
    socket.conn.close(true);
    raw?.terminate?.();
    onDisconnect();
  }

  io.on('connection', (socket) => {
    const conn = connOf(socket);
    engineQueued.set(conn, 0);
    let checkQueued = false;
    conn.on('packetCreate', (packet) => {
      engineQueued.set(conn, (engineQueued.get(conn) ?? 0) + packetBytes(packet));
      if (checkQueued) return;
      checkQueued = true;
      // After the current emit (a broadcast may be looping over sockets): closing inside it would re-enter it.
      queueMicrotask(() => {
        checkQueued = false;
        drop(socket);
      });
    });
    conn.on('flush', () => engineQueued.set(conn, 0));
  });

  // The websocket's own buffer can still grow after its packets left engine.io's.
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) drop(socket);
  }, limits.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
