// B8: what one Redis core does with sharded pub/sub, the traffic of the socket.io adapter between nodes: a
// private redis-server (so that nobody else's traffic is counted) on a free loopback port, SPUBLISH to many
// channels (one per room), each heard by one or several subscriber connections (the nodes hosting the room).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { readCpuMs } from '../lib/services.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';

export type B8Options = {
  channels: number;
  /**
   * Subscriber connections, each subscribed to every channel, and SPUBLISHes per pipeline (1: each its own
   * command, `inFlight` at once, as the adapter sends them).
   */
  cases: { subscribers: number; batch: number }[];
  inFlight: number;
  payloadBytes: number;
  durationMs: number;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number) {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  let client: Redis | undefined;
  for (let i = 0; !client; i++) {
    const attempt = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    attempt.on('error', () => {});
    try {
      await attempt.connect();
      client = attempt;
    } catch (err) {
      attempt.disconnect();
      if (i > 100) {
        child.kill('SIGTERM');
        throw err;
      }
      await sleep(50);
    }
  }
  const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';
  client.disconnect();
  return { child, version, pid: child.pid! };
}

type Case = {
  subscribers: number;
  batch: number;
  published: number;
  delivered: number;
  seconds: number;
  redisCpuMs: number;
};

export async function runB8(o: B8Options): Promise<ScenarioResult> {
  const port = await freePort();
  const redis = await startRedis(port);
  const cases: Case[] = [];
  try {
    const channels = Array.from({ length: o.channels }, (_, i) => `bench#/#user:${i}#`);
    const payload = 'x'.repeat(o.payloadBytes);
    for (const { subscribers: count, batch } of o.cases) {
      say(`B8: SPUBLISH to ${o.channels} channels, ${count} subscriber connection(s), ${batch} per pipeline`);
      const subs = Array.from({ length: count }, () => new Redis({ port, host: '127.0.0.1' }));
      let delivered = 0;
      for (const sub of subs) {
        sub.on('smessage', () => delivered++);
        for (let i = 0; i < channels.length; i += 1000) await sub.ssubscribe(...channels.slice(i, i + 1000));
      }
      const pub = new Redis({ port, host: '127.0.0.1' });
      let published = 0;
      const cpu0 = readCpuMs(redis.pid);
      const t0 = Date.now();
      if (batch > 1) {
        while (Date.now() - t0 < o.durationMs) {
          const pipeline = pub.pipeline();
          for (let i = 0; i < batch; i++)
            pipeline.spublish(channels[(published + i) % channels.length]!, payload);
          await pipeline.exec();
          published += batch;
        }
      } else {
        await Promise.all(
          Array.from({ length: o.inFlight }, async () => {
            while (Date.now() - t0 < o.durationMs)
              await pub.spublish(channels[published++ % channels.length]!, payload);
          }),
        );
      }
      // What is still on its way to the subscribers is let through before counting.
      for (let i = 0; i < 100 && delivered < published * count; i++) await sleep(50);
      const seconds = (Date.now() - t0) / 1000;
      cases.push({
        subscribers: count,
        batch,
        published,
        delivered,
        seconds,
        redisCpuMs: readCpuMs(redis.pid) - cpu0,
      });
      pub.disconnect();
      for (const sub of subs) sub.disconnect();
    }
  } finally {
    redis.child.kill('SIGTERM');
  }

  const perCore = (c: Case) => (c.published / c.redisCpuMs) * 1000;
  const rows: Row[] = cases.map((c) => ({
    scenario: 'B8',
    metric: `Redis SPUBLISH of ${o.payloadBytes} B, ${c.batch > 1 ? `pipelined by ${c.batch}` : `unpipelined, ${o.inFlight} in flight`}, ${c.subscribers} subscriber(s) each: per Redis CPU second`,
    value: perCore(c).toFixed(0),
    baseline: '',
    ratio: '',
    target: '',
    verdict: '',
  }));
  return {
    id: 'B8',
    title: 'Redis sharded pub/sub throughput',
    rows,
    details: [
      `A private \`redis-server\` ${redis.version} (no persistence) on a free loopback port. One client sends \`SPUBLISH\` of ${o.payloadBytes}-byte messages (the size of an adapter message for a small push), either pipelined in batches or each as its own command with ${o.inFlight} in flight (as the adapter sends them), round-robin over ${o.channels} sharded channels, for ${o.durationMs / 1000} s; each subscriber connection (a node) has \`SSUBSCRIBE\`d every channel. The client and the subscribers run in the benchmark's own process on the same 2 cores, so the wall-clock rate is bounded by them; the Redis CPU time (from /proc) is what sizes Redis: messages per second of Redis CPU is what one Redis core would publish.`,
      '',
      ...table(
        [
          'SPUBLISH per pipeline',
          'subscribers per channel',
          'published',
          'delivered',
          'wall-clock publishes/s',
          'Redis CPU s',
          'publishes per Redis CPU s',
          'deliveries per Redis CPU s',
        ],
        cases.map((c) => [
          String(c.batch),
          String(c.subscribers),
          String(c.published),
          String(c.delivered),
          (c.published / c.seconds).toFixed(0),
          (c.redisCpuMs / 1000).toFixed(2),
          perCore(c).toFixed(0),
          ((c.delivered / c.redisCpuMs) * 1000).toFixed(0),
        ]),
      ),
    ],
    raw: { options: o, version: redis.version, cases },
  };
}
