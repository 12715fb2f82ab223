import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server } from 'socket.io';
import type { z } from 'zod';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Config } from '../config.ts';
import { catalogueErrorBody } from '../contract/error-codes.ts';
import { COMMAND_NAMES } from '../contract/socket-events.ts';
import type { Em, Orm } from '../db/orm.ts';
import type { Deps } from '../domain/context.ts';
import { pgliteEventListener, postgresEventListener } from '../events/listeners.ts';
import { readEventRange, readEventsSince, readNotice, readNoticesSince } from '../events/log-reads.ts';
import { createEventRelay, type EventRelay } from '../events/relay.ts';
import type { TokenService } from '../domain/tokens.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createCommandRunner } from './command-runner.ts';
import { registerOfferHandlers } from './offer-handlers.ts';
import { registerEvaluationHandlers } from './evaluation-handlers.ts';
import type { RedisClients } from './redis.ts';
import { roomForUser } from './rooms.ts';
import { authenticateHandshakes } from './socket-auth.ts';
import type { IoServer, IoSocket } from './socket-types.ts';
import { watchSessionExpiry } from './session-expiry.ts';
import { registerSubscriptionHandlers } from './subscription-handlers.ts';
import { watchSlowConsumers } from './slow-consumers.ts';

/** The live side of a node. */
export type Realtime = {
  io: IoServer;
  relay: EventRelay;
  /** Every socket command's payload schema, by name: what the server validates with. */
  commandSchemas(): ReadonlyMap<string, z.ZodType>;
  start(): Promise<void>;
  /** Refuses new commands and waits for those in flight, then drops connections so clients move to another node. */
  drain(ms: number): Promise<void>;
  close(): Promise<void>;
};

/** Long-polling speaks GET (the long poll) and POST (packets from the client); nothing else is an engine.io request. */
function refuseOtherMethods(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
  if (req.method === 'GET' || req.method === 'POST') return next();
  const body = JSON.stringify(catalogueErrorBody('METHOD_NOT_ALLOWED'));
  res.writeHead(405, {
    allow: 'GET, POST, OPTIONS',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** While a node drains, it opens no new session: a client would lose it moments later, with the node. */
function refuseNewSessionsWhile(draining: () => boolean) {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!draining() || new URL(req.url ?? '/', 'http://node').searchParams.has('sid')) return next();
    const body = JSON.stringify(catalogueErrorBody('SERVICE_UNAVAILABLE'));
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
}

/** Socket messages above this size close the connection (commands are tiny). */
export const MAX_SOCKET_MESSAGE_BYTES = 16 * 1024;

export function createRealtime(options: {
  httpServer: HttpServer;
  config: Config;
  logger: Logger;
  orm: Orm;
  redis: RedisClients | undefined;
  tokens: TokenService;
  depsFor(em: Em): Deps;
  /** A handshake's dependencies, whose fork is made on first use (a cached account needs none). */
  openUnitOfWork(): Deps;
  /** Told of every account closed anywhere (a `session:closed` notice heard by this node). */
  onSessionClosed?: (userId: number) => void;
  metrics: Metrics;
  /** Told when a commit queued Web Push notifications. */
  onPushQueued?: () => void;
}): Realtime {
  const { config, logger, orm, redis, metrics } = options;
  const fork = () => orm.em.fork() as Em;
  const io: IoServer = new Server(options.httpServer, {
    path: '/socket.io',
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    connectTimeout: 10_000,
    serveClient: false,
    cors: { origin: [...config.corsOrigins], methods: ['GET', 'POST'] },
    // Sharded pub/sub, a channel per room: a node hears only the rooms it hosts, and on a Redis Cluster the
    // rooms spread over the masters instead of every message crossing every master.
    ...(redis
      ? {
          adapter: createShardedAdapter(redis.pub, redis.sub, {
            channelPrefix: config.redisPrefix,
            subscriptionMode: 'dynamic',
          }),
        }
      : {}),
  });

  // After socket.io's CORS middleware, which answers preflights: engine.io answers any other method on a live
  // session with a bodiless 500, so refuse them first, the way REST refuses a method.
  io.engine.use(refuseOtherMethods);
  let draining = false;
  io.engine.use(refuseNewSessionsWhile(() => draining));

  const relay = createEventRelay({
    io,
    logger,
    listener: config.databaseListenUrl
      ? postgresEventListener(config.databaseListenUrl, logger)
      : pgliteEventListener(orm),
    reader: {
      range: (cleaningId, from, to) => readEventRange(fork(), cleaningId, from, to),
      since: (at, after) => readEventsSince(fork(), at, after),
      notice: (id) => readNotice(fork(), id),
      noticesSince: (at, afterPosition) => readNoticesSince(fork(), at, afterPosition),
    },
    onPushed: (lag) => metrics.relayLag(lag),
    onNotice: (notice) => {
      if (notice.type === 'session:closed') options.onSessionClosed?.(notice.userId);
    },
    onAnnouncement: (outcome) => metrics.relayAnnouncement(outcome),
    onReadBack: (reason) => metrics.relayReadBack(reason),
    onPushQueued: options.onPushQueued,
  });
  const commands = createCommandRunner({
    fork,
    depsFor: options.depsFor,
    logger,
    commandsPerSecond: config.socketCommandsPerSecond,
    onAnswered: (command, outcome, seconds) => metrics.socketCommand(command, outcome, seconds),
  });

  authenticateHandshakes(io, {
    deps: options.openUnitOfWork,
    logger,
    socketsPerAccount: config.socketsPerAccount,
  });
  const stopWatchingSlowConsumers = watchSlowConsumers(
    io,
    { maxBufferedBytes: config.slowConsumerMaxBytes, maxPendingPackets: config.slowConsumerMaxPackets },
    logger,
    () => metrics.slowConsumerDrop(),
  );

  registerOfferHandlers({ commands });
  registerEvaluationHandlers({ commands });
  registerSubscriptionHandlers({ commands, relay, metrics });
  const missing = COMMAND_NAMES.filter((name) => !commands.has(name));
  if (missing.length > 0) throw new Error(`socket commands without a handler: ${missing.join(', ')}`);
  const stopWatchingSessions = watchSessionExpiry(io);

  function forgetSocket(this: IoSocket) {
    relay.forget(this);
  }
  io.on('connection', (socket) => {
    // A sync-first client gets no push before its first offers:sync answer, so no seq can overtake it.
    if ((socket.handshake.auth as { sync_first?: unknown }).sync_first === true) relay.awaitSync(socket);
    void socket.join(roomForUser(socket.data.userId));
    commands.attach(socket);
    socket.on('disconnect', forgetSocket);
  });

  return {
    io,
    relay,
    commandSchemas: () => commands.schemas(),
    start: () => relay.start(),
    async drain(ms) {
      draining = true;
      await commands.drain(ms);
      // Closing the transports (rather than disconnecting) makes clients reconnect, to another node. Each is
      // closed only once it has handed over what it holds: a long-polling client fetches the acks written since
      // its last poll, which engine.io's own close would discard.
      const conns = new Set([...io.of('/').sockets.values()].map((socket) => socket.conn));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(
          [...conns].map(
            (conn) =>
              new Promise<void>((resolve) => {
                if (conn.readyState === 'closed') return resolve();
                conn.once('close', () => resolve());
                conn.close();
              }),
          ),
        ),
        new Promise((resolve) => (timer = setTimeout(resolve, ms))),
      ]);
      clearTimeout(timer);
      io.engine.close();
    },
    async close() {
      stopWatchingSlowConsumers();
      stopWatchingSessions();
      await relay.stop();
      io.engine.close();
      await io.of('/').adapter.close?.();
    },
  };
}
