// `npm run db:migrate`: applies pending migrations to the configured database, then exits.
import { loadConfig, ConfigError, withDotEnv } from '../config.ts';
import { openOrm } from './orm.ts';

try {
  const orm = await openOrm(loadConfig(withDotEnv(process.env)), { migrate: false });
  const applied = await orm.migrator.up();
  console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'schema is up to date');
  await orm.close(true);
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exitCode = 1;
}
