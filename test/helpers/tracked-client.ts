// A client that remembers every offer event it was pushed, can move to another node and resync, and can be
// checked against the durable log: nothing missing, nothing twice, seq only increasing per cleaning.
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import type { EventsSince } from '../../src/contract/socket-events.ts';
import { Api, makeCleaning, makeUser, makeUsers, type TestUser } from './api.ts';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import { connect, command, type ClientSocket } from './sockets.ts';

export type Delivery = { event: OfferEventPublic; via: 'push' | 'resync'; at: number };

export class TrackedClient {
  readonly user: TestUser;
  readonly role: 'owner' | 'cleaner';
  socket: ClientSocket | undefined;
  readonly deliveries: Delivery[] = [];
  /** Cleanings an owner subscribes to on every (re)connect. */
  readonly watched = new Set<number>();
  /** Pushes that arrived with a seq at or below one already seen for the cleaning. */
  outOfOrder = 0;
  private readonly last = new Map<number, number>();
  /** socket.io client options for every connection (transports, an agent with its own source address). */
  readonly connectOptions: Partial<ManagerOptions & SocketOptions>;

  constructor(
    user: TestUser,
    role: 'owner' | 'cleaner',
    connectOptions: Partial<ManagerOptions & SocketOptions> = {},
  ) {
    this.user = user;
    this.role = role;
    this.connectOptions = connectOptions;
  }

  private record(event: OfferEventPublic, via: Delivery['via']) {
    const last = this.last.get(event.cleaning_id) ?? 0;
    if (via === 'push' && event.seq <= last) this.outOfOrder++;
    this.last.set(event.cleaning_id, Math.max(last, event.seq));
    this.deliveries.push({ event, via, at: Date.now() });
  }

  /** The last seq seen per cleaning: the cursors for a resync. */
  cursors(): Record<string, number> {
    return Object.fromEntries([...this.last].map(([id, seq]) => [String(id), seq]));
  }

  async connectTo(url: string): Promise<void> {
    this.socket = await connect(url, this.user.token, {
      listen: (socket) => socket.on('offer:event', (e) => this.record(e, 'push')),
      io: this.connectOptions,
    });
  }

  /**
   * Moves to `url` and catches up: owners resubscribe with `since`, cleaners call offers:sync. The cursors
   * are taken before connecting, since pushes may start arriving on the new connection before the resync.
   * The cleanings to sync (a list, or a function that reads the current one) are read once connected: an event
   * on a cleaning created while the client was away is then in the sync, and one on a cleaning created later
   * is pushed. Read before connecting, a cleaning created in between would be in neither.
   */
  async reconnectTo(url: string, cleaningIds: number[] | (() => number[])): Promise<void> {
    const cursors = new Map(this.last);
    this.socket?.close();
    await this.connectTo(url);
    await this.resync(typeof cleaningIds === 'function' ? cleaningIds() : cleaningIds, cursors);
  }

  async resync(
    cleaningIds: number[],
    cursorsAtDisconnect: Map<number, number> = new Map(this.last),
  ): Promise<void> {
    const socket = this.socket!;
    if (this.role === 'owner') {
      for (const id of this.watched) {
        let since = cursorsAtDisconnect.get(id) ?? 0;
        for (;;) {
          const res = await command(socket, 'cleaning:subscribe', { cleaning_id: id, since });
          if (!res.ok) throw new Error(`resubscribe failed: ${JSON.stringify(res.error)}`);
          const page = res.data as EventsSince;
          for (const e of page.events) this.record(e, 'resync');
          if (!page.more) break;
          since = page.events.at(-1)!.seq;
        }
      }
    } else {
      const since = new Map(cleaningIds.map((id) => [id, cursorsAtDisconnect.get(id) ?? 0]));
      // Pages are bounded in events and bytes: ask again from the last seq received while `more` says so.
      for (;;) {
        const cursors = Object.fromEntries([...since].map(([id, seq]) => [String(id), seq]));
        const res = await command(socket, 'offers:sync', { cursors });
        if (!res.ok) throw new Error(`offers:sync failed: ${JSON.stringify(res.error)}`);
        for (const e of res.data.events) {
          this.record(e, 'resync');
          since.set(e.cleaning_id, Math.max(since.get(e.cleaning_id) ?? 0, e.seq));
        }
        if (!res.data.more) break;
      }
    }
  }

  async subscribe(cleaningId: number): Promise<void> {
    this.watched.add(cleaningId);
    let since = this.last.get(cleaningId) ?? 0;
    for (;;) {
      const res = await command(this.socket!, 'cleaning:subscribe', { cleaning_id: cleaningId, since });
      if (!res.ok) throw new Error(`subscribe failed: ${JSON.stringify(res.error)}`);
      const page = res.data as EventsSince;
      for (const e of page.events) this.record(e, 'resync');
      if (!page.more) break;
      since = page.events.at(-1)!.seq;
    }
  }

  close(): void {
    this.socket?.close();
  }

  /**
   * Compares what this client received with what the log says it may see. `lost` are visible events never
   * received; `duplicates` are events received more than once (which a client drops by seq).
   */
  async audit(
    baseUrl: string,
    cleaningIds: number[],
    { quiet = false }: { quiet?: boolean } = {},
  ): Promise<{ lost: number; duplicates: number; extra: number }> {
    const api = new Api(baseUrl, this.user.token);
    let lost = 0;
    let duplicates = 0;
    let extra = 0;
    for (const id of cleaningIds) {
      const visible = new Set<number>();
      let since = 0;
      let forbidden = false;
      for (;;) {
        // The log is served in pages of at most 5000 events.
        const res = await api.get<OfferEventPublic[]>(`/api/cleanings/${id}/events/?since=${since}`);
        if (res.status === 403) forbidden = true;
        if (res.status !== 200 || res.body.length === 0) break;
        for (const e of res.body) visible.add(e.seq);
        since = res.body.at(-1)!.seq;
      }
      if (forbidden) continue;
      const got = this.deliveries.filter((d) => d.event.cleaning_id === id).map((d) => d.event.seq);
      const unique = new Set(got);
      duplicates += got.length - unique.size;
      for (const seq of visible) {
        if (unique.has(seq)) continue;
        lost++;
        if (!quiet) console.warn(`[audit] ${this.user.username} never received cleaning ${id} seq ${seq}`);
      }
      for (const seq of unique) if (!visible.has(seq)) extra++;
    }
    return { lost, duplicates, extra };
  }
}

/**
 * Audits every client against the log: owners for the cleanings they watch, cleaners for `cleaningIds`.
 * With `resyncFirst`, each client first catches up (as an app does after an outage it did not notice).
 */
export async function auditClients(
  clients: TrackedClient[],
  baseUrl: string,
  cleaningIds: number[],
  { resyncFirst = false, quiet = false }: { resyncFirst?: boolean; quiet?: boolean } = {},
): Promise<{ lost: number; duplicates: number; extra: number; outOfOrder: number }> {
  const total = { lost: 0, duplicates: 0, extra: 0, outOfOrder: 0 };
  for (const client of clients) {
    if (resyncFirst) await client.resync(cleaningIds);
    const audit = await client.audit(baseUrl, client.role === 'owner' ? [...client.watched] : cleaningIds, {
      quiet,
    });
    total.lost += audit.lost;
    total.duplicates += audit.duplicates;
    total.extra += audit.extra;
    total.outOfOrder += client.outOfOrder;
  }
  return total;
}

/**
 * The fault tests' marketplace: an owner with `cleanings` jobs watching from `ownerUrl`, and `cleaners` tracked
 * cleaners spread over `urls` (alternately).
 */
export async function trackedMarket(
  ownerUrl: string,
  urls: string[],
  { cleaners: cleanerCount = 6, cleanings: cleaningCount = 10 } = {},
) {
  const owner = await makeUser(ownerUrl);
  const cleaners = await makeUsers(ownerUrl, cleanerCount);
  const cleanings = await Promise.all(Array.from({ length: cleaningCount }, () => makeCleaning(owner)));
  const ids = cleanings.map((c) => c.id);
  const ownerClient = new TrackedClient(owner, 'owner');
  await ownerClient.connectTo(ownerUrl);
  for (const id of ids) await ownerClient.subscribe(id);
  const clients = cleaners.map((u) => new TrackedClient(u, 'cleaner'));
  await Promise.all(clients.map((c, i) => c.connectTo(urls[i % urls.length]!)));
  return { owner, cleaners, ids, ownerClient, clients };
}
