// B7: what a node pays for the offer events none of its sockets needs. Every node hears every commit's
// announcement; six listening nodes with no sockets at all run beside one node that takes the commands: three
// of the current code, three of the code before the relay decided from an announcement's fixed start whether
// to decode it (a copy of that commit's sources), all at once, on the same commits.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import { createLogger } from '../../src/logger.ts';
import {
  createBenchDatabase,
  ROOT,
  SCRATCH_DIR,
  serverEnv,
  startServer,
  uniqueRedisPrefix,
  type BenchProcess,
} from '../lib/services.ts';
import { createSeeder, type SeededUser } from '../lib/seed.ts';
import { median, ratio } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';

export type B7Options = {
  /** Offers made (one small announcement each, its event inline). */
  offers: number;
  /** Accepts on cleanings with `offersPerAccept` offers (one announcement each, too big: read back). */
  accepts: number;
  offersPerAccept: number;
  /** Commands in flight at once. */
  concurrency: number;
  /** Listening nodes of each code. */
  nodesEach: number;
  /** Announcements handed to each code's relay in this process. */
  inProcessAnnouncements: number;
};

/** The commit before the relay's early decision, found by the change that brought it in. */
function beforeCommit(): string {
  const introduced = execFileSync(
    'git',
    ['log', '--format=%H', '-S', 'readOffersHeader', '--', 'src/events/channel.ts'],
    { cwd: ROOT, encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .at(-1);
  if (!introduced) throw new Error('B7: cannot find the commit that brought in readOffersHeader');
  return `${introduced}^`;
}

/** That commit's server sources, unpacked under .bench/, running on this checkout's node_modules. */
function checkoutBefore(commit: string): string {
  const dir = join(SCRATCH_DIR, 'relay-before');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', commit, 'src', 'package.json', 'tsconfig.json'], {
    cwd: ROOT,
    maxBuffer: 256 * 2 ** 20,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  if (!existsSync(join(dir, 'node_modules')))
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function connect(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

async function ack(socket: Socket, event: string, payload: object): Promise<void> {
  const res = (await socket.timeout(60_000).emitWithAck(event, payload)) as { ok: boolean; error?: unknown };
  if (!res.ok) throw new Error(`${event} failed: ${JSON.stringify(res.error)}`);
}

/** Runs `count` tasks, `concurrency` at a time. */
async function inFlight(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

type Listening = { code: 'before' | 'after'; node: BenchProcess };

/** CPU ms each listening node used while `phase` ran, less what it uses idle over as long. */
async function cpuOf(nodes: Listening[], idleMsPerMs: number[], phase: () => Promise<void>) {
  // Announcements still in flight when the phase's commands are acknowledged are let through first.
  const before = nodes.map((n) => n.node.cpuMs());
  const t0 = Date.now();
  await phase();
  await sleep(1000);
  const elapsed = Date.now() - t0;
  return nodes.map((n, i) => n.node.cpuMs() - before[i]! - idleMsPerMs[i]! * elapsed);
}

type RelayModule = typeof import('../../src/events/relay.ts');
type ChannelModule = typeof import('../../src/events/channel.ts');

/** `count` offer events of one cleaning from seq `from`, each by its own offerer, as an accept makes them. */
function events(cleaningId: number, from: number, count: number): OfferEventPublic[] {
  const at = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    cleaning_id: cleaningId,
    seq: from + i,
    type: i === 0 ? 'accepted' : 'rejected',
    user_id: 100_000 + i,
    at,
    offer: {
      created_at: at,
      updated_at: at,
      user_id: 100_000 + i,
      cleaning_id: cleaningId,
      status: i === 0 ? 'accepted' : 'rejected',
      user: null,
      cleaning: null,
    },
  }));
}

/**
 * The relay code of `root` alone, in this process: announcements made by that code's own encoder are handed
 * to its relay, whose socket.io server has no socket; read-backs are answered from memory, so this is the
 * relay's own CPU, without the database round trip a read-back costs a node.
 */
async function relayInProcess(root: string, eventsEach: number, count: number): Promise<number> {
  const relayModule = (await import(pathToFileURL(join(root, 'src/events/relay.ts')).href)) as RelayModule;
  const channel = (await import(pathToFileURL(join(root, 'src/events/channel.ts')).href)) as ChannelModule;
  const cleanings = 1000;
  const payloads = Array.from({ length: count }, (_, i) => {
    const cleaningId = 1 + (i % cleanings);
    return channel.encodeOffers(
      cleaningId,
      events(cleaningId, 1 + Math.floor(i / cleanings) * eventsEach, eventsEach),
    );
  });
  let hear: (payload: string) => void = () => {};
  const ioServer = new Server();
  const relay = relayModule.createEventRelay({
    io: ioServer as never,
    logger: createLogger('silent'),
    listener: {
      async start(onPayload) {
        hear = onPayload;
      },
      async stop() {},
    },
    reader: {
      range: async (cleaningId, fromSeq, toSeq) => events(cleaningId, fromSeq, toSeq - fromSeq + 1),
      since: async () => [],
      notice: async () => undefined,
      noticesSince: async () => [],
    },
  });
  await relay.start();
  const t0 = process.cpuUsage();
  for (const payload of payloads) hear(payload);
  await relay.stop();
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / count;
}

export async function runB7(o: B7Options): Promise<ScenarioResult> {
  const db = await createBenchDatabase('b7');
  const seed = createSeeder(db.url);
  const prefix = uniqueRedisPrefix();
  const commit = beforeCommit();
  const beforeRoot = checkoutBefore(commit);
  const shortCommit = execFileSync('git', ['rev-parse', '--short', commit], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const started: BenchProcess[] = [];
  const sockets: Socket[] = [];
  const load: number[][] = [loadavg()];
  try {
    const env = (nodeId: string) => serverEnv({ databaseUrl: db.url, redisPrefix: prefix, nodeId });
    // The first node applies the migrations; the listening nodes then find the schema up to date.
    const front = await startServer(env('front'), [], 'b7-front');
    started.push(front);
    const listening: Listening[] = [];
    for (let i = 0; i < o.nodesEach; i++) {
      for (const code of ['before', 'after'] as const) {
        const node = await startServer(
          env(`${code}-${i}`),
          [],
          `b7-${code}-${i}`,
          code === 'before' ? beforeRoot : undefined,
        );
        started.push(node);
        listening.push({ code, node });
      }
    }

    const [owner] = await seed.users('b7owner', 1);
    const cleaners = await seed.users('b7cleaner', Math.max(o.offersPerAccept, o.concurrency));
    const offerCleanings = await seed.cleanings(owner!.id, Math.ceil(o.offers / o.concurrency));
    const acceptCleanings = await seed.cleanings(owner!.id, o.accepts);
    say(`B7: seeding ${o.accepts} cleanings with ${o.offersPerAccept} offers each`);
    for (const id of acceptCleanings)
      await seed.offers(
        id,
        cleaners.slice(0, o.offersPerAccept).map((c) => c.id),
      );
    const ownerSockets = await Promise.all(
      Array.from({ length: o.concurrency }, () => connect(front.url, owner!.token)),
    );
    const cleanerSockets = await Promise.all(
      cleaners.slice(0, o.concurrency).map((c: SeededUser) => connect(front.url, c.token)),
    );
    sockets.push(...ownerSockets, ...cleanerSockets);

    say('B7: idle CPU of the listening nodes');
    await sleep(2000);
    const idleFrom = listening.map((n) => n.node.cpuMs());
    const idleT0 = Date.now();
    await sleep(10_000);
    const idleMsPerMs = listening.map((n, i) => (n.node.cpuMs() - idleFrom[i]!) / (Date.now() - idleT0));

    say(`B7: ${o.offers} offers (small announcements)`);
    load.push(loadavg());
    const offerCpu = await cpuOf(listening, idleMsPerMs, () =>
      inFlight(o.offers, o.concurrency, async (i) => {
        const lane = i % o.concurrency;
        const cleaning_id = offerCleanings[Math.floor(i / o.concurrency)]!;
        await ack(cleanerSockets[lane]!, 'offer:create', { cleaning_id });
      }),
    );
    say(`B7: ${o.accepts} accepts of ${o.offersPerAccept} offers (big announcements)`);
    load.push(loadavg());
    const acceptCpu = await cpuOf(listening, idleMsPerMs, () =>
      inFlight(o.accepts, o.concurrency, async (i) => {
        await ack(ownerSockets[i % o.concurrency]!, 'offer:accept', {
          cleaning_id: acceptCleanings[i]!,
          username: cleaners[i % o.offersPerAccept]!.username,
        });
      }),
    );
    load.push(loadavg());

    // The relay code alone, before and after, alternating, 3 times each; medians.
    const inProcess = {
      inline: { before: [] as number[], after: [] as number[] },
      big: { before: [] as number[], after: [] as number[] },
    };
    for (let rep = 0; rep < 3; rep++) {
      for (const [code, root] of [
        ['before', beforeRoot],
        ['after', ROOT],
      ] as const) {
        inProcess.inline[code].push(await relayInProcess(root, 1, o.inProcessAnnouncements));
        inProcess.big[code].push(
          await relayInProcess(root, o.offersPerAccept, o.inProcessAnnouncements / 10),
        );
      }
    }
    const perAnnouncementUs = (cpu: number[], code: 'before' | 'after', count: number) =>
      median(listening.flatMap((n, i) => (n.code === code ? [(cpu[i]! * 1000) / count] : [])));
    const cases = [
      {
        label: `offer (1 event, inline)`,
        before: perAnnouncementUs(offerCpu, 'before', o.offers),
        after: perAnnouncementUs(offerCpu, 'after', o.offers),
      },
      {
        label: `accept of ${o.offersPerAccept} offers (read back before; with its job-board notice)`,
        before: perAnnouncementUs(acceptCpu, 'before', o.accepts),
        after: perAnnouncementUs(acceptCpu, 'after', o.accepts),
      },
    ];
    const us = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
    const rows: Row[] = cases.map((c) => ({
      scenario: 'B7',
      metric: `relay CPU µs per announcement no local socket needs: ${c.label}`,
      value: us(c.after),
      baseline: us(c.before),
      ratio: ratio(c.after, c.before),
      target: '',
      verdict: '',
    }));
    const inProcessCases = [
      {
        label: 'offer (1 event, inline)',
        before: median(inProcess.inline.before),
        after: median(inProcess.inline.after),
      },
      {
        label: `accept of ${o.offersPerAccept} offers (read back from memory before)`,
        before: median(inProcess.big.before),
        after: median(inProcess.big.after),
      },
    ];
    rows.push(
      ...inProcessCases.map((c): Row => ({
        scenario: 'B7',
        metric: `relay code alone, in process, µs per announcement no socket needs: ${c.label}`,
        value: us(c.after),
        baseline: us(c.before),
        ratio: ratio(c.after, c.before),
        target: '',
        verdict: '',
      })),
    );
    const loads = load.map((l) => l.map((x) => x.toFixed(1)).join(' / '));
    return {
      id: 'B7',
      title: 'Relay cost on a node with no interested sockets',
      rows,
      details: [
        `One node takes the commands (${o.concurrency} in flight, over websocket); ${2 * o.nodesEach} more nodes listen, with no socket at all: ${o.nodesEach} of this checkout ("after") and ${o.nodesEach} of commit ${shortCommit}, the one before the relay decided from an announcement's fixed start whether any local socket needs it ("before", its sources copied under .bench/). All seven processes hear the same commits at the same time, so the machine's load falls on both alike. CPU time of each listening node comes from /proc (10 ms ticks), less its own idle rate measured over 10 s first; figures are the median over the nodes of each code, divided by the announcements of the phase. ${o.offers} offers make ${o.offers} small announcements (the event inline); ${o.accepts} accepts of ${o.offersPerAccept} offers each make one announcement too big to carry its ${o.offersPerAccept} events (read back from the log by every node before) and one job-board notice (\`cleaning:assigned\`, processed by every node in both codes).`,
        '',
        ...table(
          ['announcement', 'before µs CPU', 'after µs CPU', 'ratio'],
          cases.map((c) => [c.label, us(c.before), us(c.after), ratio(c.after, c.before)]),
        ),
        '',
        `The relay code alone (\`createEventRelay\` of each checkout, in the benchmark's process, a socket.io server with no socket, read-backs answered from memory, announcements made by each code's own encoder over 1,000 cleanings; ${o.inProcessAnnouncements} inline and ${o.inProcessAnnouncements / 10} big announcements per run, before and after alternating, 3 runs each; medians). This leaves out what every node pays below the relay (the \`pg\` client reading the notification, the wake-up) and the database round trip of a read-back, which the listening nodes above include:`,
        '',
        ...table(
          ['announcement', 'before µs CPU', 'after µs CPU', 'ratio'],
          inProcessCases.map((c) => [c.label, us(c.before), us(c.after), ratio(c.after, c.before)]),
        ),
        '',
        `Load average (1 / 5 / 15 min) at the start, before the offers, before the accepts and at the end: ${loads.join('; ')}.`,
      ],
      raw: { options: o, commit, idleMsPerMs, offerCpu, acceptCpu, cases, inProcess, load },
    };
  } finally {
    for (const s of sockets) s.close();
    for (const node of started.reverse()) await node.stop();
    await seed.close();
    await db.drop();
  }
}
