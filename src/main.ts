// The process entry point: the only place that reads the real environment, listens, and handles signals.
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { ConfigError, loadConfig, withDotEnv } from './config.ts';
import { createApp, DASHBOARD_DIR, type App } from './app.ts';

let config;
try {
  config = loadConfig(withDotEnv(process.env));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}

let app: App;
let url: string;
try {
  app = await createApp(config);
  url = await app.listen();
} catch (e) {
  // Usually the database or Redis is unreachable, or the port is taken: say so in one line and let the
  // supervisor restart us.
  console.error(`could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
const dataAt = relative(process.cwd(), config.dataDir);
const database = config.databaseUrl
  ? 'data in PostgreSQL'
  : `data in ${dataAt.startsWith('..') || isAbsolute(dataAt) ? config.dataDir : `./${dataAt}`}`;
const dashboard = existsSync(DASHBOARD_DIR) ? 'dashboard at /' : 'no dashboard (run npm run build)';
app.logger.info(
  {
    url,
    nodeId: config.nodeId,
    runtime: `node ${process.version}`,
    database: config.databaseUrl ? 'postgresql' : `pglite (${config.dataDir})`,
    redis: config.redisUrl ? 'on' : config.redisClusterNodes.length > 0 ? 'cluster' : 'off (single node)',
    metrics: app.metricsUrl() ? `${app.metricsUrl()}/metrics` : 'off',
  },
  `Phresh Live on ${url}, ${dashboard}, API docs at /docs, ${database}` +
    (config.redisUrl ? ', Redis on' : '') +
    (app.metricsUrl() ? `, metrics at ${app.metricsUrl()}/metrics` : ''),
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  app.logger.info({ signal }, 'shutting down');
  try {
    await app.close();
    process.exit(0);
  } catch (err) {
    app.logger.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// Every request, command and handshake already answers its own failures; what still escapes (a callback of a
// library, say) is logged and the node stays up, so that no input from outside can stop it.
process.on('unhandledRejection', (err) => app.logger.error({ err }, 'unhandled rejection'));
process.on('uncaughtException', (err) => app.logger.error({ err }, 'uncaught exception'));
