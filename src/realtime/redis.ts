import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** The Redis connections a node holds: commands, and the adapter's publish and subscribe pair. */
export type RedisClients = { command: Redis; pub: Redis; sub: Redis; quit(): Promise<void> };

/**
 * Connects to Redis and waits until it answers. ioredis reconnects by itself afterwards; while Redis is
 * away, cross-node pushes pause and clients recover what they missed through their resync.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisClients> {
  const make = (role: string) => {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      connectionName: `phresh-${role}`,
    });
    let down = false;
    client.on('error', (err) => {
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
  await Promise.all([command.connect(), pub.connect(), sub.connect()]);
  return {
    command,
    pub,
    sub,
    async quit() {
      await Promise.allSettled([command.quit(), pub.quit(), sub.quit()]);
    },
  };
}
