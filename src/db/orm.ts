import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { MikroORM as PostgresORM, type Options as PostgresOptions } from '@mikro-orm/postgresql';
import { MikroORM as PgliteORM } from '@mikro-orm/pglite';
import type { SqlEntityManager, AbstractSqlDriver } from '@mikro-orm/sql';
import { Migrator } from '@mikro-orm/migrations';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { entities } from './entities/index.ts';
import { migrationsList } from './migrations/index.ts';

/** The ORM as the rest of the code sees it: either driver, same entities, same migrations. */
export type Orm = Awaited<ReturnType<typeof PostgresORM.init>> | Awaited<ReturnType<typeof PgliteORM.init>>;
export type Em = SqlEntityManager<AbstractSqlDriver>;

type OrmConfig = Pick<
  Config,
  | 'databaseUrl'
  | 'dataDir'
  | 'databasePoolMax'
  | 'databaseLockTimeoutMs'
  | 'databaseIdleInTransactionTimeoutMs'
>;

/** Options shared by both drivers; `mikro-orm.config.ts` exposes the same thing to tooling. */
export function ormOptions(config: OrmConfig) {
  const common = {
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ensureDatabase: false,
    debug: false,
  } satisfies PostgresOptions;
  if (config.databaseUrl) {
    return {
      kind: 'postgresql' as const,
      options: {
        ...common,
        clientUrl: config.databaseUrl,
        pool: { min: 0, max: config.databasePoolMax, idleTimeoutMillis: 30_000 },
        // Fail fast when PostgreSQL is away (callers answer 503), and never let a stuck statement pin a connection.
        // A stalled holder of a lock (a frozen node) costs others one lock wait, a clean 503, and its own
        // session is cut once idle in its transaction; keepalive finds a peer that vanished without a word.
        driverOptions: {
          connectionTimeoutMillis: 2_000,
          keepAlive: true,
          keepAliveInitialDelayMillis: 10_000,
          statement_timeout: 15_000,
          lock_timeout: config.databaseLockTimeoutMs,
          idle_in_transaction_session_timeout: config.databaseIdleInTransactionTimeoutMs,
        },
      },
    };
  }
  const dir = join(config.dataDir, 'pglite');
  return { kind: 'pglite' as const, options: { ...common, dbName: dir } };
}

/** Opens the database named by the configuration and brings its schema up to date. */
export async function openOrm(
  config: OrmConfig,
  { migrate = true, logger }: { migrate?: boolean; logger?: Logger } = {},
): Promise<Orm> {
  const chosen = ormOptions(config);
  const logging = {
    colors: false,
    logger: (message: string) => (logger ? logger.info({ component: 'orm' }, message) : console.log(message)),
  };
  let orm: Orm;
  if (chosen.kind === 'postgresql') {
    orm = await PostgresORM.init({ ...chosen.options, ...logging });
  } else {
    mkdirSync(chosen.options.dbName, { recursive: true });
    orm = await PgliteORM.init({ ...chosen.options, ...logging });
  }
  if (migrate) await orm.migrator.up();
  return orm;
}
