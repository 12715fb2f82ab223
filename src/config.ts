import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import webpush from 'web-push';
import { z } from 'zod';
import {
  DEFAULT_PUSH_SERVICE_ORIGINS,
  parsePushServiceOrigin,
  type PushServiceOrigin,
} from './push/service-origins.ts';

const portSchema = z.coerce.number().int().min(0).max(65535);

/** Express's names for whole ranges of private addresses. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

/**
 * Off (`false`), a number of proxy hops to trust, or the addresses and CIDR ranges of trusted proxies. Trusting
 * every hop (`true`) is refused: any client could then choose its own address with `X-Forwarded-For`.
 */
const trustProxySchema = z
  .string()
  .trim()
  .transform((value, ctx): false | number | string[] => {
    if (value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops <= 32) return hops;
    }
    const entries = value.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (bad.length === 0) return entries;
    ctx.addIssue({
      code: 'custom',
      message: `must be a hop count (1-32) or comma-separated addresses/CIDRs (or loopback, linklocal, uniquelocal); bad: ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
    });
    return z.NEVER;
  });

/** One seed node of a Redis Cluster, as `host:port`. */
const clusterNodeSchema = z
  .string()
  .regex(/^[\w.-]+:\d+$/, 'each node must be host:port')
  .transform((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  })
  .refine(({ port }) => port >= 1 && port <= 65535, 'each port must be 1 to 65535');

/** A comma-separated allow-list of push-service origins; each entry is checked, every bad one reported. */
const pushOriginsSchema = z.string().transform((list, ctx): PushServiceOrigin[] => {
  const parsed = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(parsePushServiceOrigin);
  const bad = parsed.filter((p): p is string => typeof p === 'string');
  if (bad.length > 0 || parsed.length === 0) {
    ctx.addIssue({ code: 'custom', message: bad.length > 0 ? bad.join('; ') : 'at least one origin' });
    return z.NEVER;
  }
  return parsed as PushServiceOrigin[];
});

/** A VAPID key in base64url of exactly `bytes` bytes (a P-256 public point, or a private scalar). */
const vapidKeySchema = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding')
    .refine((key) => Buffer.from(key, 'base64url').length === bytes, `must be ${bytes} bytes, base64url`);

const envSchema = z.object({
  PORT: portSchema.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_LISTEN_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  // Below the statement timeout (15 s), so that a wait for a stalled holder's lock ends first, as a clean 503.
  DATABASE_LOCK_TIMEOUT_MS: z.coerce.number().int().min(100).max(14_000).default(3_000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(5_000),
  // 0 turns the cache off; at most a minute, since a deactivated account stays usable that long on a node that missed its notice.
  AUTH_USER_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((node) => node.trim())
        .filter(Boolean),
    )
    .pipe(z.array(clusterNodeSchema).min(1, 'at least one host:port'))
    .optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w:-]{1,64}$/, 'letters, digits, "_", "-" and ":" only')
    .default('phresh'),
  DATA_DIR: z.string().min(1).default('./data'),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_EXPIRE_MINUTES: z.coerce
    .number()
    .positive()
    .max(60 * 24 * 365)
    .default(60 * 24 * 7),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  CORS_ORIGINS: z.string().default(''),
  TRUST_PROXY: trustProxySchema.default(false),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  LOGIN_IP_RATE_LIMIT: z.coerce.number().int().min(1).default(100),
  LOGIN_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  REGISTER_IP_RATE_LIMIT: z.coerce.number().int().min(1).default(20),
  REGISTER_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(600),
  SOCKET_COMMANDS_PER_SECOND: z.coerce.number().int().min(1).default(50),
  SOCKETS_PER_ACCOUNT: z.coerce.number().int().min(1).max(100_000).default(20),
  SLOW_CONSUMER_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  SLOW_CONSUMER_MAX_PACKETS: z.coerce.number().int().min(10).default(2000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  NOTICE_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(24 * 60 * 60),
  NODE_ID: z.string().min(1).optional(),
  METRICS_PORT: portSchema.optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  VAPID_PUBLIC_KEY: vapidKeySchema(65).optional(),
  VAPID_PRIVATE_KEY: vapidKeySchema(32).optional(),
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/, 'must be a mailto: address or an https: URL')
    .optional(),
  PUSH_SERVICE_ORIGINS: pushOriginsSchema.default(pushOriginsSchema.parse(DEFAULT_PUSH_SERVICE_ORIGINS)),
  PUSH_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(28 * 24 * 3600)
    .default(24 * 3600),
  PUSH_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
});

/** The name of every environment variable the server reads (`.env.example` lists each with its default). */
export const SETTING_NAMES = Object.freeze(Object.keys(envSchema.shape));

/** Everything the server reads from its environment, validated once at start. */
export type Config = Readonly<{
  port: number;
  host: string;
  /** PostgreSQL URL; absent means embedded PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  /**
   * Where the offer log's LISTEN connection goes: a direct PostgreSQL connection when `databaseUrl` goes
   * through a transaction-mode pooler (PgBouncer), which cannot keep a LISTEN. Defaults to `databaseUrl`.
   */
  databaseListenUrl: string | undefined;
  databasePoolMax: number;
  /** How long a statement waits for a row lock before the command answers 503 `LOCK_TIMEOUT`. */
  databaseLockTimeoutMs: number;
  /** A session that holds a transaction open and sends nothing this long is cut, releasing its locks. */
  databaseIdleInTransactionTimeoutMs: number;
  /**
   * How long a node reuses an account it read for a token (0: never). A deactivation is seen at once on the node
   * that made it and on every node that hears its notice; this is the bound for a node that has not.
   */
  authUserCacheMs: number;
  /** Redis URL; absent means a single node on the in-memory socket.io adapter. */
  redisUrl: string | undefined;
  /** Seed nodes of a Redis Cluster, used instead of `redisUrl`; empty when Redis is a single server. */
  redisClusterNodes: ReadonlyArray<Readonly<{ host: string; port: number }>>;
  /** Namespace of every Redis key and channel, so that several deployments can share one Redis. */
  redisPrefix: string;
  dataDir: string;
  secretKey: string;
  accessTokenExpireMinutes: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** `auto` (the default) means readable lines on a terminal and JSON lines anywhere else. */
  logFormat: 'json' | 'pretty';
  /** Origins allowed by CORS (REST and socket.io). Empty means same-origin only. */
  corsOrigins: readonly string[];
  /**
   * Which peers may tell us the client's address through `X-Forwarded-For`: off, a hop count, or the proxies'
   * addresses. It decides `req.ip`, and so every per-IP limit.
   */
  trustProxy: false | number | readonly string[];
  /** Login attempts allowed per email, and per client IP, in each window. */
  loginRateLimit: number;
  loginIpRateLimit: number;
  loginRateWindowSeconds: number;
  /** Registrations allowed per client IP in each window (which opens at the first one). */
  registerIpRateLimit: number;
  registerRateWindowSeconds: number;
  socketCommandsPerSecond: number;
  /** Live sockets one account may hold on one node; the next handshake is refused with 429. */
  socketsPerAccount: number;
  shutdownGraceMs: number;
  /** A socket with more unread output than this is disconnected (it resyncs when it comes back). */
  slowConsumerMaxBytes: number;
  slowConsumerMaxPackets: number;
  /**
   * How long job-board and session notices stay in the log. Only a node catching up after a lost LISTEN
   * connection reads them, so this bounds how long such an outage may last without losing notices.
   */
  noticeRetentionSeconds: number;
  /** Name of this node in logs. */
  nodeId: string;
  /**
   * Port of the Prometheus `/metrics` listener; undefined means no metrics endpoint at all. It is a listener of
   * its own, on `metricsHost` (loopback unless set), so that metrics are never public by accident.
   */
  metricsPort: number | undefined;
  metricsHost: string;
  push: PushConfig;
}>;

/** The VAPID identity the server signs its pushes with (RFC 8292). */
export type VapidKeys = Readonly<{ publicKey: string; privateKey: string; subject: string }>;

/** Web Push: off (`vapid` undefined) when a PostgreSQL deployment was given no VAPID keys. */
export type PushConfig = Readonly<{
  vapid: VapidKeys | undefined;
  /** The only origins a subscription's endpoint may be on. */
  serviceOrigins: readonly PushServiceOrigin[];
  /** How long a push service keeps an undelivered notification, and how long we retry one. */
  ttlSeconds: number;
  /** Most pushes one node has open at once. */
  maxInFlight: number;
}>;

/** A configuration problem, worded for one line on stderr. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function embeddedSecret(dataDir: string): string {
  // Embedded mode has no operator to hand us a secret, so we make one once and keep it with the data.
  const file = join(dataDir, 'secret-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

/** The subject of an embedded node's pushes when `VAPID_SUBJECT` is not set. */
export const EMBEDDED_VAPID_SUBJECT = 'mailto:push@localhost';

function embeddedVapidKeys(dataDir: string): { publicKey: string; privateKey: string } {
  // Like the secret key: made once, kept with the data, so that browsers' subscriptions stay valid.
  const file = join(dataDir, 'vapid-keys.json');
  if (existsSync(file))
    return JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; privateKey: string };
  mkdirSync(dataDir, { recursive: true });
  const keys = webpush.generateVAPIDKeys();
  writeFileSync(file, JSON.stringify(keys) + '\n', { mode: 0o600, flag: 'wx' });
  return keys;
}

function pushConfig(e: z.infer<typeof envSchema>, dataDir: string): PushConfig {
  const given = [e.VAPID_PUBLIC_KEY, e.VAPID_PRIVATE_KEY].filter(Boolean).length;
  if (given === 1)
    throw new ConfigError('invalid configuration: VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both or neither');
  let vapid: VapidKeys | undefined;
  if (given === 2) {
    if (!e.VAPID_SUBJECT)
      throw new ConfigError('invalid configuration: VAPID_SUBJECT: required with the VAPID keys');
    vapid = { publicKey: e.VAPID_PUBLIC_KEY!, privateKey: e.VAPID_PRIVATE_KEY!, subject: e.VAPID_SUBJECT };
  } else if (!e.DATABASE_URL) {
    vapid = { ...embeddedVapidKeys(dataDir), subject: e.VAPID_SUBJECT ?? EMBEDDED_VAPID_SUBJECT };
  }
  return Object.freeze({
    vapid: vapid && Object.freeze(vapid),
    serviceOrigins: Object.freeze([...e.PUSH_SERVICE_ORIGINS]),
    ttlSeconds: e.PUSH_TTL_SECONDS,
    maxInFlight: e.PUSH_MAX_IN_FLIGHT,
  });
}

/**
 * The environment, completed by a `.env` file in the working directory if there is one (`cp .env.example .env`).
 * A variable set in the real environment wins over the file.
 */
export function withDotEnv(env: NodeJS.ProcessEnv, file = '.env'): NodeJS.ProcessEnv {
  if (!existsSync(file)) return env;
  return { ...parseEnv(readFileSync(file, 'utf8')), ...env };
}

/** Parses the environment; every bad variable is reported at once, in one line. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTerminal = process.stdout.isTTY === true,
): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.DATABASE_LISTEN_URL && !e.DATABASE_URL) {
    throw new ConfigError('invalid configuration: DATABASE_LISTEN_URL: needs DATABASE_URL beside it');
  }
  if (e.REDIS_URL && e.REDIS_CLUSTER_NODES) {
    throw new ConfigError('invalid configuration: REDIS_CLUSTER_NODES: set either it or REDIS_URL, not both');
  }
  const dataDir = resolve(e.DATA_DIR);
  let secretKey = e.SECRET_KEY;
  if (!secretKey) {
    if (e.DATABASE_URL) {
      throw new ConfigError('invalid configuration: SECRET_KEY: required when DATABASE_URL is set');
    }
    secretKey = embeddedSecret(dataDir);
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseListenUrl: e.DATABASE_LISTEN_URL ?? e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databaseLockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
    databaseIdleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    authUserCacheMs: e.AUTH_USER_CACHE_MS,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: Object.freeze((e.REDIS_CLUSTER_NODES ?? []).map((node) => Object.freeze(node))),
    redisPrefix: e.REDIS_PREFIX,
    dataDir,
    secretKey,
    accessTokenExpireMinutes: e.ACCESS_TOKEN_EXPIRE_MINUTES,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT === 'auto' ? (stdoutIsTerminal ? 'pretty' : 'json') : e.LOG_FORMAT,
    corsOrigins: Object.freeze(
      e.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
    trustProxy: Array.isArray(e.TRUST_PROXY) ? Object.freeze([...e.TRUST_PROXY]) : e.TRUST_PROXY,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    loginIpRateLimit: e.LOGIN_IP_RATE_LIMIT,
    loginRateWindowSeconds: e.LOGIN_RATE_WINDOW_SECONDS,
    registerIpRateLimit: e.REGISTER_IP_RATE_LIMIT,
    registerRateWindowSeconds: e.REGISTER_RATE_WINDOW_SECONDS,
    socketCommandsPerSecond: e.SOCKET_COMMANDS_PER_SECOND,
    socketsPerAccount: e.SOCKETS_PER_ACCOUNT,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    slowConsumerMaxBytes: e.SLOW_CONSUMER_MAX_BYTES,
    slowConsumerMaxPackets: e.SLOW_CONSUMER_MAX_PACKETS,
    noticeRetentionSeconds: e.NOTICE_RETENTION_SECONDS,
    nodeId: e.NODE_ID ?? `node-${randomBytes(4).toString('hex')}`,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    push: pushConfig(e, dataDir),
  });
}
