import type { NoticeSink } from '../domain/context.ts';
import type { DomainNotice } from '../domain/notices.ts';
import { FEED_ROOM, roomForCleaning, roomForUser } from './rooms.ts';
import type { IoServer } from './socket-types.ts';

/**
 * Turns domain notices into pushes, across every node (through the adapter). The job board gets public
 * cleaning data only, never offer details.
 */
export function createNoticePublisher(io: IoServer): NoticeSink {
  return {
    publish(notice: DomainNotice) {
      switch (notice.type) {
        case 'cleaning:created':
        case 'cleaning:updated':
        case 'cleaning:assigned':
        case 'cleaning:reopened':
        case 'cleaning:completed':
          io.to(FEED_ROOM).emit(notice.type, notice.cleaning);
          return;
        case 'cleaning:deleted':
          io.to([
            FEED_ROOM,
            roomForCleaning(notice.cleaningId),
            roomForUser(notice.ownerId),
            ...notice.offererIds.map(roomForUser),
          ]).emit('cleaning:deleted', { cleaning_id: notice.cleaningId });
          return;
        case 'user:deactivated':
          io.to(roomForUser(notice.userId)).emit('session:expired', { detail: 'Not an active user.' });
          io.in(roomForUser(notice.userId)).disconnectSockets(true);
          return;
      }
    },
  };
}
