import type { OfferEventType } from '../contract/schemas.ts';

/**
 * Who is told of an offer event by a notification: the events someone else caused, about what the recipient may
 * read. The cleaner hears what the owner did to their offer (or, for `pending`, what the accepted cleaner's
 * cancel did to it); the owner hears what cleaners did on their cleaning. By these rules the recipient is never
 * the one who acted: an owner cannot offer on their own cleaning.
 */
export const PUSH_RECIPIENT = {
  created: 'owner',
  rescinded: 'owner',
  cancelled: 'owner',
  accepted: 'offerer',
  rejected: 'offerer',
  pending: 'offerer',
  completed: 'offerer',
} as const satisfies Record<OfferEventType, 'owner' | 'offerer'>;

const typesFor = (who: 'owner' | 'offerer') =>
  Object.entries(PUSH_RECIPIENT)
    .filter(([, to]) => to === who)
    .map(([type]) => type);

/** The event types whose notification goes to the cleaning's owner, as a PostgreSQL array literal. */
export const OWNER_NOTIFIED_TYPES = `{${typesFor('owner').join(',')}}`;
/** The event types whose notification goes to the offer's cleaner, as a PostgreSQL array literal. */
export const OFFERER_NOTIFIED_TYPES = `{${typesFor('offerer').join(',')}}`;
