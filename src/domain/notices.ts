import type { CleaningPublic } from '../contract/schemas.ts';

/**
 * Things that happened, announced after commit to whoever is listening (the job board, open sessions).
 * Offer status changes are not here: they travel through the durable offer log instead.
 */
export type DomainNotice =
  | { type: 'cleaning:created'; cleaning: CleaningPublic }
  | { type: 'cleaning:updated'; cleaning: CleaningPublic }
  | { type: 'cleaning:deleted'; cleaningId: number; ownerId: number; offererIds: number[] }
  | { type: 'cleaning:assigned'; cleaning: CleaningPublic }
  | { type: 'cleaning:reopened'; cleaning: CleaningPublic }
  | { type: 'cleaning:completed'; cleaning: CleaningPublic }
  | { type: 'user:deactivated'; userId: number };

/** A sink that drops everything; for scripts that run use cases without a live layer. */
export const discardNotices = { publish() {} };
