import { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** One Redis server, or a Redis Cluster: every caller uses only commands both answer the same way. */
export type RedisClient = Redis | Cluster;

/** The Redis connections a node holds: commands, and the adapter's publish and subscribe pair. */
export type RedisClients = {
  command: RedisClient;
  pub: RedisClient;
  sub: RedisClient;
  quit(): Promise<void>;
};

/** Where Redis is: one URL, or the seed nodes of a Redis Cluster. */
export type RedisTarget = { url: string } | { clusterNodes: ReadonlyArray<{ host: string; port: number }> };

/** The adapter publishes with SPUBLISH and subscribes with SSUBSCRIBE, which Redis has since 7.0. */
const MIN_REDIS_MAJOR = 7;

/**
 * Connects to Redis and waits until it answers. ioredis reconnects by itself afterwards; while Redis (or one
 * master of a cluster) is away, cross-node pushes through it pause and clients recover what they missed
 * through their resync.
 */
export async function connectRedis(target: RedisTarget, logger: Logger): Promise<RedisClients> {
  const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2000);
  const make = (role: string): RedisClient => {
    const connectionName = `phresh-${role}`;
    const client: RedisClient =
      'url' in target
        ? new Redis(target.url, {
            lazyConnect: true,
            maxRetriesPerRequest: 2,
            enableOfflineQueue: true,
            retryStrategy,
            connectionName,
          })
        : new Cluster([...target.clusterNodes], {
            lazyConnect: true,
            enableOfflineQueue: true,
            clusterRetryStrategy: retryStrategy,
            // A restarted master comes back on its old address with its old slots: reconnect to it rather
            // than wait for a MOVED that never comes.
            clusterNodeRetryStrategy: retryStrategy,
            // One subscriber per master, each holding the sharded channels of its own slots.
            shardedSubscribers: role === 'sub',
            redisOptions: { maxRetriesPerRequest: 2, connectionName },
          });
    let down = false;
    client.on('error', (err: Error) => {
      if (!down) logger.warn({ role, err: err.message }, 'redis connection error');
      down = true;
    });
    client.on('ready', () => {
      if (down) logger.info({ role }, 'redis connection restored');
      down = false;
    });
    return client;
  };
  const command = make('command');
  const pub = make('pub');
  const sub = make('sub');
  const all = [command, pub, sub];
  try {
    await Promise.all(all.map((c) => c.connect()));
    await requireShardedPubSub(command);
  } catch (err) {
    all.forEach((c) => c.disconnect());
    throw err;
  }
  return {
    command,
    pub,
    sub,
    async quit() {
      await Promise.allSettled(all.map((c) => c.quit()));
    },
  };
}

async function requireShardedPubSub(client: RedisClient): Promise<void> {
  const info = await client.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '0';
  if (Number(version.split('.')[0]) < MIN_REDIS_MAJOR) {
    throw new Error(`Redis ${version} has no sharded pub/sub: ${MIN_REDIS_MAJOR}.0 or later is required`);
  }
}
