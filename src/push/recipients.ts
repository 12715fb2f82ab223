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

/** The user an offer event's notification is for: the cleaning's owner, or the cleaner whose offer it is. */
export function pushRecipient(type: OfferEventType, event: { ownerId: number; offererId: number }): number {
  return PUSH_RECIPIENT[type] === 'owner' ? event.ownerId : event.offererId;
}
