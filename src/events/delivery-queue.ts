import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';

// A read that failed (the database is restarting) is tried again after a pause that doubles up to the maximum.
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

/** Runs delivery tasks one after another per key (one cleaning, one user), each retried until it succeeds. */
export type DeliveryQueue = {
  push(key: string, task: () => Promise<void>): void;
  /** Whether a task of `key` is queued or running. */
  busy(key: string): boolean;
  /** Runs `read` until it succeeds or the queue stops. */
  retrying<T>(what: string, context: object, read: () => Promise<T>): Promise<T>;
  readonly stopped: AbortSignal;
  stop(): Promise<void>;
};

export function createDeliveryQueue(logger: Logger): DeliveryQueue {
  const queues = new Map<string, Promise<void>>();
  const stopping = new AbortController();

  // Dropping a task that failed is not an option: sockets already pushed a later event of the cleaning are
  // only resynced from the point of that push on.
  async function retrying<T>(what: string, context: object, read: () => Promise<T>): Promise<T> {
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        return await read();
      } catch (err) {
        if (stopping.signal.aborted) throw err;
        logger.warn({ err, ...context, retryInMs: delay }, `${what} failed; retrying`);
        await sleep(delay, undefined, { signal: stopping.signal });
      }
    }
  }

  return {
    push(key, task) {
      const previous = queues.get(key) ?? Promise.resolve();
      const next = previous
        .then(() => retrying('pushing events', { key }, task))
        .catch((err: unknown) => {
          if (!stopping.signal.aborted) logger.error({ err, key }, 'could not push events');
        })
        .finally(() => {
          if (queues.get(key) === next) queues.delete(key);
        });
      queues.set(key, next);
    },
    busy: (key) => queues.has(key),
    retrying,
    stopped: stopping.signal,
    async stop() {
      stopping.abort();
      await Promise.allSettled(queues.values());
    },
  };
}
