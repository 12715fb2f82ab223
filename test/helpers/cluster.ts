import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startServerProcess, type ServerProcess } from './process.ts';
import { TEST_SECRET, testEnv } from './server.ts';
import { requirePostgres, requireRedis } from './services.ts';

/** Several real server processes sharing one PostgreSQL database and one Redis, as production runs them. */
export type Cluster = {
  nodes: ServerProcess[];
  db: TestDatabase;
  env: Record<string, string>;
  /** Starts one more node with the same configuration. */
  addNode(): Promise<ServerProcess>;
  close(): Promise<void>;
};

export async function startCluster(
  size: number,
  extraEnv: Record<string, string> = {},
  options: { entry?: string } = {},
): Promise<Cluster> {
  requirePostgres();
  const redisUrl = requireRedis();
  const db = await createTestDatabase();
  const env = testEnv(db, {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `phresh-cluster-${randomBytes(4).toString('hex')}`,
    SECRET_KEY: TEST_SECRET,
    ...extraEnv,
  });
  // The first node applies the migrations; the others then find the schema up to date.
  const first = await startServerProcess({ ...env, NODE_ID: 'node-0' }, undefined, options.entry);
  const nodes = [
    first,
    ...(await Promise.all(
      Array.from({ length: size - 1 }, (_, i) =>
        startServerProcess({ ...env, NODE_ID: `node-${i + 1}` }, undefined, options.entry),
      ),
    )),
  ];
  return {
    nodes,
    db,
    env,
    async addNode() {
      const node = await startServerProcess(
        { ...env, NODE_ID: `node-${nodes.length}` },
        undefined,
        options.entry,
      );
      nodes.push(node);
      return node;
    },
    async close() {
      await Promise.all(
        nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? n.stop() : undefined)),
      );
      await db.drop();
    },
  };
}
