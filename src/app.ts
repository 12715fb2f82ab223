import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.ts';
import { openOrm, type Orm, type Em } from './db/orm.ts';
import type { Deps } from './domain/context.ts';
import { createAuthUserCache } from './domain/auth-user-cache.ts';
import { createTokenService } from './domain/tokens.ts';
import { createHttpApp } from './http/http-app.ts';
import { memoryLoginGuard, redisLoginGuard, type LoginGuard } from './http/login-guard.ts';
import { memoryRegistrationGuard, redisRegistrationGuard } from './http/registration-guard.ts';
import { answerUnreadableRequests } from './http/unreadable-requests.ts';
import { guardRequestListeners } from './http/request-guard.ts';
import type { RouteTable } from './http/route-table.ts';
import { registerCleaningRoutes } from './http/routes/cleanings.ts';
import { registerEvaluationRoutes } from './http/routes/evaluations.ts';
import { registerOfferRoutes } from './http/routes/offers.ts';
import { registerProfileRoutes } from './http/routes/profiles.ts';
import { registerPushRoutes } from './http/routes/push.ts';
import { registerUserRoutes } from './http/routes/users.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type PoolUsage } from './metrics.ts';
import { DomainError } from './domain/errors.ts';
import { buildAsyncApiDocument } from './realtime/asyncapi.ts';
import { startNoticePruning } from './events/notice-retention.ts';
import { createRealtime, type Realtime } from './realtime/realtime.ts';
import { connectRedis, type RedisClients } from './realtime/redis.ts';
import { createPushDispatcher, type PushDispatcher } from './push/push-dispatcher.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
/** The built dashboard, served at `/` when present (`npm run build`). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../client/dashboard/dist', import.meta.url));

/** A running instance: tests start as many as they like (port 0); only main.ts listens on the configured port. */
export type App = {
  httpServer: HttpServer;
  realtime: Realtime;
  orm: Orm;
  logger: Logger;
  config: Config;
  /**
   * Listens on `port` (0 picks a free one) and resolves with the base URL; with `METRICS_PORT` set, opens the
   * metrics listener too.
   */
  listen(port?: number, host?: string): Promise<string>;
  /** Base URL of the metrics listener once listening, if metrics are on. */
  metricsUrl(): string | undefined;
  /** Graceful stop: refuse new work, finish in-flight commands, close sockets, then storage. */
  close(): Promise<void>;
};

export type AppOptions = {
  logger?: Logger;
  /** Called right after every transaction commits, before anything else happens (tests inject faults here). */
  afterCommit?: () => void;
};

/** Builds the whole server without side effects beyond opening its database and Redis connections. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, config.logFormat);
  const orm = await openOrm(config, { logger });
  const { afterCommit } = options;
  // Registered before any fork is made: forks copy the event manager's subscribers.
  if (afterCommit)
    orm.em.getEventManager().registerSubscriber({ afterTransactionCommit: () => afterCommit() });
  const redis: RedisClients | undefined = config.redisUrl
    ? await connectRedis({ url: config.redisUrl }, logger)
    : config.redisClusterNodes.length > 0
      ? await connectRedis({ clusterNodes: config.redisClusterNodes }, logger)
      : undefined;
  const tokens = createTokenService(config.secretKey, config.accessTokenExpireMinutes);
  const metrics = createMetrics({ defaultMetrics: config.metricsPort !== undefined });
  let metricsUrl: string | undefined;
  const httpServer = createServer();
  answerUnreadableRequests(httpServer);
  // The REST app's listener must exist before socket.io attaches: engine.io then takes it over and hands it
  // only what is not on its own path, so that nothing but engine.io ever answers a `/socket.io/` request.
  let restApp: RequestListener | undefined;
  httpServer.on('request', (req, res) => {
    if (restApp) restApp(req, res);
    else res.writeHead(503).end();
  });

  const authUsers = createAuthUserCache(config.authUserCacheMs);
  const depsFor = (em: Em): Deps => ({ em, tokens, authUsers });
  // A request's or handshake's own dependencies, its fork made when first used: one whose caller's account is
  // cached and that reads nothing (a handshake) makes none.
  const openUnitOfWork = (): Deps => {
    let em: Em | undefined;
    return {
      get em() {
        return (em ??= orm.em.fork() as Em);
      },
      tokens,
      authUsers,
    };
  };

  const { vapid } = config.push;
  const pushDispatcher: PushDispatcher | undefined = vapid
    ? createPushDispatcher({ orm, config: { ...config.push, vapid }, logger })
    : undefined;
  const realtime = createRealtime({
    httpServer,
    config,
    logger,
    orm,
    redis,
    tokens,
    depsFor,
    openUnitOfWork,
    metrics,
    onSessionClosed: (userId) => authUsers.evict(userId),
    onPushQueued: pushDispatcher?.wake,
  });
  metrics.watch({
    openSockets: () => realtime.io.of('/').sockets.size,
    pool: async (): Promise<PoolUsage | undefined> => {
      if (!config.databaseUrl) return undefined;
      const connection = orm.em.getConnection() as unknown as {
        getNativeClient(): Promise<{ totalCount: number; idleCount: number; waitingCount: number }>;
      };
      const pool = await connection.getNativeClient();
      return {
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        max: config.databasePoolMax,
      };
    },
  });
  await realtime.start();
  const noticePruning = startNoticePruning({
    orm,
    logger,
    retentionSeconds: config.noticeRetentionSeconds,
  });
  pushDispatcher?.start();

  const routes: RouteTable = [];
  const loginLimits = {
    perEmail: config.loginRateLimit,
    perIp: config.loginIpRateLimit,
    windowSeconds: config.loginRateWindowSeconds,
  };
  const limiter = redis
    ? redisLoginGuard(redis.command, loginLimits, config.redisPrefix)
    : memoryLoginGuard(loginLimits);
  const loginGuard: LoginGuard = {
    async admit(ip, email) {
      try {
        return await limiter.admit(ip, email);
      } catch (e) {
        if (e instanceof DomainError && e.code === 'RATE_LIMITED') metrics.loginRefused();
        throw e;
      }
    },
  };
  const registrationLimits = {
    perIp: config.registerIpRateLimit,
    windowSeconds: config.registerRateWindowSeconds,
  };
  const registrationGuard = redis
    ? redisRegistrationGuard(redis.command, registrationLimits, config.redisPrefix)
    : memoryRegistrationGuard(registrationLimits);
  registerUserRoutes(routes, { loginGuard, registrationGuard });
  registerProfileRoutes(routes);
  registerCleaningRoutes(routes);
  registerOfferRoutes(routes);
  registerEvaluationRoutes(routes);
  registerPushRoutes(routes, {
    policy: { publicKey: vapid?.publicKey, serviceOrigins: config.push.serviceOrigins },
  });

  let stopping = false;
  const httpApp = createHttpApp({
    routes,
    logger,
    metrics,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    version: packageJson.version,
    asyncapi: buildAsyncApiDocument(realtime.commandSchemas(), packageJson.version),
    // Each route opens its request's one unit of work where it starts, before auth (no context to lose across
    // body parsing); its fork is made on first use.
    deps: { openUnitOfWork },
    health: {
      live: () => !stopping,
      ready: async () => {
        const checks: Record<string, 'ok' | 'down' | 'off'> = {};
        try {
          await (orm.em.fork() as Em).execute('select 1');
          checks.database = 'ok';
        } catch {
          checks.database = 'down';
        }
        if (redis) checks.redis = redis.command.status === 'ready' ? 'ok' : 'down';
        checks.push = vapid ? 'ok' : 'off';
        return checks;
      },
    },
    dashboardDir: existsSync(DASHBOARD_DIR) ? DASHBOARD_DIR : undefined,
  });
  restApp = httpApp;
  guardRequestListeners(httpServer, logger);

  const app: App = {
    httpServer,
    realtime,
    orm,
    logger,
    config,
    async listen(port = config.port, host = config.host) {
      const url = await new Promise<string>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const address = httpServer.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
      if (config.metricsPort !== undefined && !metricsUrl) {
        metricsUrl = await metrics.serve(config.metricsPort, config.metricsHost, logger);
      }
      return url;
    },
    metricsUrl: () => metricsUrl,
    async close() {
      if (stopping) return;
      stopping = true;
      // The listener stays open while the live side drains: a long-polling client fetches the acks of its last
      // commands with a new request, and would lose them to a refused connection.
      await realtime.drain(config.shutdownGraceMs);
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      const forced = setTimeout(() => httpServer.closeAllConnections(), config.shutdownGraceMs).unref();
      await httpClosed;
      clearTimeout(forced);
      await pushDispatcher?.stop(config.shutdownGraceMs);
      await realtime.close();
      await noticePruning.stop();
      await metrics.close();
      await redis?.quit();
      await orm.close(true);
    },
  };
  return app;
}
