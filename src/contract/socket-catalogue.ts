/**
 * What each socket event does, answers and may refuse, as data: the AsyncAPI document is generated from it and
 * from the schemas the server validates with. Keyed by the event maps of socket-events.ts, so that adding an
 * event without describing it breaks compilation.
 */
import type { z } from 'zod';
import { AUTHENTICATION_ERRORS, type ErrorCode } from './error-codes.ts';
import {
  cleaningDeletedSchema,
  cleaningPublicSchema,
  cleaningSnapshotSchema,
  evaluationPublicSchema,
  eventsSinceSchema,
  offerEventSchema,
  offerPublicSchema,
  offersSyncResultSchema,
  sessionExpiredSchema,
} from './schemas.ts';
import type { ClientToServerEvents, ServerToClientEvents } from './socket-events.ts';

/** A command as documented: what it does, the `data` of a successful ack, and the codes it may answer. */
export type CommandDoc = {
  summary: string;
  description?: string;
  /** The `data` of `{ok: true, data}` (one of several shapes, for a list); `null` when it answers just success. */
  result: z.ZodType | readonly z.ZodType[] | null;
  /** Refusals particular to the command (every command may also answer the codes in `EVERY_COMMAND_ERRORS`). */
  errors: ErrorCode[];
};

/** A push as documented: when it is sent, to whom, and its payload. */
export type PushDoc = { summary: string; description?: string; payload: z.ZodType };

/** Codes any command may answer: a malformed payload, too many commands, a node shutting down, a bug. */
export const EVERY_COMMAND_ERRORS: ErrorCode[] = [
  'VALIDATION_FAILED',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
];

/** Codes a refused handshake carries in `connect_error`'s `data` (`{status, code, detail}`). */
export const HANDSHAKE_ERRORS: ErrorCode[] = [...AUTHENTICATION_ERRORS];

export const SOCKET_COMMANDS: { [K in keyof ClientToServerEvents]: CommandDoc } = {
  'offer:create': {
    summary: 'Offer to do a cleaning (REST O1)',
    result: offerPublicSchema,
    errors: ['CLEANING_NOT_FOUND', 'OWN_CLEANING_OFFER', 'CLEANING_COMPLETED', 'DUPLICATE_OFFER'],
  },
  'offer:accept': {
    summary: 'Accept a pending offer on your cleaning (REST O4)',
    description: 'Every other pending offer of the cleaning is rejected in the same transaction.',
    result: offerPublicSchema,
    errors: [
      'CLEANING_NOT_FOUND',
      'ACCEPT_FORBIDDEN',
      'USER_NOT_FOUND',
      'OFFER_NOT_FOUND',
      'CLEANING_COMPLETED',
      'OFFER_NOT_PENDING',
      'ALREADY_ACCEPTED',
    ],
  },
  'offer:cancel': {
    summary: 'Cancel your accepted offer (REST O5)',
    description: 'The offers that were rejected when it was accepted go back to pending.',
    result: offerPublicSchema,
    errors: ['CLEANING_NOT_FOUND', 'OFFER_NOT_FOUND', 'CLEANING_COMPLETED', 'OFFER_NOT_ACCEPTED'],
  },
  'offer:rescind': {
    summary: 'Withdraw your pending offer (REST O6)',
    result: null,
    errors: ['CLEANING_NOT_FOUND', 'OFFER_NOT_FOUND', 'CLEANING_COMPLETED', 'RESCIND_NOT_PENDING'],
  },
  'evaluation:create': {
    summary: 'Mark your cleaning done by evaluating its accepted cleaner (REST E1)',
    description:
      'In one transaction the evaluation is stored, the cleaner’s offer becomes `completed` and offers still ' +
      'pending are rejected; the `completed` event carries the evaluation. The evaluation is checked after ' +
      'the permission checks, as in REST.',
    result: evaluationPublicSchema,
    errors: [
      'CLEANING_NOT_FOUND',
      'EVALUATION_FORBIDDEN',
      'USER_NOT_FOUND',
      'OFFER_NOT_FOUND',
      'EVALUATION_NOT_ACCEPTED',
    ],
  },
  'cleaning:subscribe': {
    summary: "Receive a cleaning's `offer:event`s and load it",
    description:
      'For owners (offerers get their own offer’s events anyway). Without `since`, answers a snapshot; with it, ' +
      'the events after `since` (at most 5000; `more: true` comes with `next_since`, where to ask again). The pushes ' +
      'that follow continue exactly after what the answer covered: nothing is missed, nothing arrives twice.',
    result: [cleaningSnapshotSchema, eventsSinceSchema],
    errors: ['CLEANING_NOT_FOUND', 'EVENTS_FORBIDDEN'],
  },
  'cleaning:unsubscribe': {
    summary: "Stop receiving a cleaning's events (your own offer's events keep coming)",
    result: null,
    errors: [],
  },
  'offers:sync': {
    summary: 'Catch up on many cleanings at once',
    description:
      'Everything visible after each cursor, grouped by cleaning, in seq order (at most 5000 events; `more` ' +
      'comes with `next_cursors`, what to send next). Cursors of cleanings that are gone or unreadable are left ' +
      'out. On a connection opened with `auth.sync_first`, no `offer:event` is pushed before the first answer.',
    result: offersSyncResultSchema,
    errors: [],
  },
  'feed:subscribe': {
    summary: "Receive the job board's `cleaning:*` pushes",
    result: null,
    errors: [],
  },
  'feed:unsubscribe': {
    summary: "Stop receiving the job board's pushes",
    result: null,
    errors: [],
  },
};

export const SOCKET_PUSHES: { [K in keyof ServerToClientEvents]: PushDoc } = {
  'offer:event': {
    summary: 'A committed change of an offer',
    description:
      'To every socket of the offer’s user, and to the owner’s sockets subscribed to the cleaning; to nobody ' +
      'else. Per cleaning, `seq` only increases on a connection.',
    payload: offerEventSchema,
  },
  'cleaning:created': {
    summary: 'Job board (after `feed:subscribe`): a cleaning was posted',
    payload: cleaningPublicSchema,
  },
  'cleaning:updated': { summary: "Job board: a cleaning's details changed", payload: cleaningPublicSchema },
  'cleaning:deleted': {
    summary: 'A cleaning was deleted',
    description: 'To the job board, its subscribed owner, and everyone who had an offer on it.',
    payload: cleaningDeletedSchema,
  },
  'cleaning:assigned': {
    summary: 'Job board: an offer on the cleaning was accepted',
    payload: cleaningPublicSchema,
  },
  'cleaning:reopened': {
    summary: 'Job board: the accepted cleaner cancelled; the cleaning takes offers again',
    payload: cleaningPublicSchema,
  },
  'cleaning:completed': {
    summary: 'Job board: the owner evaluated the accepted cleaner; the job is done and takes no more offers',
    payload: cleaningPublicSchema,
  },
  'session:expired': {
    summary: "The connection's token expired or the account was deactivated",
    description: 'The server disconnects the socket right after.',
    payload: sessionExpiredSchema,
  },
};
