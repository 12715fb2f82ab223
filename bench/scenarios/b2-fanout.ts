// B2: fan-out latency, from the moment an accept is sent until every receiver has its push, against a bare
// socket.io server emitting to a room of the same size.
import { io, type Socket } from 'socket.io-client';
import { startWorker, wallNow, type WorkerClient } from '../lib/rpc.ts';
import {
  createBenchDatabase,
  serverEnv,
  startBareSocketIo,
  startServer,
  type BenchProcess,
} from '../lib/services.ts';
import { createSeeder } from '../lib/seed.ts';
import { latency, median, medianLatency, ms, ratio, type Latency } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';

export type B2Options = {
  sizes: number[];
  offers: number;
  rounds: number;
  warmupRounds: number;
  workers: number;
};

type Collected = { times: number[]; missing: number };

function connect(url: string, auth: object): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

async function ack(socket: Socket, event: string, payload: object): Promise<any> {
  const res = (await socket.timeout(60_000).emitWithAck(event, payload)) as {
    ok: boolean;
    error?: unknown;
    data?: unknown;
  };
  if (!res.ok) throw new Error(`${event} failed: ${JSON.stringify(res.error)}`);
  return res.data;
}

/** Splits `items` into `n` nearly equal consecutive parts. */
function split<T>(items: T[], n: number): T[][] {
  const size = Math.ceil(items.length / n);
  return Array.from({ length: n }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** Arms a round on every worker, runs `trigger`, and returns each receiver's latency from the trigger. */
async function round(
  workers: WorkerClient[],
  arm: object,
  trigger: () => Promise<void>,
): Promise<{ latencies: number[]; missing: number; ackMs: number }> {
  await Promise.all(workers.map((w) => w.call('arm', arm)));
  const t0 = wallNow();
  await trigger();
  const ackMs = wallNow() - t0;
  const collected = await Promise.all(workers.map((w) => w.call<Collected>('collect')));
  return {
    latencies: collected.flatMap((c) => c.times.map((t) => t - t0)),
    missing: collected.reduce((s, c) => s + c.missing, 0),
    ackMs,
  };
}

/** `ackMs`: median time until the accept's ack: its transaction, and with many watchers the pushes sent before it. */
type Case = {
  label: string;
  app: Latency;
  /** The baseline the ratio is taken against. */
  base: Latency;
  baseLabel: string;
  /** For the big accept, the emits alone: one room, and one room per offerer. */
  baseRoom?: Latency;
  baseEach?: Latency;
  missing: number;
  ackMs: number;
};

export async function runB2(o: B2Options): Promise<ScenarioResult> {
  const cases: Case[] = [];
  const db = await createBenchDatabase('b2');
  let server: BenchProcess | undefined;
  let bare: BenchProcess | undefined;
  let workers: WorkerClient[] = [];
  const seed = createSeeder(db.url);
  try {
    server = await startServer(serverEnv({ databaseUrl: db.url }), [], 'b2-server');
    bare = await startBareSocketIo([], db.url);
    workers = await Promise.all(
      Array.from({ length: o.workers }, () => startWorker('bench/workers/socket-holder.ts')),
    );

    // Case 1: one accept on a cleaning with `offers` offers, each offerer connected, on our server and, in the
    // same rounds, on the bare server doing the same transaction through raw pg and one emit per event.
    const [owner] = await seed.users('b2owner', 1);
    const cleaners = await seed.users('b2cleaner', o.offers);
    const acceptRounds = o.rounds + o.warmupRounds;
    const cleaningIds = await seed.cleanings(owner!.id, 2 * acceptRounds + Math.max(...o.sizes) + 1);
    const acceptCleanings = cleaningIds.slice(0, acceptRounds);
    const rawAcceptCleanings = cleaningIds.slice(acceptRounds, 2 * acceptRounds);
    for (const id of [...acceptCleanings, ...rawAcceptCleanings])
      await seed.offers(
        id,
        cleaners.map((c) => c.id),
      );
    say(`B2: connecting ${o.offers} cleaners to each server`);
    const parts = split(cleaners, workers.length);
    await Promise.all(
      workers.map((w, i) =>
        w.call('connect', {
          url: server!.url,
          auths: parts[i]!.map((c) => ({ token: c.token })),
          events: ['offer:event'],
          group: 'app',
        }),
      ),
    );
    await Promise.all(
      workers.map((w, i) =>
        w.call('connect', {
          url: bare!.url,
          auths: parts[i]!.map((c, j) => ({
            rooms: ['watchers', `u${i * Math.ceil(o.offers / workers.length) + j}`, `user:${c.id}`],
          })),
          events: ['bench:message'],
          group: 'bare',
        }),
      ),
    );
    const ownerSocket = await connect(server.url, { token: owner!.token });
    const trigger = await connect(bare.url, {});
    const appReps: Latency[] = [];
    const acceptAcks: number[] = [];
    const baseRaw: Latency[] = [];
    const baseRoom: Latency[] = [];
    const baseEach: Latency[] = [];
    let roundNo = 0;
    for (const [i, cleaningId] of acceptCleanings.entries()) {
      const chosen = cleaners[i % cleaners.length]!;
      const appRound = () =>
        round(workers, { match: { event: 'offer:event', cleaningId }, group: 'app' }, async () => {
          await ack(ownerSocket, 'offer:accept', { cleaning_id: cleaningId, username: chosen.username });
        });
      const rawId = rawAcceptCleanings[i]!;
      const rawRound = () =>
        round(workers, { match: { event: 'bench:message', cleaningId: rawId }, group: 'bare' }, async () => {
          await ack(trigger, 'bench:accept', { cleaning_id: rawId, username: chosen.username });
        });
      // Alternating which goes first, so that a busy moment of the machine does not favour one side.
      let appR, raw;
      if (i % 2 === 0) {
        appR = await appRound();
        raw = await rawRound();
      } else {
        raw = await rawRound();
        appR = await appRound();
      }
      const a = ++roundNo;
      const r1 = await round(workers, { match: { event: 'bench:message', round: a }, group: 'bare' }, () =>
        ack(trigger, 'bench:room-emit', { room: 'watchers', message: { round: a } }),
      );
      const b = ++roundNo;
      const r2 = await round(workers, { match: { event: 'bench:message', round: b }, group: 'bare' }, () =>
        ack(trigger, 'bench:each-emit', { prefix: 'u', count: o.offers, message: { round: b } }),
      );
      if (i >= o.warmupRounds) {
        appReps.push(latency(appR.latencies));
        acceptAcks.push(appR.ackMs);
        baseRaw.push(latency(raw.latencies));
        baseRoom.push(latency(r1.latencies));
        baseEach.push(latency(r2.latencies));
      }
      if (appR.missing > 0) say(`B2: ${appR.missing} cleaners missed their push`);
    }
    await Promise.all(workers.map((w) => w.call('closeAll')));
    ownerSocket.close();
    cases.push({
      label: `accept with ${o.offers} offers`,
      app: medianLatency(appReps),
      base: medianLatency(baseRaw),
      baseLabel: 'raw pg transaction + per-room emits',
      baseRoom: medianLatency(baseRoom),
      baseEach: medianLatency(baseEach),
      missing: 0,
      ackMs: median(acceptAcks),
    });

    // Case 2: a cleaning watched by N subscribed sockets (the owner's dashboards); each round a new cleaner
    // offers, the owner accepts (measured), and the cleaner cancels.
    const watched = cleaningIds.at(-1)!;
    const roundsPerSize = o.rounds + o.warmupRounds;
    const offerers = await seed.users('b2offerer', roundsPerSize * o.sizes.length);
    const offererSockets = await Promise.all(offerers.map((u) => connect(server!.url, { token: u.token })));
    const ownerTrigger = await connect(server.url, { token: owner!.token });
    const bareTrigger = trigger;
    let opened = 0;
    let offererNo = 0;
    for (const size of o.sizes) {
      const add = size - opened;
      say(`B2: ${size} subscribed sockets (opening ${add} more on each server)`);
      const auths = Array.from({ length: add }, () => ({ token: owner!.token }));
      const addParts = split(auths, workers.length);
      await Promise.all(
        workers.map((w, i) =>
          w.call('connect', { url: server!.url, auths: addParts[i], events: ['offer:event'], group: 'app' }),
        ),
      );
      await Promise.all(
        workers.map((w) =>
          w.call('commandAll', {
            event: 'cleaning:subscribe',
            payload: { cleaning_id: watched, since: 0 },
            group: 'app',
          }),
        ),
      );
      opened = size;
      const appReps: Latency[] = [];
      const acks: number[] = [];
      let missing = 0;
      for (let i = 0; i < roundsPerSize; i++) {
        const n = offererNo++;
        const offerer = offerers[n]!;
        const socket = offererSockets[n]!;
        // The offer's own push, and later the cancel's, go to every watcher too: each is let through to all of
        // them before the next step, so that the measured accept never overlaps another fan-out.
        const app = { event: 'offer:event', cleaningId: watched };
        await round(workers, { match: { ...app, type: 'created' }, group: 'app' }, () =>
          ack(socket, 'offer:create', { cleaning_id: watched }),
        );
        const r = await round(
          workers,
          { match: { event: 'offer:event', cleaningId: watched, type: 'accepted' }, group: 'app' },
          async () => {
            await ack(ownerTrigger, 'offer:accept', { cleaning_id: watched, username: offerer.username });
          },
        );
        await round(workers, { match: { ...app, type: 'cancelled' }, group: 'app' }, () =>
          ack(socket, 'offer:cancel', { cleaning_id: watched }),
        );
        if (i >= o.warmupRounds) {
          appReps.push(latency(r.latencies));
          acks.push(r.ackMs);
        }
        missing += r.missing;
      }
      // Same number of sockets on the bare server, in one room.
      await Promise.all(
        workers.map((w, i) =>
          w.call('connect', {
            url: bare!.url,
            auths: addParts[i]!.map(() => ({ rooms: ['room'] })),
            events: ['bench:message'],
            group: 'bare',
          }),
        ),
      );
      const baseReps: Latency[] = [];
      for (let i = 0; i < roundsPerSize; i++) {
        const a = ++roundNo;
        const r = await round(workers, { match: { event: 'bench:message', round: a }, group: 'bare' }, () =>
          ack(bareTrigger, 'bench:room-emit', { room: 'room', message: { round: a } }),
        );
        if (i >= o.warmupRounds) baseReps.push(latency(r.latencies));
      }
      cases.push({
        label: `${size} subscribed sockets`,
        app: medianLatency(appReps),
        base: medianLatency(baseReps),
        baseLabel: 'bare room emit',
        missing,
        ackMs: median(acks),
      });
    }
    for (const s of [...offererSockets, ownerTrigger, bareTrigger]) s.close();

    const rows: Row[] = cases.map((c) => ({
      scenario: 'B2',
      metric: `${c.label}: p50 / p99 / max (ms)`,
      value: `${ms(c.app.p50)} / ${ms(c.app.p99)} / ${ms(c.app.max)}`,
      baseline: `${ms(c.base.p50)} / ${ms(c.base.p99)} / ${ms(c.base.max)}`,
      ratio: ratio(c.app.p99, c.base.p99),
      target: 'p99 ≤ 1.25×',
      verdict: c.app.p99 <= 1.25 * c.base.p99 && c.missing === 0 ? 'met' : 'missed',
      measure: { value: c.app.p99, higherIsBetter: false },
    }));
    return {
      id: 'B2',
      title: 'Fan-out latency',
      rows,
      details: [
        `Latency of each receiver: from the moment the owner's \`offer:accept\` leaves the client to the moment the receiver's client process has the push (clocks of one machine, sub-millisecond). Receivers are spread over ${o.workers} client processes. Per case ${o.warmupRounds} warm-up rounds, then ${o.rounds} measured rounds; the table gives the median over rounds of each round's p50, p99 and max across receivers.`,
        '',
        `- **accept with ${o.offers} offers**: ${o.offers} cleaners connected, one accept makes 1 \`accepted\` and ${o.offers - 1} \`rejected\` events, each pushed to its own cleaner; the latency is the accept's whole transaction (lock, ${o.offers} offers read, ${o.offers} rows updated, ${o.offers} events written, commit) plus the push. The baseline of the ratio does the same work without our stack: the bare server runs the same statements as our accept through raw \`pg\` in one transaction (lock, offerer, offers, one update, one append of the events and the notice with NOTIFY), commits, acks and emits each event to its offerer's room; its rounds alternate with ours, on another cleaning with as many offers. For scale, the emits alone: one message to one room of ${o.offers} sockets, and ${o.offers} messages to ${o.offers} rooms of one socket.`,
        `- **N subscribed sockets**: N sockets of the cleaning's owner subscribed to it (\`cleaning:subscribe\`); one accept makes one event, pushed to all N. Baseline: one message to a room of N sockets.`,
        '',
        ...table(
          [
            'case',
            'Phresh p50 / p99 / max',
            'ack of the accept (median)',
            'baseline',
            'baseline p50 / p99 / max',
            'bare room emit p50 / p99 / max',
            'bare per-room emits p50 / p99 / max',
            'p99 ratio',
          ],
          cases.map((c) => [
            c.label,
            `${ms(c.app.p50)} / ${ms(c.app.p99)} / ${ms(c.app.max)}`,
            ms(c.ackMs),
            c.baseLabel,
            `${ms(c.base.p50)} / ${ms(c.base.p99)} / ${ms(c.base.max)}`,
            c.baseRoom ? `${ms(c.baseRoom.p50)} / ${ms(c.baseRoom.p99)} / ${ms(c.baseRoom.max)}` : '–',
            c.baseEach ? `${ms(c.baseEach.p50)} / ${ms(c.baseEach.p99)} / ${ms(c.baseEach.max)}` : '–',
            ratio(c.app.p99, c.base.p99),
          ]),
        ),
      ],
      raw: { options: o, cases },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await server?.stop();
    await bare?.stop();
    await seed.close();
    await db.drop();
  }
}
