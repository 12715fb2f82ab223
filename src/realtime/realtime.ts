import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Config } from '../config.ts';
import { COMMAND_NAMES } from '../contract/socket-events.ts';
import { postgresOfferLogListener, pgliteOfferLogListener } from '../db/offer-log-listeners.ts';
import type { Em, Orm } from '../db/orm.ts';
import type { Deps, NoticeSink } from '../domain/context.ts';
import { readEventRange, readEventsSince } from '../domain/offer-log.ts';
import type { TokenService } from '../domain/tokens.ts';
import type { Logger } from '../logger.ts';
import { createCommandRunner } from './command-runner.ts';
import { createNoticePublisher } from './notice-publisher.ts';
import { createOfferLogRelay, type OfferLogRelay } from './offer-log-relay.ts';
import { registerOfferHandlers } from './offer-handlers.ts';
import type { RedisClients } from './redis.ts';
import { roomForUser } from './rooms.ts';
import { authenticateHandshakes } from './socket-auth.ts';
import type { IoServer } from './socket-types.ts';
import { registerSubscriptionHandlers } from './subscription-handlers.ts';
import { watchSlowConsumers } from './slow-consumers.ts';

/** The live side of a node. */
export type Realtime = {
  io: IoServer;
  relay: OfferLogRelay;
  notices: NoticeSink;
  start(): Promise<void>;
  /** Refuses new commands and waits for those in flight, then drops connections so clients move to another node. */
  drain(ms: number): Promise<void>;
  close(): Promise<void>;
};

/** Socket messages above this size close the connection (commands are tiny). */
export const MAX_SOCKET_MESSAGE_BYTES = 16 * 1024;
const KNOWN_COMMANDS = new Set<string>(COMMAND_NAMES);

export function createRealtime(options: {
  httpServer: HttpServer;
  config: Config;
  logger: Logger;
  orm: Orm;
  redis: RedisClients | undefined;
  tokens: TokenService;
  depsFor(em: Em): Deps;
}): Realtime {
  const { config, logger, orm, redis } = options;
  const fork = () => orm.em.fork() as Em;
  const io: IoServer = new Server(options.httpServer, {
    path: '/socket.io',
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    connectTimeout: 10_000,
    serveClient: false,
    cors: { origin: [...config.corsOrigins], methods: ['GET', 'POST'] },
    ...(redis ? { adapter: createAdapter(redis.pub, redis.sub, { key: config.redisPrefix }) } : {}),
  });

  const notices = createNoticePublisher(io);
  const relay = createOfferLogRelay({
    io,
    logger,
    listener: config.databaseUrl
      ? postgresOfferLogListener(config.databaseUrl, logger)
      : pgliteOfferLogListener(orm),
    reader: {
      range: (cleaningId, from, to) => readEventRange(fork(), cleaningId, from, to),
      since: (at) => readEventsSince(fork(), at),
    },
  });
  const commands = createCommandRunner({
    fork,
    depsFor: options.depsFor,
    logger,
    commandsPerSecond: config.socketCommandsPerSecond,
    afterCommit: config.faultKillAfterCommit
      ? (command) => {
          if (command === config.faultKillAfterCommit) process.kill(process.pid, 'SIGKILL');
        }
      : undefined,
  });

  authenticateHandshakes(io, { fork, depsFor: options.depsFor, logger });
  const stopWatchingSlowConsumers = watchSlowConsumers(
    io,
    { maxBufferedBytes: config.slowConsumerMaxBytes, maxPendingPackets: config.slowConsumerMaxPackets },
    logger,
  );

  io.on('connection', (socket) => {
    void socket.join(roomForUser(socket.data.userId));
    const expiresIn = socket.data.expiresAt - Date.now();
    const expiry = setTimeout(
      () => {
        socket.emit('session:expired', { detail: 'Token expired.' });
        socket.disconnect(true);
      },
      Math.max(0, Math.min(expiresIn, 2 ** 31 - 1)),
    );
    socket.onAny((event: string, ...args: unknown[]) => {
      if (!KNOWN_COMMANDS.has(event)) commands.refuseUnknown(args);
    });
    registerOfferHandlers(socket, { commands });
    registerSubscriptionHandlers(socket, { commands, relay });
    socket.on('disconnect', () => {
      clearTimeout(expiry);
      relay.forget(socket);
    });
  });

  return {
    io,
    relay,
    notices,
    start: () => relay.start(),
    async drain(ms) {
      await commands.drain(ms);
      // Closing the transports (rather than disconnecting) makes clients reconnect, to another node.
      io.engine.close();
    },
    async close() {
      stopWatchingSlowConsumers();
      await relay.stop();
      io.engine.close();
      await io.of('/').adapter.close?.();
    },
  };
}
