// Every node runs one: it claims due rows of the push outbox and sends them beside the commands, never in their
// way. A claim moves the row's next attempt a few seconds ahead, so a node killed mid-send leaves a row that falls
// due again and is claimed by another node: at-least-once delivery, duplicates only after a crash.
import { randomUUID } from 'node:crypto';
import type { PushConfig, VapidKeys } from '../config.ts';
import type { OfferEventPublic, OfferEventType } from '../contract/schemas.ts';
import type { Em, Orm } from '../db/orm.ts';
import { offerEventPublic } from '../domain/public-views.ts';
import type { Logger } from '../logger.ts';
import { notificationPayload, notificationTopic, notificationUrgency } from './notification.ts';
import { createPushSender, SEND_TIMEOUT_MS, type PushAnswer, type PushSender } from './push-sender.ts';

/** A claim outlasts the longest send, then the row is due again for any node. */
export const CLAIM_SECONDS = Math.ceil(SEND_TIMEOUT_MS / 1000) + 2;
/** Due rows are looked for this often even when no commit announced any (retries, missed announcements). */
const POLL_MS = 1000;
/**
 * A wake claims at once if the last claim began at least this long ago, else this long after it; outcomes are
 * written likewise. At a high commit rate each statement then carries several notifications instead of one,
 * for at most this much more latency.
 */
export const BATCH_INTERVAL_MS = 20;
const MAX_BACKOFF_MS = 5 * 60_000;

type ClaimedRow = {
  id: string;
  subscription_id: string;
  cleaning_id: number;
  seq: string;
  created_at: Date | string;
  attempts: number;
  claim: string;
  recipient_id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  type: OfferEventType | null;
  user_id: number | null;
  /** The log's stored record of the offer (see src/events/stored-events.ts), not its wire shape. */
  offer: unknown;
  at: Date | string | null;
  cleaning_name: string | null;
  offerer_name: string | null;
};

/** What became of a claimed row; only the claim's holder may record it (a claim that ran out is someone else's). */
type Outcome =
  | { kind: 'done'; id: string; claim: string }
  | { kind: 'retry'; id: string; claim: string; at: string }
  | { kind: 'gone'; subscriptionId: string };

const pgArray = (values: string[]) => `{${values.map((v) => `"${v}"`).join(',')}}`;

/**
 * Writes outcomes in batches, one statement at a time: however many sends finish together, the dispatcher holds
 * at most one connection for them (and one for claiming), so the commands keep the rest of the pool.
 */
function createOutcomeWriter(fork: () => Em) {
  let queue: { outcome: Outcome; settle: (err?: unknown) => void }[] = [];
  let writing = false;
  let lastWriteAt = -Infinity;

  async function write(batch: Outcome[]) {
    const done = batch.filter((o) => o.kind === 'done');
    const retry = batch.filter((o) => o.kind === 'retry');
    const gone = batch.filter((o) => o.kind === 'gone');
    await fork().execute(
      `with done as (
         delete from push_outbox o using unnest(?::bigint[], ?::uuid[]) as d(id, claim)
          where o.id = d.id and o.claim = d.claim
       ), retried as (
         update push_outbox o set next_attempt_at = r.at, claim = null
           from unnest(?::bigint[], ?::uuid[], ?::timestamptz[]) as r(id, claim, at)
          where o.id = r.id and o.claim = r.claim
       ), gone as (
         delete from push_subscriptions where id = any(?::bigint[])
       )
       select 1`,
      [
        pgArray(done.map((o) => o.id)),
        pgArray(done.map((o) => o.claim)),
        pgArray(retry.map((o) => o.id)),
        pgArray(retry.map((o) => o.claim)),
        pgArray(retry.map((o) => o.at)),
        pgArray(gone.map((o) => o.subscriptionId)),
      ],
    );
  }

  async function drain() {
    writing = true;
    while (queue.length > 0) {
      const wait = lastWriteAt + BATCH_INTERVAL_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastWriteAt = performance.now();
      const batch = queue;
      queue = [];
      try {
        await write(batch.map((b) => b.outcome));
        for (const b of batch) b.settle();
      } catch (err) {
        for (const b of batch) b.settle(err);
      }
    }
    writing = false;
  }

  return {
    record(outcome: Outcome): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ outcome, settle: (err) => (err === undefined ? resolve() : reject(err)) });
        if (!writing) void drain();
      });
    },
  };
}

export type PushDispatcher = {
  start(): void;
  /** Due rows may be waiting (a commit announced some): claim them now. */
  wake(): void;
  /** Claims nothing more and waits for the sends in flight, at most `graceMs`. */
  stop(graceMs: number): Promise<void>;
};

export function createPushDispatcher(deps: {
  orm: Orm;
  config: PushConfig & { vapid: VapidKeys };
  logger: Logger;
  sender?: PushSender;
  /** Told of every notification a push service accepted, with how long after its event was recorded. */
  onDelivered?: (latencySeconds: number) => void;
}): PushDispatcher {
  const { orm, config } = deps;
  const logger = deps.logger.child({ component: 'push' });
  const sender = deps.sender ?? createPushSender(config.vapid, config);
  const fork = () => orm.em.fork() as Em;
  const inFlight = new Set<Promise<void>>();
  let claiming: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let poller: NodeJS.Timeout | undefined;
  /** A wake waiting for the claim interval. */
  let delayed: NodeJS.Timeout | undefined;
  let lastClaimAt = -Infinity;
  const timers = new Set<NodeJS.Timeout>();

  async function claimDue(limit: number): Promise<ClaimedRow[]> {
    return fork().execute<ClaimedRow[]>(
      `with due as (
         select id from push_outbox where next_attempt_at <= now()
          order by next_attempt_at limit ? for update skip locked
       ), claimed as (
         update push_outbox o
            set claim = ?, attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => ?)
           from due where o.id = due.id
         returning o.id, o.subscription_id, o.cleaning_id, o.seq, o.created_at, o.attempts, o.claim
       )
       select k.*, s.user_id as recipient_id, s.endpoint, s.p256dh, s.auth,
              e.type, e.user_id, e.offer, e.at, c.name as cleaning_name, u.username as offerer_name
         from claimed k
         join push_subscriptions s on s.id = k.subscription_id
         left join offer_events e on e.cleaning_id = k.cleaning_id and e.seq = k.seq
         left join cleanings c on c.id = k.cleaning_id
         left join users u on u.id = e.user_id`,
      [limit, randomUUID(), CLAIM_SECONDS],
    );
  }

  const outcomes = createOutcomeWriter(fork);
  const finish = (row: ClaimedRow) => outcomes.record({ kind: 'done', id: row.id, claim: row.claim });

  async function retryLater(row: ClaimedRow, answer: PushAnswer | undefined, expiresAt: number) {
    const delay = answer?.retryAfterMs ?? Math.min(1000 * 2 ** (row.attempts - 1), MAX_BACKOFF_MS);
    const next = Date.now() + delay;
    if (next >= expiresAt) {
      logger.warn({ outbox: row.id, attempts: row.attempts }, 'push dropped: its TTL ran out while retrying');
      return finish(row);
    }
    await outcomes.record({ kind: 'retry', id: row.id, claim: row.claim, at: new Date(next).toISOString() });
    const timer = setTimeout(() => {
      timers.delete(timer);
      wake();
    }, delay + 5).unref();
    timers.add(timer);
  }

  async function deliver(row: ClaimedRow) {
    if (row.type === null || row.user_id === null || row.at === null) return finish(row);
    const createdAt = new Date(row.created_at).getTime();
    const expiresAt = createdAt + config.ttlSeconds * 1000;
    const ttlSeconds = Math.floor((expiresAt - Date.now()) / 1000);
    if (ttlSeconds < 0) {
      logger.warn({ outbox: row.id }, 'push dropped: its TTL ran out before it could be sent');
      return finish(row);
    }
    const event: OfferEventPublic = offerEventPublic({
      cleaning_id: row.cleaning_id,
      seq: row.seq,
      type: row.type,
      user_id: row.user_id,
      offer: row.offer,
      at: row.at,
    });
    let answer: PushAnswer | undefined;
    try {
      answer = await sender.send({
        endpoint: row.endpoint,
        keys: { p256dh: row.p256dh, auth: row.auth },
        payload: notificationPayload({
          event,
          cleaningName: row.cleaning_name ?? 'a cleaning',
          offererName: row.offerer_name,
        }),
        ttlSeconds,
        urgency: notificationUrgency(event.type),
        topic: notificationTopic(event.cleaning_id, row.recipient_id),
      });
    } catch (err) {
      logger.warn({ err, outbox: row.id, attempts: row.attempts }, 'push service unreachable; will retry');
      return retryLater(row, undefined, expiresAt);
    }
    const { status } = answer;
    if (status >= 200 && status < 300) {
      deps.onDelivered?.((Date.now() - createdAt) / 1000);
      return finish(row);
    }
    if (status === 404 || status === 410) {
      logger.info({ subscription: row.subscription_id, status }, 'push subscription gone; deleted');
      return outcomes.record({ kind: 'gone', subscriptionId: row.subscription_id });
    }
    if (status === 429 || status >= 500) return retryLater(row, answer, expiresAt);
    logger.warn({ outbox: row.id, status }, 'push refused by the push service; dropped');
    return finish(row);
  }

  function track(row: ClaimedRow) {
    const sent = deliver(row)
      .catch((err: unknown) => {
        // The database failed us after the send: the claim runs out and another attempt follows.
        logger.error({ err, outbox: row.id }, 'push outcome not recorded; it will be retried');
      })
      .finally(() => {
        inFlight.delete(sent);
        if (again) wake();
      });
    inFlight.add(sent);
  }

  async function claimRound() {
    try {
      do {
        again = false;
        const room = config.maxInFlight - inFlight.size;
        if (room <= 0) {
          // A finished send claims again.
          again = true;
          break;
        }
        const rows = await claimDue(room);
        if (stopped) {
          // Claimed while stopping: the claims run out and another node (or this one, restarted) sends them.
          break;
        }
        for (const row of rows) track(row);
        if (rows.length < room) break;
        // A full batch leaves more due rows behind: claim on while there is room, and when a send finishes.
        again = true;
        lastClaimAt = performance.now();
      } while (!stopped && inFlight.size < config.maxInFlight);
    } catch (err) {
      logger.warn({ err }, 'could not claim due pushes; trying again shortly');
    }
  }

  function wake() {
    if (stopped) return;
    if (claiming) {
      again = true;
      return;
    }
    if (delayed) return;
    const wait = lastClaimAt + BATCH_INTERVAL_MS - performance.now();
    if (wait > 0) {
      delayed = setTimeout(() => {
        delayed = undefined;
        wake();
      }, wait);
      return;
    }
    lastClaimAt = performance.now();
    // Cleared in a later tick, so even a round that ends at once (no room) is seen to have ended; a wake that
    // came after the round's last look starts the next one.
    claiming = claimRound().finally(() => {
      claiming = undefined;
      if (again && inFlight.size < config.maxInFlight) wake();
    });
  }

  return {
    start() {
      stopped = false;
      poller = setInterval(wake, POLL_MS).unref();
      wake();
    },
    wake,
    async stop(graceMs) {
      stopped = true;
      clearInterval(poller);
      clearTimeout(delayed);
      delayed = undefined;
      for (const timer of timers) clearTimeout(timer);
      await claiming;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      sender.close();
    },
  };
}
