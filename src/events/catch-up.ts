import type { Logger } from '../logger.ts';
import type { Announcement } from './channel.ts';

// A catch-up looks this far back before the outage, to cover announcements in flight when it began.
const CATCH_UP_MARGIN_MS = 10_000;

/**
 * After the listener was deaf, reads from the log what it may have missed, then lets the live announcements
 * heard meanwhile through. They must wait: one processed first for a cleaning this node had not pushed yet
 * would become its starting point, and the missed events before it would be dropped as already pushed.
 */
export type CatchUp = {
  /** Keeps `announcement` for later if a catch-up runs; false if it may be processed now. */
  keep(announcement: Announcement): boolean;
  /** Whether announcements heard now are kept for later. */
  holding(): boolean;
  reconnected(downSince: Date): void;
  /** Resolves when no catch-up runs. */
  settled(): Promise<void>;
};

export function createCatchUp(deps: {
  /** Queues every event and notice recorded since `from`, in order; answers how many. */
  readMissed(from: Date): Promise<number>;
  /** Queues the announcements heard during the catch-up, in the order heard. */
  resume(live: Announcement[]): void;
  logger: Logger;
  stopped: AbortSignal;
}): CatchUp {
  let heldLive: Announcement[] | undefined;
  let catchUpFrom: Date | undefined;
  let running: Promise<void> | undefined;

  async function run() {
    // Another reconnect during a read asks for one more read from its own start.
    while (catchUpFrom) {
      const from = new Date(catchUpFrom.getTime() - CATCH_UP_MARGIN_MS);
      catchUpFrom = undefined;
      const count = await deps.readMissed(from);
      deps.logger.info({ events: count }, 'event relay caught up after reconnect');
    }
  }

  return {
    keep(announcement) {
      if (!heldLive) return false;
      heldLive.push(announcement);
      return true;
    },
    holding: () => heldLive !== undefined,
    reconnected(downSince) {
      heldLive ??= [];
      if (!catchUpFrom || downSince < catchUpFrom) catchUpFrom = downSince;
      running ??= run()
        .catch((err: unknown) => {
          if (!deps.stopped.aborted) deps.logger.error({ err }, 'event log catch-up failed');
        })
        .finally(() => {
          running = undefined;
          const live = heldLive ?? [];
          heldLive = undefined;
          if (!deps.stopped.aborted) deps.resume(live);
        });
    },
    settled: () => running ?? Promise.resolve(),
  };
}
