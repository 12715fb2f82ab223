import { pino, type Logger, type DestinationStream } from 'pino';

/** Keys whose values never reach the log, wherever they appear in a logged object. */
const REDACTED = [
  'password',
  'token',
  'access_token',
  'authorization',
  'secretKey',
  '*.password',
  '*.token',
  '*.access_token',
  '*.authorization',
  '*.secretKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'auth.token',
];

/** Structured JSON logs on stdout (or `destination`, for tests that read them). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
