import pg from 'pg';
import type { PgliteConnection } from '@mikro-orm/pglite';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { EVENT_CHANNEL } from './channel.ts';

/**
 * Hears committed appends (PostgreSQL NOTIFY). After it had to reconnect, it reports since when it was deaf
 * (`onReconnected`) before it passes on anything heard on the new connection.
 */
export type EventListener = {
  start(onPayload: (payload: string) => void, onReconnected: (downSince: Date) => void): Promise<void>;
  stop(): Promise<void>;
};

/**
 * LISTENs on its own connection (a pooled one would lose the subscription) and reconnects by itself;
 * after a reconnect it reports since when it was deaf, so that the relay can read what it missed.
 */
export function postgresEventListener(url: string, logger: Logger): EventListener {
  let client: pg.Client | undefined;
  let stopped = false;
  let downSince: Date | undefined;
  let retry: NodeJS.Timeout | undefined;
  let handlers: { onPayload: (p: string) => void; onReconnected: (d: Date) => void } | undefined;

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 3000 });
    // A notification can arrive in the same read as LISTEN's answer, before this function resumes: it is kept
    // until the reconnect was reported, so that the relay reads what it missed before it hears anything new.
    let early: string[] | undefined = [];
    c.on('notification', (msg) => {
      if (msg.channel !== EVENT_CHANNEL || !msg.payload) return;
      if (early) early.push(msg.payload);
      else handlers?.onPayload(msg.payload);
    });
    const lost = (err?: Error) => {
      if (client !== c || stopped) return;
      client = undefined;
      downSince ??= new Date();
      logger.warn({ err: err?.message }, 'event listener lost its connection; reconnecting');
      c.removeAllListeners('error');
      c.on('error', () => {});
      c.end().catch(() => {});
      schedule();
    };
    c.on('error', lost);
    c.on('end', () => lost());
    await c.connect();
    await c.query(`LISTEN ${EVENT_CHANNEL}`);
    client = c;
    if (downSince) {
      const since = downSince;
      downSince = undefined;
      handlers?.onReconnected(since);
    }
    const heard = early;
    early = undefined;
    for (const payload of heard) handlers?.onPayload(payload);
  }

  function schedule(delay = 250) {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch(() => schedule(Math.min(delay * 2, 2000)));
    }, delay);
  }

  return {
    async start(onPayload, onReconnected) {
      handlers = { onPayload, onReconnected };
      await connect();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}

/** The embedded database runs in this process: its notifications cannot be lost, only unsubscribed. */
export function pgliteEventListener(orm: Orm): EventListener {
  let unlisten: (() => Promise<void>) | undefined;
  return {
    async start(onPayload) {
      const connection = orm.em.getConnection() as unknown as PgliteConnection;
      const pglite = await connection.getNativeClient();
      unlisten = await pglite.listen(EVENT_CHANNEL, onPayload);
    },
    async stop() {
      await unlisten?.().catch(() => {});
    },
  };
}
