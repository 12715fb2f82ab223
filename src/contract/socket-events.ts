/**
 * The socket.io contract, shared by the server and the SDK: renaming an event breaks compilation on both sides.
 * Commands are `resource:verb`, take one payload object and an ack callback, and answer
 * `{ ok: true, data }` or `{ ok: false, error: { status, code, detail } }` with REST's statuses and texts.
 */
import type { ErrorCode } from './error-codes.ts';
import type { z } from 'zod';
import type {
  acceptOfferPayload,
  cleaningRef,
  CleaningPublic,
  emptyPayload,
  EvaluationCreateInput,
  EvaluationPublic,
  OfferEventPublic,
  offersSyncPayload,
  OfferPublic,
  subscribePayload,
  ValidationIssue,
} from './schemas.ts';

/** The error half of an ack: the same status and `detail` as REST, plus a stable `code`. */
export type AckError = {
  status: number;
  code: ErrorCode | 'UNKNOWN_COMMAND';
  detail: string | ValidationIssue[];
};

/** Every command's answer. */
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: AckError };

export type Ack<T> = (response: AckResponse<T>) => void;

/** `cleaning:subscribe` without `since`: the cleaning, the offers the caller may see, and the seq they reflect. */
export type CleaningSnapshot = { cleaning: CleaningPublic; offers: OfferPublic[]; seq: number };

/** `cleaning:subscribe` with `since`: the visible events after it, in order; `more` means call again from the last. */
export type EventsSince = {
  events: OfferEventPublic[];
  seq: number;
  more: boolean;
  /** With `more`: ask again with `since: next_since`; the cleaning's pushes wait until the replay is complete. */
  next_since?: number;
};

/** `offers:sync`: the visible events after each cursor, in seq order per cleaning. */
export type OffersSyncResult = {
  events: OfferEventPublic[];
  more: boolean;
  /** With `more`: the cursors to send next; pushes of those cleanings wait until they are read in full. */
  next_cursors?: Record<string, number>;
};

// Each command's payload type is its zod schema's input: written once, checked by the server with that schema.
type CleaningRef = z.input<typeof cleaningRef>;
type EmptyPayload = z.input<typeof emptyPayload>;

export interface ClientToServerEvents {
  /** Offer to do a cleaning (REST O1). */
  'offer:create': (payload: CleaningRef, ack: Ack<OfferPublic>) => void;
  /** Accept a pending offer on your cleaning (REST O4); every other pending offer is rejected. */
  'offer:accept': (payload: z.input<typeof acceptOfferPayload>, ack: Ack<OfferPublic>) => void;
  /** Cancel your accepted offer (REST O5); rejected offers go back to pending. */
  'offer:cancel': (payload: CleaningRef, ack: Ack<OfferPublic>) => void;
  /** Withdraw your pending offer (REST O6). */
  'offer:rescind': (payload: CleaningRef, ack: Ack<null>) => void;
  /**
   * Mark your cleaning done by evaluating its accepted cleaner (REST E1): their offer becomes `completed`,
   * and a `completed` event carrying the evaluation goes to them and to you.
   */
  'evaluation:create': (
    payload: { cleaning_id: number; username: string; evaluation: EvaluationCreateInput },
    ack: Ack<EvaluationPublic>,
  ) => void;
  /**
   * Start receiving a cleaning's `offer:event`s (owners; offerers already get their own) and load it:
   * a snapshot without `since`, the missed events with it. Pushes that follow continue exactly after it.
   */
  'cleaning:subscribe': (
    payload: z.input<typeof subscribePayload>,
    ack: Ack<CleaningSnapshot | EventsSince>,
  ) => void;
  /** Stop receiving a cleaning's events (your own offer's events keep coming). */
  'cleaning:unsubscribe': (payload: CleaningRef, ack: Ack<null>) => void;
  /** Catch up on many cleanings at once: everything visible after each cursor (`{"<cleaning_id>": seq}`). */
  'offers:sync': (payload: z.input<typeof offersSyncPayload>, ack: Ack<OffersSyncResult>) => void;
  /** Receive the job board's `cleaning:*` pushes. */
  'feed:subscribe': (payload: EmptyPayload, ack: Ack<null>) => void;
  'feed:unsubscribe': (payload: EmptyPayload, ack: Ack<null>) => void;
}

export interface ServerToClientEvents {
  /**
   * A committed change of an offer: to every socket of the offer's user, and to the owner's sockets that
   * subscribed to the cleaning. Per cleaning, seq only increases on a connection.
   */
  'offer:event': (event: OfferEventPublic) => void;
  /** Job board (after `feed:subscribe`): a cleaning was posted. */
  'cleaning:created': (cleaning: CleaningPublic) => void;
  /** Job board: a cleaning's details changed. */
  'cleaning:updated': (cleaning: CleaningPublic) => void;
  /** A cleaning was deleted: to the job board, its subscribed owner, and everyone who had an offer on it. */
  'cleaning:deleted': (payload: { cleaning_id: number }) => void;
  /** Job board: an offer on the cleaning was accepted. */
  'cleaning:assigned': (cleaning: CleaningPublic) => void;
  /** Job board: the accepted cleaner cancelled; the cleaning takes offers again. */
  'cleaning:reopened': (cleaning: CleaningPublic) => void;
  /** Job board: the owner evaluated the accepted cleaner; the job is done and takes no more offers. */
  'cleaning:completed': (cleaning: CleaningPublic) => void;
  /** The connection's token expired or the account was deactivated; the server disconnects right after. */
  'session:expired': (payload: { detail: string }) => void;
}

/** Empty: the server does not talk to itself over socket.io. */
export type InterServerEvents = Record<string, never>;

/** What the server keeps on each authenticated socket. */
export type SocketData = {
  userId: number;
  username: string;
  /** When the handshake token expires (ms since epoch). */
  expiresAt: number;
};

/** Most cursors one `offers:sync` takes; a client with more splits them over several calls. */
export const MAX_SYNC_CURSORS = 500;

/** Names of every command, for routing and for refusing unknown ones. */
/** A command's name, payload and ack data, as the contract declares them. */
export type CommandName = keyof ClientToServerEvents;
export type CommandPayload<N extends CommandName> = Parameters<ClientToServerEvents[N]>[0];
export type CommandData<N extends CommandName> =
  Parameters<ClientToServerEvents[N]>[1] extends Ack<infer T> ? T : never;

export const COMMAND_NAMES = [
  'offer:create',
  'offer:accept',
  'offer:cancel',
  'offer:rescind',
  'evaluation:create',
  'cleaning:subscribe',
  'cleaning:unsubscribe',
  'offers:sync',
  'feed:subscribe',
  'feed:unsubscribe',
] as const satisfies readonly (keyof ClientToServerEvents)[];

/** What `connect_error` carries when the handshake is refused: REST's status, code and text. */
export type HandshakeErrorData = { status: number; code: ErrorCode; detail: string };
