import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from './logger.ts';

/** Counts of a database pool, when the driver has one (PostgreSQL); embedded PGlite has a single connection. */
export type PoolUsage = { total: number; idle: number; waiting: number; max: number };

/**
 * What the server measures, as Prometheus metrics. Each instance has its own registry, so that several servers
 * in one process (the tests) never mix their numbers; only `serve` exposes them.
 */
export type Metrics = {
  /** An HTTP request finished; `route` is the route's pattern, never the raw path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** A socket command was answered; `outcome` is `ok` or the ack's error code. */
  socketCommand(command: string, outcome: string, seconds: number): void;
  /** This node pushed an offer event, `seconds` after it was recorded in its transaction. */
  relayLag(seconds: number): void;
  /** This node heard an offers announcement and passed over it unread (no local socket needed it) or processed it. */
  relayAnnouncement(outcome: 'skipped' | 'processed'): void;
  /** This node read a cleaning's offer events back from the log: for a big announcement, or a gap. */
  relayReadBack(reason: 'announcement' | 'gap'): void;
  /** A catch-up (`cleaning:subscribe` with `since`, or `offers:sync`) answered `events` events. */
  replay(source: string, events: number): void;
  /** A socket was disconnected for not reading its pushes. */
  slowConsumerDrop(): void;
  /** A login attempt was refused by the rate limit. */
  loginRefused(): void;
  /** Gauges read at scrape time. */
  watch(sources: { openSockets(): number; pool(): Promise<PoolUsage | undefined> }): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Listens for `GET /metrics` on a listener of its own; resolves with its base URL. */
  serve(port: number, host: string, logger: Logger): Promise<string>;
  close(): Promise<void>;
};

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SIZE_BUCKETS = [0, 1, 5, 10, 50, 100, 500, 1000, 5000];

export function createMetrics(options: { defaultMetrics: boolean }): Metrics {
  const register = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register, prefix: 'phresh_' });

  const httpDuration = new Histogram({
    name: 'phresh_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [register],
  });
  const commandDuration = new Histogram({
    name: 'phresh_socket_command_duration_seconds',
    help: 'Socket commands by name and outcome (ok or the error code), from receipt to ack.',
    labelNames: ['command', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [register],
  });
  const commands = new Counter({
    name: 'phresh_socket_commands_total',
    help: 'Socket commands by name and outcome (ok or the error code).',
    labelNames: ['command', 'outcome'] as const,
    registers: [register],
  });
  const relayLag = new Histogram({
    name: 'phresh_relay_lag_seconds',
    help: 'Time from an offer event being recorded (in its transaction) to this node pushing it.',
    buckets: LATENCY_BUCKETS,
    registers: [register],
  });
  const relayAnnouncements = new Counter({
    name: 'phresh_relay_announcements_total',
    help: 'Offers announcements heard, by outcome: skipped (no socket of this node needed them) or processed.',
    labelNames: ['outcome'] as const,
    registers: [register],
  });
  const relayReadBacks = new Counter({
    name: 'phresh_relay_read_backs_total',
    help: 'Reads of offer events back from the log by the relay, by reason: announcement (too big) or gap.',
    labelNames: ['reason'] as const,
    registers: [register],
  });
  const replaySize = new Histogram({
    name: 'phresh_replay_events',
    help: 'Events returned by one catch-up, by source (cleaning:subscribe with since, offers:sync).',
    labelNames: ['source'] as const,
    buckets: SIZE_BUCKETS,
    registers: [register],
  });
  const slowConsumers = new Counter({
    name: 'phresh_slow_consumer_disconnects_total',
    help: 'Sockets disconnected because they stopped reading their pushes.',
    registers: [register],
  });
  const loginRefusals = new Counter({
    name: 'phresh_login_refusals_total',
    help: 'Login attempts refused by the per-email or per-address rate limit.',
    registers: [register],
  });

  let server: Server | undefined;

  return {
    httpRequest(method, route, status, seconds) {
      httpDuration.observe({ method, route, status: String(status) }, seconds);
    },
    socketCommand(command, outcome, seconds) {
      commands.inc({ command, outcome });
      commandDuration.observe({ command, outcome }, seconds);
    },
    relayLag(seconds) {
      relayLag.observe(Math.max(0, seconds));
    },
    relayAnnouncement(outcome) {
      relayAnnouncements.inc({ outcome });
    },
    relayReadBack(reason) {
      relayReadBacks.inc({ reason });
    },
    replay(source, events) {
      replaySize.observe({ source }, events);
    },
    slowConsumerDrop() {
      slowConsumers.inc();
    },
    loginRefused() {
      loginRefusals.inc();
    },
    watch(sources) {
      new Gauge({
        name: 'phresh_open_sockets',
        help: 'Socket.io connections open on this node.',
        registers: [register],
        collect() {
          this.set(sources.openSockets());
        },
      });
      new Gauge({
        name: 'phresh_db_pool_connections',
        help: 'Database pool connections by state (total, idle, waiting clients, max); absent on embedded PGlite.',
        labelNames: ['state'] as const,
        registers: [register],
        async collect() {
          const usage = await sources.pool().catch(() => undefined);
          if (!usage) return;
          for (const [state, value] of Object.entries(usage)) this.set({ state }, value);
        },
      });
    },
    async scrape() {
      return { contentType: register.contentType, body: await register.metrics() };
    },
    serve(port, host, logger) {
      server = createServer((req, res) => {
        const path = (req.url ?? '').split('?')[0];
        if (req.method !== 'GET' || path !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
          return;
        }
        register.metrics().then(
          (body) => res.writeHead(200, { 'content-type': register.contentType }).end(body),
          (err: unknown) => {
            logger.error({ err }, 'metrics scrape failed');
            res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error\n');
          },
        );
      });
      const listening = server;
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          listening.off('error', reject);
          const { port: bound } = listening.address() as AddressInfo;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
        });
      });
    },
    async close() {
      const listening = server;
      server = undefined;
      if (listening) {
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
      }
      register.clear();
    },
  };
}
