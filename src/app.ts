import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Request } from 'express';
import type { Config } from './config.ts';
import { openOrm, type Orm, type Em } from './db/orm.ts';
import type { Deps, NoticeSink } from './domain/context.ts';
import { createTokenService } from './domain/tokens.ts';
import { createHttpApp } from './http/http-app.ts';
import { memoryLoginGuard, redisLoginGuard } from './http/login-guard.ts';
import { answerUnreadableRequests } from './http/unreadable-requests.ts';
import { guardRequestListeners } from './http/request-guard.ts';
import type { RouteTable } from './http/route-table.ts';
import { registerCleaningRoutes } from './http/routes/cleanings.ts';
import { registerOfferRoutes } from './http/routes/offers.ts';
import { registerProfileRoutes } from './http/routes/profiles.ts';
import { registerUserRoutes } from './http/routes/users.ts';
import { createLogger, type Logger } from './logger.ts';
import { createRealtime, type Realtime } from './realtime/realtime.ts';
import { connectRedis, type RedisClients } from './realtime/redis.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const DASHBOARD_DIR = fileURLToPath(new URL('../client/dashboard/dist', import.meta.url));

/** A running instance: tests start as many as they like (port 0); only main.ts listens on the configured port. */
export type App = {
  httpServer: HttpServer;
  realtime: Realtime;
  orm: Orm;
  logger: Logger;
  config: Config;
  /** Listens on `port` (0 picks a free one) and resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Graceful stop: refuse new work, finish in-flight commands, close sockets, then storage. */
  close(): Promise<void>;
};

export type AppOptions = { logger?: Logger };

/** Builds the whole server without side effects beyond opening its database and Redis connections. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const orm = await openOrm(config, { logger });
  const redis: RedisClients | undefined = config.redisUrl
    ? await connectRedis(config.redisUrl, logger)
    : undefined;
  const tokens = createTokenService(config.secretKey, config.accessTokenExpireMinutes);
  const httpServer = createServer();
  answerUnreadableRequests(httpServer);
  // The REST app's listener must exist before socket.io attaches: engine.io then takes it over and hands it
  // only what is not on its own path, so that nothing but engine.io ever answers a `/socket.io/` request.
  let restApp: RequestListener | undefined;
  httpServer.on('request', (req, res) => {
    if (restApp) restApp(req, res);
    else res.writeHead(503).end();
  });

  let notices: NoticeSink = { publish() {} };
  const depsFor = (em: Em): Deps => ({ em, tokens, notices });

  const realtime = createRealtime({ httpServer, config, logger, orm, redis, tokens, depsFor });
  notices = realtime.notices;
  await realtime.start();

  const routes: RouteTable = [];
  const loginLimits = {
    perEmail: config.loginRateLimit,
    perIp: config.loginIpRateLimit,
    windowSeconds: config.loginRateWindowSeconds,
  };
  const loginGuard = redis
    ? redisLoginGuard(redis.command, loginLimits, config.redisPrefix)
    : memoryLoginGuard(loginLimits);
  registerUserRoutes(routes, { loginGuard });
  registerProfileRoutes(routes);
  registerCleaningRoutes(routes);
  registerOfferRoutes(routes);

  let stopping = false;
  const forks = new WeakMap<Request, Em>();
  const httpApp = createHttpApp({
    routes,
    logger,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    version: packageJson.version,
    openUnitOfWork: (req, _res, next) => {
      forks.set(req, orm.em.fork() as Em);
      next();
    },
    deps: {
      depsFor: (req) => depsFor(forks.get(req) ?? (orm.em.fork() as Em)),
    },
    health: {
      live: () => !stopping,
      ready: async () => {
        const checks: Record<string, 'ok' | 'down'> = {};
        try {
          await (orm.em.fork() as Em).execute('select 1');
          checks.database = 'ok';
        } catch {
          checks.database = 'down';
        }
        if (redis) checks.redis = redis.command.status === 'ready' ? 'ok' : 'down';
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
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const address = httpServer.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    async close() {
      if (stopping) return;
      stopping = true;
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await realtime.drain(config.shutdownGraceMs);
      httpServer.closeIdleConnections();
      const forced = setTimeout(() => httpServer.closeAllConnections(), config.shutdownGraceMs).unref();
      await httpClosed;
      clearTimeout(forced);
      await realtime.close();
      await redis?.quit();
      await orm.close(true);
    },
  };
  return app;
}
