import { FEED_ROOM, roomForCleaning, roomForUser } from '../realtime/rooms.ts';
import type { IoServer } from '../realtime/socket-types.ts';
import { cleaningPublic } from '../domain/public-views.ts';
import type { Notice } from './notices.ts';

/**
 * Pushes a notice to this node's sockets that must hear it (every node does the same for its own). The job
 * board gets public cleaning data only, never offer details.
 */
export function pushNotice(io: IoServer, notice: Notice): void {
  switch (notice.type) {
    case 'cleaning:created':
    case 'cleaning:updated':
    case 'cleaning:assigned':
    case 'cleaning:reopened':
    case 'cleaning:completed':
      // socket.io encodes a packet before it looks for the room's sockets: none here, nothing to build.
      if (io.of('/').adapter.rooms.has(FEED_ROOM))
        io.local.to(FEED_ROOM).emit(notice.type, cleaningPublic(notice.cleaning, notice.standing));
      return;
    case 'cleaning:deleted':
      io.local
        .to([
          FEED_ROOM,
          roomForCleaning(notice.cleaningId),
          roomForUser(notice.ownerId),
          ...notice.offererIds.map(roomForUser),
        ])
        .emit('cleaning:deleted', { cleaning_id: notice.cleaningId });
      return;
    case 'session:closed':
      io.local.to(roomForUser(notice.userId)).emit('session:expired', { detail: 'Not an active user.' });
      io.local.in(roomForUser(notice.userId)).disconnectSockets(true);
      return;
  }
}
