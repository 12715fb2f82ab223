import { ERROR_CODES, type ErrorCode } from '../../src/contract/error-codes.ts';
import type { ValidationIssue } from '../../src/contract/schemas.ts';
import type { AckError } from '../../src/contract/socket-events.ts';

/**
 * Codes a `PhreshError` may carry: the server's stable codes, plus four the client decides on its own:
 * `OFFLINE` (no connection, nothing was sent), `TIMEOUT` (no ack in time; the command may or may not have run),
 * `NETWORK` (a REST request never got an answer) and `HTTP_ERROR` (a REST error whose body carries no known
 * `code`, such as a proxy's error page).
 */
export type PhreshErrorCode = AckError['code'] | 'OFFLINE' | 'TIMEOUT' | 'NETWORK' | 'HTTP_ERROR';

/** Every failure the SDK reports: REST errors, refused acks, refused handshakes, timeouts. */
export class PhreshError extends Error {
  override name = 'PhreshError';
  /** The HTTP status the server answered with (the same for REST and socket commands); 0 when it never answered. */
  readonly status: number;
  /** A stable code to branch on. */
  readonly code: PhreshErrorCode;
  /** The server's `detail`: a sentence, or the list of validation problems (422). */
  readonly detail: string | ValidationIssue[];

  constructor(
    status: number,
    code: PhreshErrorCode,
    detail: string | ValidationIssue[],
    options?: ErrorOptions,
  ) {
    super(describeDetail(detail), options);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }

  /** The refusal of a socket command (`{ ok: false, error }`). */
  static fromAck(error: AckError): PhreshError {
    return new PhreshError(error.status, error.code, error.detail);
  }

  static offline(): PhreshError {
    return new PhreshError(0, 'OFFLINE', 'You are offline. Try again once the connection is back.');
  }

  static timeout(what: string, ms: number): PhreshError {
    return new PhreshError(0, 'TIMEOUT', `The server did not answer ${what} within ${ms / 1000} s.`);
  }
}

/** One line for a `detail`: the sentence itself, or "field: problem" for each validation issue. */
export function describeDetail(detail: string | ValidationIssue[]): string {
  if (typeof detail === 'string') return detail;
  return detail
    .map((issue) => {
      // `loc` starts with where the value was (body, payload, query) and the wrapper key; the field is last.
      const field = issue.loc.filter((part) => typeof part === 'string').at(-1);
      return field ? `${field}: ${issue.msg}` : issue.msg;
    })
    .join('; ');
}

/**
 * The code of a REST error body: the server's `code` when it is one the contract knows. A body without one
 * (a proxy's 502 page, say) is `HTTP_ERROR`.
 */
export function codeOfRestError(body: unknown): PhreshErrorCode {
  const code = (body as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : 'HTTP_ERROR';
}
