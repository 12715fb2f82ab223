import type { Em, Orm } from '../db/orm.ts';
import { deleteNoticesOlderThan } from '../db/queries/event-log.ts';
import type { Logger } from '../logger.ts';

/** Rows deleted per statement, so that pruning a long backlog never holds one long transaction. */
const PRUNE_BATCH = 5_000;

/** How often a node prunes: a tenth of the retention, between 1 s and 10 min. */
export function pruneIntervalMs(retentionSeconds: number): number {
  return Math.min(10 * 60_000, Math.max(1_000, (retentionSeconds * 1000) / 10));
}

/**
 * Notices are read only by a node catching up after its listener was deaf (clients reload the job board's
 * first page instead of replaying notices), so once no node can still need them they are deleted. Every node
 * prunes; the deletes are idempotent, so several nodes doing it at once only repeat work.
 */
export function startNoticePruning(options: { orm: Orm; logger: Logger; retentionSeconds: number }): {
  stop(): Promise<void>;
} {
  const { orm, logger, retentionSeconds } = options;
  let stopped = false;
  let running: Promise<void> | undefined;

  const pruneOnce = async () => {
    let deleted = 0;
    for (;;) {
      const count = await deleteNoticesOlderThan(orm.em.fork() as Em, retentionSeconds, PRUNE_BATCH);
      deleted += count;
      if (count < PRUNE_BATCH || stopped) break;
    }
    if (deleted > 0) logger.info({ deleted }, 'pruned old notices');
  };

  const tick = () => {
    running = pruneOnce()
      .catch((error: unknown) => logger.warn({ err: error }, 'notice pruning failed; it runs again later'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, pruneIntervalMs(retentionSeconds));
  timer.unref();
  tick();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
