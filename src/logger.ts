import { pino, type Logger, type DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** Keys whose values never reach the log, at the top of a logged object or one level down. */
const SECRET_KEYS = ['password', 'token', 'access_token', 'authorization', 'secretKey'];
/**
 * Exact paths for pino's redaction. The one-level-down case is `withoutSecrets`: pino's wildcard paths
 * (`*.password`) cost about three times a whole access-log line.
 */
const REDACTED = [...SECRET_KEYS, 'req.headers.authorization', 'req.headers.cookie', 'auth.token'];
const CENSOR = '[redacted]';

/** An object with its secret-named properties censored (a copy, only if it has any); anything else as it is. */
function withoutSecrets(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of SECRET_KEYS) {
    if ((value as Record<string, unknown>)[key] === undefined) continue;
    copy ??= { ...value };
    copy[key] = CENSOR;
  }
  return copy ?? value;
}

/** Error properties in which PostgreSQL (through MikroORM) quotes row values and query parameters. */
const ROW_DATA_KEYS = new Set(['detail', 'where', 'params', 'parameters', 'bindings']);
/** MikroORM appends PostgreSQL's `detail` to messages and stacks: "Failing row contains (…, <password hash>, …)". */
const ROW_DATA_IN_TEXT = /(\n - detail: )[^\n]*/g;

/** Error properties holding the failing statement, whose values MikroORM inlines (PGlite's errors carry it). */
const QUERY_KEYS = new Set(['query', 'sql']);
/** A quoted SQL literal (`''` is a quote inside one). */
const SQL_LITERAL = /'(?:[^']|'')*'/g;

/** A JWT anywhere in a logged text (a token put in a URL, say): three base64url parts, the first `{"…`. */
const JWT_IN_TEXT = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;

function masked(text: string): string {
  return text.replace(ROW_DATA_IN_TEXT, '$1[redacted]').replace(JWT_IN_TEXT, '[redacted token]');
}

function withoutRowData(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return masked(value);
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutRowData(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      ROW_DATA_KEYS.has(k) && v !== undefined
        ? '[redacted]'
        : QUERY_KEYS.has(k) && typeof v === 'string'
          ? v.replace(SQL_LITERAL, "'[redacted]'")
          : withoutRowData(v, depth + 1),
    ]),
  );
}

/**
 * Errors keep their type, message and stack, but never the rows or parameters a database error quotes:
 * those may hold password hashes, emails or anything else a user sent.
 */
function serializeError(err: unknown): unknown {
  return withoutSecrets(withoutRowData(err instanceof Error ? pino.stdSerializers.err(err) : err));
}

/** `json`: one JSON object per line, for log shippers; `pretty`: short coloured lines, for a person. */
export type LogFormat = 'json' | 'pretty';

/** Log lines for a person at a terminal: time, level and message; the fields only where they add something. */
function prettyStream(): DestinationStream {
  return PinoPretty({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss',
    // The start-up line says all of these in its message already.
    ignore: 'pid,hostname,url,nodeId,runtime,database,redis,metrics',
    singleLine: true,
    sync: true,
  });
}

/**
 * stdout, written synchronously as the pretty stream is (and as Node writes stdout to files and pipes on Linux):
 * every request logs a line, and pino's default asynchronous stream handed each one to a libuv worker thread,
 * which cost more than the write itself. A line is with the OS once logged, even if the process dies next.
 */
function jsonStream(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

/** Structured logs on stdout (or `destination`, for tests that read them): JSON, or readable lines. */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED, censor: CENSOR },
      serializers: { err: serializeError },
      formatters: {
        // `err` is left to its serializer, which censors its copy. A line with nothing to censor (every access-log
        // line) is passed on as it is, without a copy.
        log: (entry) => {
          let censored: Record<string, unknown> | undefined;
          for (const [k, v] of Object.entries(entry)) {
            const safe = typeof v === 'string' ? masked(v) : k === 'err' ? v : withoutSecrets(v);
            if (safe !== v) (censored ??= { ...entry })[k] = safe;
          }
          return censored ?? entry;
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? (format === 'pretty' ? prettyStream() : jsonStream()),
  );
}

export type { Logger };
