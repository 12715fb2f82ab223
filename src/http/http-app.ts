import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { domainError } from '../domain/errors.ts';
import { docsRouter } from './docs-page.ts';
import { errorHandler, sendError, sendJson } from './error-responses.ts';
import type { HttpDeps } from './http-deps.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { mountRoutes, type RouteTable } from './route-table.ts';

export type HttpAppOptions = {
  routes: RouteTable;
  deps: HttpDeps;
  logger: Logger;
  metrics: Pick<Metrics, 'httpRequest'>;
  corsOrigins: readonly string[];
  /** Express's `trust proxy`: off, a hop count, or the trusted proxies' addresses and ranges. */
  trustProxy: false | number | readonly string[];
  version: string;
  /** The socket API's AsyncAPI document, served at /api/asyncapi.json and rendered at /docs/socket. */
  asyncapi: Record<string, unknown>;
  /** `off`: a part the configuration leaves out (Web Push without VAPID keys); it does not make the node unready. */
  health: { live(): boolean; ready(): Promise<Record<string, 'ok' | 'down' | 'off'>> };
  /** Static files of the built dashboard, if any. */
  dashboardDir?: string | undefined;
};

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The request's id: the client's `X-Request-Id` when it reads as one, else a new one; echoed back. */
function assignRequestId(req: Request, res: Response): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
}

/** The route's pattern for metrics: the route table's path, or Express's for the few routes outside it. */
function routeLabel(req: Request, res: Response): string {
  if (typeof res.locals.route === 'string') return res.locals.route;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  // Anything else (static files, 404s) is one label: raw paths would let clients grow the series without bound.
  return typeof path === 'string' ? req.baseUrl + path : '(unmatched)';
}

/** One access-log line and one metrics sample per request, when its answer has been sent. */
function accessLog(logger: Logger, metrics: Pick<Metrics, 'httpRequest'>) {
  return (req: Request, res: Response): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.httpRequest(req.method, routeLabel(req, res), res.statusCode, ms / 1000);
      logger.info(
        {
          reqId: res.locals.requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          userId: res.locals.userId,
        },
        'request',
      );
    });
  };
}

/** The dashboard's needs and nothing more: its own scripts, its socket, inline styles of its components. */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'connect-src': ["'self'", 'ws:', 'wss:'],
  'img-src': ["'self'", 'data:', 'https:'],
  'style-src': ["'self'", "'unsafe-inline'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
};

/**
 * What a helmet middleware does to every answer, found by running it once: with no per-request directive (no
 * nonce), helmet sets the same headers on every answer, so they are set from this list instead of through its
 * dozen chained middlewares. Anything else helmet did (another call, a late or failed `next`) throws here, at
 * start-up.
 */
export function recordHeaders(middleware: RequestHandler): { set: [string, string][]; removed: string[] } {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => void set.push([name, String(value)]),
    removeHeader: (name: string) => void removed.push(name),
  };
  let passed = false;
  middleware({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error(String(err));
    passed = true;
  });
  if (!passed) throw new Error('the security headers middleware did not pass the request on at once');
  return { set, removed };
}

/** Helmet's headers, and `no-store` on the API's answers. */
function securityHeaders() {
  const { set, removed } = recordHeaders(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      // Ignored over plain HTTP; behind a TLS terminator it keeps browsers on HTTPS.
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  return (req: Request, res: Response): void => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    // API answers carry tokens and private data: no browser or proxy may keep a copy.
    if (req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
  };
}

/**
 * Answers CORS only for configured origins; every other origin gets no CORS headers at all. True when it
 * answered the request (a preflight).
 */
function cors(allowed: readonly string[]) {
  const origins = new Set(allowed);
  return (req: Request, res: Response): boolean => {
    const origin = req.headers.origin;
    if (!origin || !origins.has(origin)) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return true;
    }
    return false;
  };
}

/**
 * What every request gets before its route, in this order: its id, the security headers, its access-log line
 * (and metrics) once answered, and CORS. One middleware rather than one each: Express's router costs a dispatch
 * per middleware, on every request.
 */
function everyRequest(options: HttpAppOptions): RequestHandler {
  const headers = securityHeaders();
  const logged = accessLog(options.logger, options.metrics);
  const answeredCors = cors(options.corsOrigins);
  return (req, res, next) => {
    assignRequestId(req, res);
    headers(req, res);
    logged(req, res);
    if (!answeredCors(req, res)) next();
  };
}

const HOST_HEADER = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/;

/** The AsyncAPI document with its server at the host the client reached (when that host reads as one). */
function withServerHost(doc: Record<string, unknown>, host: string | undefined): Record<string, unknown> {
  if (!host || !HOST_HEADER.test(host)) return doc;
  const servers = doc.servers as Record<string, Record<string, unknown>>;
  return {
    ...doc,
    servers: Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, { ...s, host }])),
  };
}

/** The REST side: middleware in order, the routes, the docs, the dashboard, and the error mapping. */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express's last-resort handler prints stacks outside production; nothing internal may reach a client.
  app.set('env', 'production');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('trust proxy', Array.isArray(options.trustProxy) ? [...options.trustProxy] : options.trustProxy);
  app.use(everyRequest(options));

  app.get('/healthz', (_req, res) => {
    const live = options.health.live();
    sendJson(res, live ? 200 : 503, { status: live ? 'ok' : 'stopping' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await options.health.ready();
    const ok = Object.values(checks).every((v) => v !== 'down');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks });
  });

  const openapi = buildOpenApiDocument(options.routes, options.version);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/api/asyncapi.json', (req, res) => {
    res.json(withServerHost(options.asyncapi, req.headers.host));
  });
  app.use(docsRouter(options.asyncapi));

  const api = express.Router({ strict: false, caseSensitive: true });
  mountRoutes(api, options.routes, options.deps);
  app.use(api);

  // A known path with another method is a 405, as in the original; anything else under /api is a 404.
  const known = options.routes.map((r) => ({
    method: r.method.toUpperCase(),
    pattern: new RegExp('^' + r.path.replace(/\/$/, '').replace(/\{\w+\}/g, '[^/]+') + '/?$'),
  }));
  app.use('/api', (req, res, next) => {
    const full = req.originalUrl.split('?')[0] ?? '';
    const methods = known.filter((k) => k.pattern.test(full)).map((k) => k.method);
    if (methods.length === 0) return next();
    res.setHeader('Allow', [...new Set(methods)].join(', '));
    sendError(res, domainError('METHOD_NOT_ALLOWED'));
  });
  app.use('/api', (_req, res) => sendError(res, domainError('ROUTE_NOT_FOUND')));

  if (options.dashboardDir) {
    app.use(express.static(options.dashboardDir, { index: 'index.html', maxAge: '5m' }));
  }
  app.use((_req, res) => sendError(res, domainError('ROUTE_NOT_FOUND')));
  app.use(errorHandler(options.logger));
  return app;
}
