import type { CleaningColumns, CleaningStanding } from '../db/queries/cleanings.ts';

/**
 * A change that is not an offer's but must still reach sockets: the job board's, and an account's closing.
 * Appended in the change's own transaction like offer events, and delivered by the same relay.
 */
export type Notice =
  | {
      type:
        | 'cleaning:created'
        | 'cleaning:updated'
        | 'cleaning:assigned'
        | 'cleaning:reopened'
        | 'cleaning:completed';
      /** The cleaning's columns and standing after the change; pushed through the one `CleaningPublic` mapper. */
      cleaning: CleaningColumns;
      standing: CleaningStanding;
    }
  | { type: 'cleaning:deleted'; cleaningId: number; ownerId: number; offererIds: number[] }
  | { type: 'session:closed'; userId: number };

/** The kinds of notice, as the log's `type` column holds them. */
export const NOTICE_TYPES = [
  'cleaning:created',
  'cleaning:updated',
  'cleaning:assigned',
  'cleaning:reopened',
  'cleaning:completed',
  'cleaning:deleted',
  'session:closed',
] as const satisfies readonly Notice['type'][];

/** A notice as the log holds it: its id lets a node that reads it twice (live, then in a catch-up) push it once. */
export type LoggedNotice = { id: string; notice: Notice };

/** The cleaning a notice is about, if any: its pushes are ordered with that cleaning's offer events. */
export function noticeCleaningId(notice: Notice): number | undefined {
  switch (notice.type) {
    case 'session:closed':
      return undefined;
    case 'cleaning:deleted':
      return notice.cleaningId;
    default:
      return notice.cleaning.id;
  }
}
