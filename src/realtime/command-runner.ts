import type { z } from 'zod';
import type { AckResponse, CommandData, CommandName, CommandPayload } from '../contract/socket-events.ts';
import { check } from '../contract/validation.ts';
import type { Em } from '../db/orm.ts';
import type { Actor, Deps } from '../domain/context.ts';
import { domainError, validationError, type DomainError } from '../domain/errors.ts';
import { reportError } from '../error-report.ts';
import type { Logger } from '../logger.ts';
import type { IoSocket } from './socket-types.ts';

/** What a socket command handler gets: its own unit of work, the caller, and the checked payload. */
export type CommandContext<P> = {
  deps: Deps;
  actor: Actor;
  socket: IoSocket;
  payload: P;
  /** Runs after the ack has been sent (even a failed one), e.g. to release held pushes in order. */
  afterAck(fn: () => void): void;
};

export type CommandRunner = {
  /**
   * Defines command `name` once for every socket: rate limit, parse, run in a fresh fork, ack, then after-ack
   * work. Commands live in one table, as REST routes do, rather than as listeners on each socket.
   */
  on<N extends CommandName>(
    name: N,
    schema: z.ZodType<CommandPayload<N>, CommandPayload<N>>,
    run: (ctx: CommandContext<CommandPayload<N>>) => Promise<CommandData<N>>,
  ): void;
  has(name: CommandName): boolean;
  /** Every command's payload schema, by name (for the AsyncAPI document). */
  schemas(): ReadonlyMap<string, z.ZodType>;
  /** Routes every event of `socket` through the table; an unknown one is answered 404 (if it has an ack). */
  attach(socket: IoSocket): void;
  /** Refuses new commands with 503 and waits (up to `ms`) for the ones in flight. */
  drain(ms: number): Promise<void>;
};

/** The ack a refused command answers (also the source of the AsyncAPI document's error examples). */
export function errorAck(error: DomainError): AckResponse<never> {
  return { ok: false, error: { status: error.status, code: error.code, detail: error.detail } };
}

function reply(ack: unknown, response: AckResponse<unknown>): void {
  if (typeof ack !== 'function') return;
  try {
    ack(response);
  } catch {
    // The client's socket may be gone; nothing to tell it.
  }
}

/** Splits socket.io's variadic arguments into (payload, ack): the ack is the last argument when it is a function. */
function splitArgs(args: unknown[]): { payload: unknown; ack: unknown } {
  const last = args.at(-1);
  const ack = typeof last === 'function' ? last : undefined;
  const payloadArgs = ack ? args.slice(0, -1) : args;
  return { payload: payloadArgs.length === 0 ? undefined : payloadArgs[0], ack };
}

export function createCommandRunner(options: {
  fork(): Em;
  depsFor(em: Em): Deps;
  logger: Logger;
  /** Told of every answered command: its name (`(unknown)` for others), `ok` or the error code, and seconds taken. */
  onAnswered?: (command: string, outcome: string, seconds: number) => void;
  commandsPerSecond: number;
}): CommandRunner {
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const buckets = new WeakMap<IoSocket, { tokens: number; at: number }>();

  // A token bucket per socket: bursts up to one second's worth, refilled continuously.
  function admit(socket: IoSocket): boolean {
    const now = Date.now();
    const capacity = options.commandsPerSecond;
    const bucket = buckets.get(socket) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * capacity);
    bucket.at = now;
    buckets.set(socket, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  type Handler = (socket: IoSocket, args: unknown[]) => Promise<void>;
  const table = new Map<string, Handler>();
  const schemas = new Map<string, z.ZodType>();

  function dispatch(this: IoSocket, event: string, ...args: unknown[]): void {
    const handler = table.get(event);
    if (handler) {
      void handler(this, args);
      return;
    }
    const { ack } = splitArgs(args);
    // Unknown names are not echoed into metrics labels: a client could make them unbounded.
    options.onAnswered?.('(unknown)', 'UNKNOWN_COMMAND', 0);
    reply(ack, { ok: false, error: { status: 404, code: 'UNKNOWN_COMMAND', detail: 'Unknown command.' } });
  }

  return {
    has: (name) => table.has(name),
    schemas: () => schemas,
    attach(socket) {
      // One shared listener per socket, called with the socket as `this`: no closures per socket and command.
      socket.onAny(dispatch);
    },
    on(name, schema, run) {
      schemas.set(name, schema);
      table.set(name, async (socket, args) => {
        const started = process.hrtime.bigint();
        const answer = (ack: unknown, response: AckResponse<unknown>) => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          options.onAnswered?.(name, response.ok ? 'ok' : response.error.code, seconds);
          reply(ack, response);
        };
        const { payload, ack } = splitArgs(args);
        if (!admit(socket)) return answer(ack, errorAck(domainError('RATE_LIMITED')));
        if (draining) return answer(ack, errorAck(domainError('SERVICE_UNAVAILABLE')));
        const checked = check(schema, payload, ['payload']);
        if (!checked.ok) return answer(ack, errorAck(validationError(checked.issues)));

        const after: (() => void)[] = [];
        inFlight++;
        try {
          const data = await run({
            deps: options.depsFor(options.fork()),
            actor: { id: socket.data.userId, username: socket.data.username },
            socket,
            payload: checked.value,
            afterAck: (fn) => after.push(fn),
          });
          answer(ack, { ok: true, data: data === undefined ? null : data });
        } catch (e) {
          const error = reportError(options.logger, e, { command: name, userId: socket.data.userId });
          answer(ack, errorAck(error));
        } finally {
          for (const fn of after) {
            try {
              fn();
            } catch (err) {
              options.logger.error({ err, command: name }, 'after-ack step failed');
            }
          }
          inFlight--;
          if (inFlight === 0) idle?.();
        }
      });
    },
    async drain(ms) {
      draining = true;
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
