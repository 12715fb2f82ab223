/**
 * Every error the API answers, with its status and `detail`. REST returns `{detail, code}` with the status;
 * socket acks return `{ ok: false, error: { status, code, detail } }`: the same code on both, to branch on.
 * The texts of the original Phresh API are kept word for word.
 */
export const ERROR_CODES = {
  /** No usable `Authorization: Bearer` header (REST) or no `auth.token` (socket handshake). */
  NOT_AUTHENTICATED: { status: 401, detail: 'Not authenticated' },
  /** The token's signature, audience, expiry or claims are wrong. */
  INVALID_TOKEN: { status: 401, detail: 'Could not validate token credentials.' },
  /** The token is valid but names no existing user. */
  NO_AUTHENTICATED_USER: { status: 401, detail: 'No authenticated user.' },
  /** The account was deactivated. */
  INACTIVE_USER: { status: 401, detail: 'Not an active user.' },
  /** Wrong email or password at login. */
  LOGIN_FAILED: { status: 401, detail: 'Authentication was unsuccessful.' },
  EMAIL_TAKEN: {
    status: 400,
    detail: 'That email is already taken. Login with that email or register with another one.',
  },
  USERNAME_TAKEN: { status: 400, detail: 'That username is already taken. Please try another one.' },
  PROFILE_NOT_FOUND: { status: 404, detail: 'No profile found with that username.' },
  CLEANING_NOT_FOUND: { status: 404, detail: 'No cleaning found with that id.' },
  CLEANING_FORBIDDEN: {
    status: 403,
    detail: 'Action forbidden. Users are only able to modify cleanings they own.',
  },
  CLEANING_TYPE_NULL: { status: 400, detail: 'Invalid cleaning type. Cannot be None.' },
  OWN_CLEANING_OFFER: {
    status: 400,
    detail: 'Users are unable to create offers for cleaning jobs they own.',
  },
  DUPLICATE_OFFER: {
    status: 400,
    detail: "Users aren't allowed create more than one offer for a cleaning job.",
  },
  OFFERS_FORBIDDEN: { status: 403, detail: 'Unable to access offers.' },
  OFFER_FORBIDDEN: { status: 403, detail: 'Unable to access offer.' },
  USER_NOT_FOUND: { status: 404, detail: 'No user found with that username.' },
  OFFER_NOT_FOUND: { status: 404, detail: 'Offer not found.' },
  ACCEPT_FORBIDDEN: { status: 403, detail: 'Only the owner of the cleaning may accept offers.' },
  OFFER_NOT_PENDING: { status: 400, detail: 'Can only accept offers that are currently pending.' },
  ALREADY_ACCEPTED: { status: 400, detail: 'That cleaning job already has an accepted offer.' },
  OFFER_NOT_ACCEPTED: { status: 400, detail: 'Can only cancel offers that have been accepted.' },
  RESCIND_NOT_PENDING: { status: 400, detail: 'Can only rescind currently pending offers.' },
  /** Someone other than the cleaning's owner tried to evaluate; answered before any user or offer lookup. */
  EVALUATION_FORBIDDEN: {
    status: 403,
    detail: 'Users are unable to leave evaluations for cleaning jobs they do not own.',
  },
  /** The evaluated user's offer is not the accepted one (a second evaluation lands here too). */
  EVALUATION_NOT_ACCEPTED: { status: 400, detail: 'Only users with accepted offers can be evaluated.' },
  EVALUATION_NOT_FOUND: { status: 404, detail: 'No evaluation found for that cleaning.' },
  /** The cleaning was completed: its offers can no longer be made, accepted, cancelled or rescinded. */
  CLEANING_COMPLETED: {
    status: 400,
    detail: 'That cleaning job has been completed; its offers can no longer change.',
  },
  /** A completed cleaning is the record of its cleaner's evaluation: it cannot be edited or deleted. */
  COMPLETED_CLEANING_LOCKED: {
    status: 400,
    detail: 'A completed cleaning job cannot be edited or deleted.',
  },
  /** The caller neither owns the cleaning nor has an offer on it. */
  EVENTS_FORBIDDEN: { status: 403, detail: 'Unable to access events.' },
  /** Only superusers may change another account. */
  ADMIN_ONLY: { status: 403, detail: 'Only administrators may do that.' },
  /** Input failed its schema; `detail` lists the problems. */
  VALIDATION_FAILED: { status: 422, detail: 'Validation failed.' },
  MALFORMED_BODY: { status: 400, detail: 'There was an error parsing the body' },
  /** The request itself could not be read: a broken compression, header line, path escape or method. */
  BAD_REQUEST: { status: 400, detail: 'Bad Request' },
  PAYLOAD_TOO_LARGE: { status: 413, detail: 'Request body is too large.' },
  /** The request line and headers exceed the server's limit (Node's 16 kB); nothing was read. */
  HEADERS_TOO_LARGE: { status: 431, detail: 'Request header fields too large.' },
  /** The client took too long to send its request. */
  REQUEST_TIMEOUT: { status: 408, detail: 'Request timeout.' },
  ROUTE_NOT_FOUND: { status: 404, detail: 'Not Found' },
  METHOD_NOT_ALLOWED: { status: 405, detail: 'Method Not Allowed' },
  /** Too many attempts; the `Retry-After` header (REST) says when to try again. */
  RATE_LIMITED: { status: 429, detail: 'Too many requests. Try again later.' },
  /** The account already has as many live sockets on this node as it may (`SOCKETS_PER_ACCOUNT`). */
  TOO_MANY_SOCKETS: {
    status: 429,
    detail: 'Too many open connections for this account. Close one and try again.',
  },
  /**
   * A replay (`cleaning:subscribe`, `offers:sync`) asked for while the socket has not read the answers and pushes
   * already sent to it; read them, then ask again.
   */
  UNREAD_ANSWERS: { status: 429, detail: 'Read the answers already sent before asking for more.' },
  /**
   * Another command holds what this one must change, longer than the lock wait allows (a stalled node, say);
   * nothing was changed. `Retry-After` (REST) says when to try again.
   */
  LOCK_TIMEOUT: {
    status: 503,
    detail: 'Someone else is changing this right now. Please try again shortly.',
  },
  /** The database is unreachable; retry shortly. */
  SERVICE_UNAVAILABLE: {
    status: 503,
    detail: 'The service is temporarily unavailable. Please try again shortly.',
  },
  /** Web Push is off on this server (a PostgreSQL deployment without VAPID keys). */
  PUSH_DISABLED: {
    status: 503,
    detail: 'Push notifications are off on this server: it has no VAPID keys.',
  },
  /** The caller already holds the most push subscriptions a user may (one per browser or device). */
  PUSH_SUBSCRIPTION_LIMIT: {
    status: 400,
    detail: 'A user may hold at most 10 push subscriptions. Unsubscribe another browser first.',
  },
  /** The caller holds no push subscription with that endpoint (another user's counts as none). */
  PUSH_SUBSCRIPTION_NOT_FOUND: { status: 404, detail: 'No push subscription found with that endpoint.' },
  /** Something unexpected; details are in the server log, never in the answer. */
  INTERNAL: { status: 500, detail: 'Internal Server Error' },
} as const satisfies Record<string, { status: number; detail: string }>;

/** A stable error code clients can branch on. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code, for the contract's enums. */
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/**
 * The refusals of a request or handshake that needs a signed-in user: no token, a bad token, a token naming no
 * user, a deactivated account. Every `auth: true` route may answer them, and so may the socket handshake.
 */
export const AUTHENTICATION_ERRORS = [
  'NOT_AUTHENTICATED',
  'INVALID_TOKEN',
  'NO_AUTHENTICATED_USER',
  'INACTIVE_USER',
] as const satisfies readonly ErrorCode[];

/** The REST body of `code` with its catalogue `detail`, for answers written below Express. */
export function catalogueErrorBody(code: ErrorCode): { detail: string; code: ErrorCode } {
  return { detail: ERROR_CODES[code].detail, code };
}
