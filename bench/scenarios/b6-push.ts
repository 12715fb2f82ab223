// B6: Web Push. Notifications per second one node sends to a local push service (which checks every VAPID
// signature and decrypts every payload, as a browser's would), commit-to-push-service latency at a steady rate,
// and B1's command throughput while notifications flow, against the same command load with nobody subscribed.
import { startPushService, type PushService } from '../../test/helpers/push-service.ts';
import { say, table, type ScenarioResult } from '../lib/report.ts';
import { createBenchDatabase, readCpuMs, serverEnv, startServer } from '../lib/services.ts';
import { createSeeder } from '../lib/seed.ts';
import { latency, median, ms, ratio } from '../lib/stats.ts';
import { runB1, type B1Options } from './b1-commands.ts';

export type B6Options = {
  /** Offers (each one notification to its cleaning's owner) per second, for the latency run and beside B1. */
  rate: number;
  durationMs: number;
  maxInFlight: number;
  b1: B1Options;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function seedSql(databaseUrl: string, text: string) {
  const seed = createSeeder(databaseUrl);
  try {
    return await seed.sql(text);
  } finally {
    await seed.close();
  }
}

/** Transactions PostgreSQL has finished in the current database (each statement outside one counts as one). */
async function transactions(databaseUrl: string): Promise<number> {
  const [row] = await seedSql(
    databaseUrl,
    'select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()',
  );
  return Number((row as { n: string }).n);
}

/** The CPU time this process (the bench, with the push service in it) has used, in ms. */
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function until(predicate: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('the push outbox did not empty');
    await sleep(200);
  }
}

/**
 * Makes offers at `rate` per second through REST, each on a fresh cleaning of one of 50 owners; with `subscribe`,
 * every owner has a push subscription, so each offer is one notification. Returns a stop function.
 */
async function offerFlow(options: {
  serverUrl: string;
  databaseUrl: string;
  rate: number;
  push: PushService;
  subscribe: boolean;
  label: string;
}): Promise<{ stop(): Promise<{ sent: number; failed: number; perSecond: number }> }> {
  const seed = createSeeder(options.databaseUrl);
  const owners = await seed.users(`${options.label}owner`, 50);
  const cleaners = await seed.users(`${options.label}cleaner`, 50);
  if (options.subscribe)
    for (const owner of owners) {
      const s = options.push.subscribe();
      await seed.sql(
        'insert into push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, $2, $3, $4)',
        [owner.id, s.endpoint, s.keys.p256dh, s.keys.auth],
      );
    }
  const cleanings = (await Promise.all(owners.map((o) => seed.cleanings(o.id, 400)))).flat();
  let stopped = false;
  let sent = 0;
  let failed = 0;
  const pending = new Set<Promise<void>>();
  const began = performance.now();
  const run = (async () => {
    let start = performance.now();
    for (let i = 0, n = 0; !stopped && i < cleanings.length; i++, n++) {
      let due = start + (n * 1000) / options.rate;
      // A client that fell behind (a stalled event loop) does not fire the missed offers in one burst, and never
      // has more than 100 outstanding: it measures a steady rate, not its own backlog.
      if (performance.now() - due > 200 || pending.size >= 100) {
        while (pending.size >= 100) await Promise.race(pending);
        start = performance.now();
        n = 0;
        due = start;
      }
      if (due > performance.now()) await sleep(due - performance.now());
      const cleaner = cleaners[i % cleaners.length]!;
      const request = fetch(`${options.serverUrl}/api/cleanings/${cleanings[i]}/offers/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cleaner.token}` },
      })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status === 201) sent++;
          else failed++;
        })
        .catch(() => void failed++)
        .finally(() => pending.delete(request));
      pending.add(request);
    }
  })();
  return {
    async stop() {
      stopped = true;
      const seconds = (performance.now() - began) / 1000;
      await run;
      await Promise.all([...pending]);
      await seed.close();
      return { sent, failed, perSecond: sent / seconds };
    },
  };
}

export async function runB6(o: B6Options): Promise<ScenarioResult> {
  const push = await startPushService();
  const db = await createBenchDatabase('b6');
  const server = await startServer(
    serverEnv({ databaseUrl: db.url, extra: { ...push.env(), PUSH_MAX_IN_FLIGHT: String(o.maxInFlight) } }),
    [],
    'b6-server',
  );
  let steady: { sent: number; failed: number; perSecond: number; latency: ReturnType<typeof latency> };
  let burst: {
    count: number;
    perSecond: number;
    serverCpuMs: number;
    pushServiceCpuMs: number;
    transactions: number;
  };
  try {
    say(`B6: ${o.rate} notifications/s for ${o.durationMs / 1000} s`);
    const flow = await offerFlow({
      serverUrl: server.url,
      databaseUrl: db.url,
      rate: o.rate,
      push,
      subscribe: true,
      label: 'b6',
    });
    await sleep(o.durationMs);
    const { sent, failed } = await flow.stop();
    await push.waitFor((r) => r.length >= sent, 60_000, 'every notification');
    const received = push.received();
    const lags = received.map((r) => r.at - Date.parse(r.payload.event.at));
    const span = (received.at(-1)!.at - received[0]!.at) / 1000;
    steady = { sent, failed, perSecond: received.length / span, latency: latency(lags) };
    say(
      `B6: ${sent} offers (${failed} failed), ${steady.perSecond.toFixed(0)} notifications/s received, p50 ${ms(steady.latency.p50)} ms, p99 ${ms(steady.latency.p99)} ms`,
    );
    if (push.problems().length > 0) throw new Error(`push service problems: ${push.problems().join('; ')}`);

    // A backlog: every notification of the steady run queued again at once; how fast does one node drain it?
    await until(async () => (await seedSql(db.url, 'select 1 from push_outbox limit 1')).length === 0);
    const before = push.received().length;
    // PostgreSQL publishes an idle backend's counts within 10 s (PGSTAT_IDLE_INTERVAL): let the steady run's in.
    await sleep(11_000);
    const transactionsBefore = await transactions(db.url);
    const serverCpuBefore = readCpuMs(server.pid);
    const ownCpuBefore = ownCpuMs();
    const count = (
      await seedSql(
        db.url,
        `insert into push_outbox (subscription_id, cleaning_id, seq, created_at)
         select s.id, e.cleaning_id, e.seq, now()
           from offer_events e join cleanings c on c.id = e.cleaning_id join push_subscriptions s on s.user_id = c.owner
         returning id`,
      )
    ).length;
    say(`B6: draining a backlog of ${count}`);
    await push.waitFor((r) => r.length >= before + count, 120_000, 'the backlog');
    await until(async () => (await seedSql(db.url, 'select 1 from push_outbox limit 1')).length === 0);
    const serverCpuMs = readCpuMs(server.pid) - serverCpuBefore;
    const pushServiceCpuMs = ownCpuMs() - ownCpuBefore;
    await sleep(11_000);
    const drained = push.received().slice(before);
    burst = {
      count,
      perSecond: (count - 1) / ((drained.at(-1)!.at - drained[0]!.at) / 1000),
      serverCpuMs: serverCpuMs / count,
      pushServiceCpuMs: pushServiceCpuMs / count,
      // With the bench's own few: the insert, its looks at the outbox and the counts.
      transactions: (await transactions(db.url)) - transactionsBefore,
    };
    say(
      `B6: backlog drained at ${burst.perSecond.toFixed(0)} notifications/s; per notification: server CPU ${burst.serverCpuMs.toFixed(2)} ms, push service (bench process) CPU ${burst.pushServiceCpuMs.toFixed(2)} ms, ${(burst.transactions / count).toFixed(2)} PostgreSQL transactions`,
    );
  } finally {
    await server.stop();
    await db.drop();
  }

  const b1With = async (subscribe: boolean) => {
    say(`B6: B1 beside ${o.rate} offers/s, ${subscribe ? 'each notified' : 'nobody subscribed'}`);
    let offers = { sent: 0, failed: 0, perSecond: 0 };
    const result = await runB1({
      ...o.b1,
      serverEnv: push.env(),
      alongside: async ({ serverUrl, databaseUrl }) => {
        const flow = await offerFlow({
          serverUrl,
          databaseUrl,
          rate: o.rate,
          push,
          subscribe,
          label: subscribe ? 'b6on' : 'b6off',
        });
        return async () => void (offers = await flow.stop());
      },
    });
    const opsPerSec = Number(result.rows[0]!.value);
    const { app } = result.raw as { app: { cpuMsPerOp: number }[] };
    const cpuMsPerOp = median(app.map((r) => r.cpuMsPerOp));
    say(
      `B6: B1 ${opsPerSec} ops/s (${subscribe ? 'notifications flowing' : 'nobody subscribed'}), server CPU ${cpuMsPerOp.toFixed(2)} ms/op; ${offers.perSecond.toFixed(0)} offers/s beside it (${offers.failed} failed)`,
    );
    return { opsPerSec, cpuMsPerOp, offers };
  };
  // On a machine loaded by other work B1 itself may fail; the push figures above still stand.
  const measure = (subscribe: boolean) =>
    b1With(subscribe).catch((e: unknown) => {
      say(`B6: B1 failed: ${(e as Error).message}`);
      return { opsPerSec: NaN, cpuMsPerOp: NaN, offers: { sent: 0, failed: 0, perSecond: NaN } };
    });
  const quietRun = await measure(false);
  const flowingRun = await measure(true);
  await push.close();
  const quiet = quietRun.opsPerSec;
  const flowing = flowingRun.opsPerSec;
  const drop = 1 - flowing / quiet;
  // Both runs must carry the same extra command load for their difference to be the notifications' cost.
  const offersApart = Math.abs(flowingRun.offers.perSecond / quietRun.offers.perSecond - 1);

  return {
    id: 'B6',
    title: 'Web Push notifications',
    rows: [
      {
        scenario: 'B6',
        metric: 'notifications/s, one node, backlog drained',
        value: burst.perSecond.toFixed(0),
        baseline: '',
        ratio: '',
        target: '',
        verdict: '',
        measure: { value: burst.perSecond, higherIsBetter: true },
      },
      {
        scenario: 'B6',
        metric: 'server CPU ms per notification, backlog',
        value: burst.serverCpuMs.toFixed(2),
        baseline: '',
        ratio: '',
        target: '',
        verdict: '',
        measure: { value: burst.serverCpuMs, higherIsBetter: false },
      },
      {
        scenario: 'B6',
        metric: `commit-to-push-service p50 / p99 ms at ${o.rate}/s`,
        value: `${ms(steady.latency.p50)} / ${ms(steady.latency.p99)}`,
        baseline: '',
        ratio: '',
        target: 'p99 ≤ 500 ms',
        verdict: steady.latency.p99 <= 500 ? 'met' : 'missed',
        measure: { value: steady.latency.p99, higherIsBetter: false },
      },
      {
        scenario: 'B6',
        metric: `B1 ops/s with ${o.rate} notifications/s flowing`,
        value: flowing.toFixed(0),
        baseline: quiet.toFixed(0),
        ratio: ratio(flowing, quiet),
        target: '≥ 0.95×',
        verdict: Number.isNaN(drop) ? '' : drop <= 0.05 ? 'met' : 'missed',
        measure: { value: flowing / quiet, higherIsBetter: true },
      },
    ],
    details: [
      `One node with Web Push on, sending to a local push service over plain http that checks each request's VAPID JWT (ES256) against the server's key and decrypts each aes128gcm payload with the subscription's private key, in the benchmark's own process. \`PUSH_MAX_IN_FLIGHT\` = ${o.maxInFlight}.`,
      '',
      ...table(
        ['run', 'figure'],
        [
          [
            `${o.rate} offers/s through REST for ${o.durationMs / 1000} s, each notifying its owner`,
            `${steady.sent} sent (${steady.failed} failed), ${steady.perSecond.toFixed(0)} notifications/s received; commit-to-push-service p50 ${ms(steady.latency.p50)} ms, p99 ${ms(steady.latency.p99)} ms, max ${ms(steady.latency.max)} ms`,
          ],
          [
            `backlog of ${burst.count} queued at once`,
            `drained at ${burst.perSecond.toFixed(0)} notifications/s; per notification: server CPU ${burst.serverCpuMs.toFixed(2)} ms, push service CPU ${burst.pushServiceCpuMs.toFixed(2)} ms, ${(burst.transactions / burst.count).toFixed(2)} PostgreSQL transactions (the bench's own 7 or so included)`,
          ],
          [
            `B1 (${o.b1.reps} × ${o.b1.durationMs / 1000} s) beside ${o.rate} offers/s, nobody subscribed`,
            `${quiet.toFixed(0)} ops/s, server CPU ${quietRun.cpuMsPerOp.toFixed(2)} ms/op; ${quietRun.offers.perSecond.toFixed(0)} offers/s made (${quietRun.offers.failed} failed)`,
          ],
          [
            `B1 beside the same offers, each one notification`,
            `${flowing.toFixed(0)} ops/s (${(drop * 100).toFixed(1)}% fewer), server CPU ${flowingRun.cpuMsPerOp.toFixed(2)} ms/op; ${flowingRun.offers.perSecond.toFixed(0)} offers/s made (${flowingRun.offers.failed} failed)`,
          ],
        ],
      ),
      '',
      `Latency is from the event's \`at\` (stamped in the command's transaction, just before its commit) to the push service's receipt of the request. Both B1 runs carry the same extra command load (the offers), so their difference is what sending the notifications costs the commands${offersApart > 0.05 ? `; in this run they did not: the offer rates made differ by ${(offersApart * 100).toFixed(0)} % (a loaded machine), so the B1 ratio is not a fair comparison` : ''}. The server CPU per B1 op counts everything the server did meanwhile (the offers and their notifications too). The push service decrypts every payload and verifies each distinct VAPID token in the bench's own process, on the same cores: its CPU per notification is given above, as it weighs on the flowing run alone.`,
    ],
    raw: {
      options: { ...o, b1: { ...o.b1, alongside: undefined } },
      steady,
      burst,
      b1: { quiet: quietRun, flowing: flowingRun },
    },
  };
}
