// Configuration for MikroORM tooling; the server itself builds the same options in src/db/orm.ts.
import { loadConfig } from './src/config.ts';
import { ormOptions } from './src/db/orm.ts';

export default ormOptions(loadConfig()).options;
