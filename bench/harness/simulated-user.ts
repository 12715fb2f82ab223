// One simulated person: an owner who posts jobs, watches them and accepts offers, or a cleaner who follows the
// job board, offers, rescinds and cancels. Each keeps what it was told (pushes and replays) and checks, as it
// goes, that pushes of a cleaning arrive in seq order and, for owners, with no gap.
import { io, type Socket } from 'socket.io-client';
import type { CleaningPublic, OfferEventPublic, OfferStatus } from '../../src/contract/schemas.ts';
import type {
  AckResponse,
  ClientToServerEvents,
  EventsSince,
  OffersSyncResult,
  ServerToClientEvents,
} from '../../src/contract/socket-events.ts';

export type HarnessSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A command's outcome as the harness counts it. */
export type Outcome = 'ok' | 'refused' | 'error';

export type CommandRecord = { command: string; outcome: Outcome; ms: number; status?: number };

export type Violation = {
  user: string;
  cleaningId: number;
  kind: 'out-of-order' | 'gap' | 'duplicate' | 'missing' | 'state';
  detail: string;
};

export type Account = { id: number; username: string; token: string };

const now = () => performance.now();

export class SimulatedUser {
  readonly account: Account;
  readonly role: 'owner' | 'cleaner';
  socket: HarnessSocket | undefined;
  /** Every event this user was told about (pushes and replays), per cleaning, in arrival order. */
  readonly events = new Map<number, OfferEventPublic[]>();
  /** Highest seq seen per cleaning: the cursor for resubscribing. */
  readonly last = new Map<number, number>();
  private readonly lastPush = new Map<number, number>();
  /** Owners: cleanings they posted and watch. Cleaners: cleanings they ever offered on. */
  readonly cleanings = new Set<number>();
  readonly violations: Violation[] = [];
  pushes = 0;
  private connectedUrl = '';
  private readonly onCommand: (r: CommandRecord) => void;
  private readonly onPush: () => void;

  constructor(
    account: Account,
    role: 'owner' | 'cleaner',
    hooks: { onCommand(r: CommandRecord): void; onPush(): void },
  ) {
    this.account = account;
    this.role = role;
    this.onCommand = hooks.onCommand;
    this.onPush = hooks.onPush;
  }

  /** What this user believes the offers of `cleaningId` are, folded from its events in seq order (by user id). */
  folded(cleaningId: number): Map<number, OfferStatus> {
    const state = new Map<number, OfferStatus>();
    const events = [...(this.events.get(cleaningId) ?? [])].sort((a, b) => a.seq - b.seq);
    for (const e of events) {
      if (e.type === 'rescinded') state.delete(e.user_id);
      else if (e.offer) state.set(e.user_id, e.offer.status);
    }
    return state;
  }

  /** The seqs of `cleaningId` this user was told about. */
  seqs(cleaningId: number): number[] {
    return (this.events.get(cleaningId) ?? []).map((e) => e.seq);
  }

  private violation(e: OfferEventPublic, kind: Violation['kind'], detail: string) {
    this.violations.push({ user: this.account.username, cleaningId: e.cleaning_id, kind, detail });
  }

  private record(e: OfferEventPublic, via: 'push' | 'replay') {
    let list = this.events.get(e.cleaning_id);
    if (!list) this.events.set(e.cleaning_id, (list = []));
    if (list.some((x) => x.seq === e.seq))
      return this.violation(e, 'duplicate', `${via} of seq ${e.seq} twice`);
    const highest = this.last.get(e.cleaning_id) ?? 0;
    if (via === 'push') {
      const lastPush = this.lastPush.get(e.cleaning_id) ?? 0;
      if (e.seq <= lastPush)
        this.violation(e, 'out-of-order', `push of seq ${e.seq} after push of seq ${lastPush}`);
      // An owner sees every event of a cleaning it watches, so any jump in seq is a lost push.
      if (this.role === 'owner' && e.seq !== highest + 1)
        this.violation(e, 'gap', `push of seq ${e.seq} after seq ${highest}`);
      this.lastPush.set(e.cleaning_id, e.seq);
    }
    this.last.set(e.cleaning_id, Math.max(highest, e.seq));
    list.push(e);
  }

  connect(url: string, onCleaning?: (c: CleaningPublic) => void): Promise<void> {
    this.connectedUrl = url;
    return new Promise((resolve, reject) => {
      const socket: HarnessSocket = io(url, {
        auth: { token: this.account.token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: 30_000,
      });
      socket.on('offer:event', (e) => {
        this.pushes++;
        this.onPush();
        this.record(e, 'push');
      });
      if (onCleaning) {
        socket.on('cleaning:created', onCleaning);
        socket.on('cleaning:reopened', onCleaning);
      }
      socket.once('connect', () => {
        this.socket = socket;
        resolve();
      });
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
  }

  /**
   * Sends a command and records its outcome; resolves with the ack (or undefined on timeout). `onOk` runs
   * inside the ack callback itself: a push that follows the ack in the same read from the network is handled
   * before any promise continuation, so replayed events must be recorded right there to keep their order.
   */
  command<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
    onOk?: (data: any) => void,
  ): Promise<AckResponse<any> | undefined> {
    const socket = this.socket;
    if (!socket) return Promise.resolve(undefined);
    const t0 = now();
    return new Promise((resolve) => {
      (
        socket.timeout(30_000) as unknown as {
          emit(e: string, p: unknown, ack: (err: Error | null, res?: AckResponse<any>) => void): void;
        }
      ).emit(event, payload, (err, res) => {
        const ms = now() - t0;
        const answer = err ? undefined : res;
        // Business refusals (a race lost, an offer already taken) are part of a realistic mix, not failures.
        const outcome: Outcome = !answer
          ? 'error'
          : answer.ok
            ? 'ok'
            : answer.error.status < 500 && answer.error.status !== 429
              ? 'refused'
              : 'error';
        if (answer?.ok) onOk?.(answer.data);
        this.onCommand({
          command: event,
          outcome,
          ms,
          ...(answer && !answer.ok ? { status: answer.error.status } : {}),
        });
        resolve(answer);
      });
    });
  }

  /** Owners: start watching a cleaning, replaying whatever it already has. */
  async watch(cleaningId: number): Promise<boolean> {
    this.cleanings.add(cleaningId);
    return this.replay(cleaningId);
  }

  private async replay(cleaningId: number): Promise<boolean> {
    for (;;) {
      const since = this.last.get(cleaningId) ?? 0;
      const res = await this.command(
        'cleaning:subscribe',
        { cleaning_id: cleaningId, since },
        (page: EventsSince) => {
          for (const e of page.events) this.record(e, 'replay');
        },
      );
      if (!res?.ok) return false;
      if (!(res.data as EventsSince).more) return true;
    }
  }

  /**
   * Cleaners: catch up on every cleaning offered on, from `from` (the cursors taken before reconnecting: pushes
   * may arrive on the new connection before the answer, and the answer then stops just before them).
   */
  async sync(from: Map<number, number> = new Map(this.last)): Promise<boolean> {
    const ids = [...this.cleanings];
    const cursor = new Map(from);
    for (let i = 0; i < ids.length; i += 500) {
      for (;;) {
        const cursors = Object.fromEntries(
          ids.slice(i, i + 500).map((id) => [String(id), cursor.get(id) ?? 0]),
        );
        const res = await this.command('offers:sync', { cursors }, (data: OffersSyncResult) => {
          for (const e of data.events) {
            this.record(e, 'replay');
            cursor.set(e.cleaning_id, Math.max(cursor.get(e.cleaning_id) ?? 0, e.seq));
          }
        });
        if (!res?.ok) return false;
        if (!(res.data as OffersSyncResult).more) break;
      }
    }
    return true;
  }

  /** Drops the connection and comes back: owners resubscribe with their cursors, cleaners sync. */
  async reconnect(onCleaning?: (c: CleaningPublic) => void): Promise<void> {
    this.socket?.close();
    this.socket = undefined;
    const cursors = new Map(this.last);
    await this.connect(this.connectedUrl, onCleaning);
    if (this.role === 'owner') for (const id of this.cleanings) await this.replay(id);
    else {
      await this.sync(cursors);
      await this.command('feed:subscribe', {});
    }
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
