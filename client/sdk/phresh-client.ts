import { io, type Socket } from 'socket.io-client';
import type {
  CleaningFeedItem,
  CleaningPublic,
  EvaluationCreateInput,
  EvaluationPublic,
  EvaluationStats,
  OfferEventPublic,
  OfferPublic,
  UserPublic,
} from '../../src/contract/schemas.ts';
import {
  MAX_SYNC_CURSORS,
  type Ack,
  type AckResponse,
  type CleaningSnapshot,
  type ClientToServerEvents,
  type EventsSince,
  type HandshakeErrorData,
  type ServerToClientEvents,
} from '../../src/contract/socket-events.ts';
import { OfferTracker, type CleaningTrack, type TrackStep } from './offer-tracker.ts';
import { codeOfRestError, PhreshError, type PhreshErrorCode } from './phresh-error.ts';
import { createRestApi, type FeedPage, type NewCleaning, type NewUser, type RestApi } from './rest-api.ts';

/** The socket, typed by the same contract as the server's: renaming an event breaks both. */
export type PhreshSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * `connecting`: first connection, or catching up; `live`: connected and caught up; `reconnecting`: the connection
 * dropped and the client is getting it back by itself; `offline`: not connected and not trying.
 */
export type ConnectionState = 'offline' | 'connecting' | 'live' | 'reconnecting';

/**
 * What the client lets you listen to: every server push, with `offer:event` delivered exactly once and in seq order
 * per cleaning whether it was pushed or recovered after a reconnect, plus the client's own events.
 */
export type PhreshClientEvents = ServerToClientEvents & {
  /** The connection state changed. */
  state: (state: ConnectionState) => void;
  /** A tracked cleaning's offers changed (read them with `offers(cleaningId)` or `myOffers()`). */
  offers: (cleaningId: number) => void;
  /** The client is live and caught up: after the first connection and after every reconnect. */
  synced: (info: { reconnected: boolean }) => void;
  /** Something failed in the background (a resync step, a refetch); the client keeps going. */
  error: (error: PhreshError) => void;
};

export type PhreshClientOptions = {
  /** The server's base URL, such as `http://localhost:3000`; in a browser, omit it for the page's own origin. */
  url?: string;
  /** A token from an earlier login. */
  token?: string;
  /** How long a command waits for its ack (default 10 s). */
  ackTimeoutMs?: number;
  /**
   * Called when the server refuses the token (it expired, or the account was deactivated): return a fresh one,
   * by logging in again for instance, and the client reconnects with it; return nothing to stay offline.
   */
  renewToken?: (reason: { detail: string }) => Promise<string | undefined> | string | undefined;
  /** Delays between reconnection attempts, doubling from the first to the second (defaults 500 ms and 5 s). */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /**
   * The socket.io transports to try, in order (default `['websocket', 'polling']`): WebSocket first, which
   * needs no sticky sessions behind a load balancer, and HTTP long-polling when a WebSocket cannot be opened
   * (a proxy that refuses upgrades). `['polling', 'websocket']` is socket.io's own default: long-polling first,
   * then the upgrade. `['websocket']` never falls back, for a balancer without sticky sessions.
   */
  transports?: readonly SocketTransport[];
  /**
   * How long a command that changes something keeps trying through a node that drains or dies (default 30 s):
   * see `createOffer`. 0 turns the retries off.
   */
  commandRetryWindowMs?: number;
};

/** A socket.io transport the client can use. */
export type SocketTransport = 'websocket' | 'polling';

/** One of the caller's offers, with its cleaning (once known). */
export type MyOfferView = OfferPublic & { cleaning: CleaningPublic | null };

type CommandName = keyof ClientToServerEvents;
type PayloadOf<E extends CommandName> = Parameters<ClientToServerEvents[E]>[0];
type DataOf<E extends CommandName> = Parameters<ClientToServerEvents[E]>[1] extends Ack<infer T> ? T : never;

/** The SDK method behind every command: adding a command to the contract without one breaks compilation. */
export const METHOD_FOR_COMMAND = {
  'offer:create': 'createOffer',
  'offer:accept': 'acceptOffer',
  'offer:cancel': 'cancelOffer',
  'offer:rescind': 'rescindOffer',
  'evaluation:create': 'evaluate',
  'cleaning:subscribe': 'subscribe',
  'cleaning:unsubscribe': 'unsubscribe',
  'offers:sync': 'syncOffers',
  'feed:subscribe': 'subscribeFeed',
  'feed:unsubscribe': 'unsubscribeFeed',
} as const satisfies { [E in CommandName]: keyof PhreshClient };

const RESUBSCRIBE_CONCURRENCY = 4;
const RATE_LIMIT_RETRIES = 8;
const RENEWALS_WITHOUT_SUCCESS = 3;
/** Each reconnection delay is spread by ±50 %, so that the clients of a node that stops do not all come back at once. */
const RECONNECT_JITTER = 0.5;

type Listener = (...args: never[]) => void;

/**
 * A client of Phresh Live for browsers, Node and test harnesses: REST login, one promise per socket command,
 * typed events, and a local view of offers that converges to the server's by itself across reconnects.
 */
export class PhreshClient {
  /** REST endpoints, with the client's token. */
  readonly rest: RestApi;
  private readonly url: string;
  private readonly ackTimeoutMs: number;
  private readonly renewHook: PhreshClientOptions['renewToken'];
  private readonly reconnectDelayMs: number;
  private readonly reconnectDelayMaxMs: number;
  private readonly transports: SocketTransport[];
  private readonly commandRetryWindowMs: number;
  private readonly tracker = new OfferTracker();
  private readonly listeners = new Map<string, Set<Listener>>();
  private token: string | undefined;
  private me: UserPublic | undefined;
  private connection: PhreshSocket | undefined;
  private state: ConnectionState = 'offline';
  private wantsFeed = false;
  private wantsMyOffers = false;
  private everLive = false;
  private stopped = true;
  private generation = 0;
  private renewals = 0;
  private renewing: Promise<string | undefined> | undefined;
  private expiredDetail: string | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private waiters: { resolve(): void; reject(e: PhreshError): void }[] = [];
  private readonly resolving = new Set<string>();
  private readonly rerun = new Set<string>();

  constructor(options: PhreshClientOptions = {}) {
    this.url = (options.url ?? '').replace(/\/+$/, '');
    this.token = options.token;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.renewHook = options.renewToken;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 500;
    this.reconnectDelayMaxMs = options.reconnectDelayMaxMs ?? 5_000;
    this.transports = [...(options.transports ?? ['websocket', 'polling'])];
    this.commandRetryWindowMs = options.commandRetryWindowMs ?? 30_000;
    this.rest = createRestApi(this.url, {
      token: () => this.token,
      renew: (detail) => this.renew(detail),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Account

  /** The signed-in user, once known. */
  get user(): UserPublic | undefined {
    return this.me;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** The current access token (to keep for the next session). */
  get accessToken(): string | undefined {
    return this.token;
  }

  /** The underlying socket, for what the SDK does not cover; undefined before `connect()`. */
  get socket(): PhreshSocket | undefined {
    return this.connection;
  }

  /** Creates an account and signs in with it. */
  async register(user: NewUser): Promise<UserPublic> {
    const created = await this.rest.register(user);
    this.token = created.access_token?.access_token;
    this.me = created;
    return created;
  }

  /** Signs in with email and password. */
  async login(email: string, password: string): Promise<UserPublic> {
    this.token = (await this.rest.login(email, password)).access_token;
    this.me = await this.rest.me();
    return this.me;
  }

  /** Loads the signed-in user for a token kept from an earlier session (asking `renewToken` if it expired). */
  async resume(): Promise<UserPublic> {
    this.me = await this.rest.me();
    return this.me;
  }

  /** Replaces the token (after a login elsewhere, say); the next connection attempt uses it. */
  setToken(token: string): void {
    this.token = token;
  }

  // ---------------------------------------------------------------------------------------------
  // Connection

  /**
   * Connects and resolves once live and caught up. Rejects if the server refuses the token and no fresh one comes;
   * while the server is unreachable it keeps trying (watch `state`).
   */
  async connect(): Promise<void> {
    if (!this.token) throw new PhreshError(401, 'NOT_AUTHENTICATED', 'Not authenticated');
    this.me ??= await this.rest.me();
    if (this.state === 'live' && this.connection?.connected) return;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stopped) {
      this.stopped = false;
      this.connection ??= this.openSocket();
      this.setState(this.everLive ? 'reconnecting' : 'connecting');
      this.connection.connect();
    }
    return done;
  }

  /** Drops the connection but keeps what the client knows; `connect()` later resumes and catches up. */
  disconnect(): void {
    this.stop(PhreshError.offline());
    this.connection?.disconnect();
  }

  /** Disconnects and forgets everything, the token included. */
  close(): void {
    this.stop(PhreshError.offline());
    this.connection?.close();
    this.connection?.removeAllListeners();
    this.connection = undefined;
    this.tracker.clear();
    this.wantsFeed = false;
    this.wantsMyOffers = false;
    this.everLive = false;
    this.token = undefined;
    this.me = undefined;
  }

  /** Listens to a push or a client event; returns the function that stops listening. */
  on<E extends keyof PhreshClientEvents>(event: E, listener: PhreshClientEvents[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  /**
   * Offer to do a cleaning.
   *
   * This and the other commands that change something (`acceptOffer`, `cancelOffer`, `rescindOffer`) ride out
   * a node that stops: when the node refuses the command with 503 (it is draining for a restart, or lost its
   * database), or never answers it (it died), the client waits until it is live again, on another node, and
   * sends the command again. A command tried while the client is offline still fails at once with `OFFLINE`:
   * nothing was sent, and the app can say so. A command that got no answer may have committed before the node went away, so
   * before sending it again the client reads whether its change is already there, and if so resolves with it:
   * an accept that went through is reported as done, never sent a second time to fail or to act twice.
   */
  createOffer(cleaningId: number): Promise<OfferPublic> {
    return this.commandOnce('offer:create', { cleaning_id: cleaningId }, async () => {
      const mine = await this.myOfferOn(cleaningId);
      return mine && { data: mine };
    });
  }

  /** Accept a pending offer on your cleaning; every other pending offer is rejected. */
  acceptOffer(cleaningId: number, username: string): Promise<OfferPublic> {
    return this.commandOnce('offer:accept', { cleaning_id: cleaningId, username }, async () => {
      const offers = await this.rest.offersOn(cleaningId);
      const accepted = offers.find((o) => o.status === 'accepted' && o.user?.username === username);
      return accepted && { data: accepted };
    });
  }

  /** Cancel your accepted offer; the rejected offers go back to pending. */
  cancelOffer(cleaningId: number): Promise<OfferPublic> {
    return this.commandOnce('offer:cancel', { cleaning_id: cleaningId }, async () => {
      const mine = await this.myOfferOn(cleaningId);
      return mine?.status === 'cancelled' ? { data: mine } : undefined;
    });
  }

  /** Withdraw your pending offer. */
  async rescindOffer(cleaningId: number): Promise<void> {
    await this.commandOnce('offer:rescind', { cleaning_id: cleaningId }, async () =>
      (await this.myOfferOn(cleaningId)) ? undefined : { data: null },
    );
  }

  /**
   * Mark your cleaning done by evaluating its accepted cleaner: their offer becomes `completed`, and the
   * `completed` event (carrying the evaluation) reaches them and you live.
   */
  evaluate(
    cleaningId: number,
    username: string,
    evaluation: EvaluationCreateInput,
  ): Promise<EvaluationPublic> {
    return this.command('evaluation:create', { cleaning_id: cleaningId, username, evaluation });
  }

  /**
   * Follow a cleaning's offers live (all of them on your own cleaning, yours otherwise): loads a snapshot, then
   * keeps `offers(cleaningId)` current, across reconnects too.
   */
  async subscribe(cleaningId: number): Promise<OfferPublic[]> {
    const existing = this.tracker.find(cleaningId);
    if (existing?.subscribed && existing.busy === 0) return this.offers(cleaningId);
    this.tracker.hold(cleaningId);
    let step: TrackStep;
    try {
      const snapshot = (await this.commandRetrying('cleaning:subscribe', {
        cleaning_id: cleaningId,
      })) as CleaningSnapshot;
      this.tracker.applySnapshot(snapshot, snapshot.cleaning.owner === this.me?.id);
      this.tracker.track(cleaningId).subscribed = true;
      step = this.tracker.settle(cleaningId, [], true);
    } catch (e) {
      this.tracker.settle(cleaningId, [], false);
      const track = this.tracker.find(cleaningId);
      if (!existing && track && track.offers.size === 0 && track.held.length === 0)
        this.tracker.drop(cleaningId);
      throw e;
    }
    this.report(step, true);
    return this.offers(cleaningId);
  }

  /** Stop following a cleaning (events of your own offer keep coming). */
  async unsubscribe(cleaningId: number): Promise<void> {
    await this.command('cleaning:unsubscribe', { cleaning_id: cleaningId });
    const track = this.tracker.find(cleaningId);
    if (!track) return;
    track.subscribed = false;
    const myId = this.me?.id;
    if (myId === undefined || !track.offers.has(myId)) {
      this.tracker.drop(cleaningId);
      this.emit('offers', cleaningId);
    }
  }

  /** Catch up on every tracked cleaning the caller has an offer on (done by itself after each reconnect). */
  async syncOffers(): Promise<void> {
    const ids = this.tracker
      .all()
      .filter((t) => !t.subscribed)
      .map((t) => t.cleaningId);
    for (let i = 0; i < ids.length; i += MAX_SYNC_CURSORS)
      await this.syncCursors(ids.slice(i, i + MAX_SYNC_CURSORS));
  }

  /** Receive the job board's `cleaning:*` pushes, again after every reconnect (from the next connection if offline). */
  async subscribeFeed(): Promise<void> {
    this.wantsFeed = true;
    if (this.connection?.connected) await this.command('feed:subscribe', {});
  }

  async unsubscribeFeed(): Promise<void> {
    this.wantsFeed = false;
    await this.command('feed:unsubscribe', {});
  }

  // ---------------------------------------------------------------------------------------------
  // REST, and what the client knows

  /** Posts a cleaning job. */
  createCleaning(cleaning: NewCleaning): Promise<CleaningPublic> {
    return this.rest.createCleaning(cleaning);
  }

  /** Your cleanings, newest first. */
  /** A cleaner's evaluations, newest first. */
  getEvaluations(username: string): Promise<EvaluationPublic[]> {
    return this.rest.evaluations(username);
  }

  /** A cleaner's aggregate ratings (counts 0 and averages null before their first evaluation). */
  getStats(username: string): Promise<EvaluationStats> {
    return this.rest.evaluationStats(username);
  }

  myCleanings(): Promise<CleaningPublic[]> {
    return this.rest.myCleanings();
  }

  /** A page of the job board: creations and edits, newest first (an edited cleaning appears once for each). */
  feed(page?: FeedPage): Promise<CleaningFeedItem[]> {
    return this.rest.feed(page);
  }

  /** Loads your offers and keeps `myOffers()` current from then on, reloading them after every reconnect. */
  async loadMyOffers(): Promise<MyOfferView[]> {
    this.wantsMyOffers = true;
    await this.refreshMyOffers();
    return this.myOffers();
  }

  /** The offers of a tracked cleaning as last known, newest first. */
  offers(cleaningId: number): OfferPublic[] {
    const track = this.tracker.find(cleaningId);
    if (!track) return [];
    return [...track.offers.values()].sort(newestFirst);
  }

  /** The cleaning of a tracked offer list, once known. */
  cleaning(cleaningId: number): CleaningPublic | undefined {
    return this.tracker.find(cleaningId)?.cleaning;
  }

  /** Your offers on every tracked cleaning, newest first. */
  myOffers(): MyOfferView[] {
    const myId = this.me?.id;
    if (myId === undefined) return [];
    return this.tracker
      .all()
      .flatMap((t) => {
        const offer = t.offers.get(myId);
        return offer ? [{ ...offer, cleaning: t.cleaning ?? null }] : [];
      })
      .sort(newestFirst);
  }

  /** The last seq applied for a cleaning (what the client resumes from), if it is tracked. */
  cursor(cleaningId: number): number | undefined {
    return this.tracker.find(cleaningId)?.seq;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: commands

  private async command<E extends CommandName>(event: E, payload: PayloadOf<E>): Promise<DataOf<E>> {
    const socket = this.connection;
    if (!socket?.connected) throw PhreshError.offline();
    let answer: AckResponse<DataOf<E>>;
    try {
      // socket.io's types cannot carry a generic event name through `timeout()`; `PayloadOf`/`DataOf` come
      // from the same contract, so both ends still agree.
      const withTimeout = socket.timeout(this.ackTimeoutMs) as unknown as {
        emitWithAck(event: E, payload: PayloadOf<E>): Promise<AckResponse<DataOf<E>>>;
      };
      answer = await withTimeout.emitWithAck(event, payload);
    } catch {
      throw PhreshError.timeout(`"${event}"`, this.ackTimeoutMs);
    }
    if (!answer.ok) throw PhreshError.fromAck(answer.error);
    return answer.data;
  }

  /**
   * A command that changes something, sent until it is answered: see `createOffer`. `applied` reads (over
   * REST, from whichever node answers) whether the change is already there, and returns it if so.
   */
  private async commandOnce<E extends CommandName>(
    event: E,
    payload: PayloadOf<E>,
    applied: () => Promise<{ data: DataOf<E> } | undefined>,
  ): Promise<DataOf<E>> {
    const deadline = Date.now() + this.commandRetryWindowMs;
    // Whether an earlier attempt may have run: an unanswered one, or one whose node lost its database.
    let uncertain = false;
    // A command tried while offline fails at once (nothing was sent, and the app says so); the retries are for
    // commands a node took and then could not finish answering.
    for (let attempt = 1; ; attempt++) {
      let failure: PhreshError;
      try {
        return await this.command(event, payload);
      } catch (e) {
        if (!(e instanceof PhreshError)) throw e;
        if (!mayPass(e) || Date.now() >= deadline) {
          // After an attempt that may have run, a refusal ("already offered") can be that attempt's own doing.
          const done = uncertain && e.code !== 'OFFLINE' ? await this.alreadyApplied(applied) : undefined;
          if (done) return done.data;
          throw e;
        }
        failure = e;
      }
      uncertain = true;
      // A draining node keeps answering 503 until it lets go of the connection: give it time to.
      await sleep(jittered(Math.min(250 * attempt, 2000)));
      await this.whenLive(deadline, failure);
      const done = await this.alreadyApplied(applied);
      if (done) return done.data;
    }
  }

  /** Asks `applied`, giving up (as "not known") after the ack timeout or on any error. */
  private alreadyApplied<T>(applied: () => Promise<T | undefined>): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), this.ackTimeoutMs);
      applied().then(
        (found) => (clearTimeout(timer), resolve(found)),
        () => (clearTimeout(timer), resolve(undefined)),
      );
    });
  }

  /** Resolves once the client is live again, or throws `failure` at `deadline` (or if the client stops). */
  private whenLive(deadline: number, failure: PhreshError): Promise<void> {
    if (this.state === 'live' && this.connection?.connected) return Promise.resolve();
    if (this.stopped) return Promise.reject(failure);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(failure);
      }, deadline - Date.now());
      const waiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: () => (clearTimeout(timer), reject(failure)),
      };
      this.waiters.push(waiter);
    });
  }

  /** The caller's offer on a cleaning as the server has it now, if there is one. */
  private async myOfferOn(cleaningId: number): Promise<OfferPublic | undefined> {
    return (await this.rest.myOffers()).find((o) => o.cleaning_id === cleaningId);
  }

  /** For reads the client makes by itself: waits and tries again when the server says "too many". */
  private async commandRetrying<E extends CommandName>(event: E, payload: PayloadOf<E>): Promise<DataOf<E>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.command(event, payload);
      } catch (e) {
        const later = e instanceof PhreshError && (e.code === 'RATE_LIMITED' || e.code === 'UNREAD_ANSWERS');
        if (!later || attempt > RATE_LIMIT_RETRIES) throw e;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: connection

  private openSocket(): PhreshSocket {
    const socket: PhreshSocket = io(this.url || undefined, {
      autoConnect: false,
      forceNew: true,
      transports: this.transports,
      // Without it, socket.io gives up when the first transport fails instead of trying the next one.
      tryAllTransports: true,
      reconnectionDelay: this.reconnectDelayMs,
      reconnectionDelayMax: this.reconnectDelayMaxMs,
      randomizationFactor: RECONNECT_JITTER,
      auth: (cb) => cb({ token: this.token }),
    });
    socket.on('connect', () => void this.onConnect(socket));
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('connect_error', (err) => this.onConnectError(socket, err));
    socket.on('offer:event', (event) => this.report(this.tracker.receive(event)));
    socket.on('cleaning:created', (c) => this.emit('cleaning:created', c));
    socket.on('cleaning:updated', (c) => this.emit('cleaning:updated', c));
    socket.on('cleaning:assigned', (c) => this.emit('cleaning:assigned', c));
    socket.on('cleaning:reopened', (c) => this.emit('cleaning:reopened', c));
    socket.on('cleaning:completed', (c) => this.emit('cleaning:completed', c));
    socket.on('cleaning:deleted', (payload) => this.forgetCleaning(payload.cleaning_id));
    socket.on('session:expired', (payload) => {
      this.expiredDetail = payload.detail;
      this.emit('session:expired', payload);
    });
    return socket;
  }

  private async onConnect(socket: PhreshSocket): Promise<void> {
    const generation = ++this.generation;
    const reconnected = this.everLive;
    this.expiredDetail = undefined;
    this.setState(reconnected ? 'reconnecting' : 'connecting');
    const failures = await this.catchUp();
    if (generation !== this.generation || !socket.connected || this.stopped) return;
    // Only failures on a connection that is still up are worth reporting: the others are retried on the next one.
    for (const failure of failures) this.emit('error', asPhreshError(failure));
    this.renewals = 0;
    this.everLive = true;
    this.setState('live');
    for (const w of this.waiters.splice(0)) w.resolve();
    this.emit('synced', { reconnected });
  }

  private onDisconnect(reason: string): void {
    this.generation++;
    if (this.stopped) return this.setState('offline');
    if (reason === 'io server disconnect') {
      // The server let go of us on purpose (the token expired, the account was deactivated): socket.io does
      // not come back by itself, so renew the token and reconnect, or stay offline.
      void this.renewAndReconnect('HTTP_ERROR', this.expiredDetail ?? 'The server closed the session.');
      return;
    }
    this.setState('reconnecting');
  }

  private onConnectError(socket: PhreshSocket, err: Error & { data?: HandshakeErrorData }): void {
    if (this.stopped) return;
    if (socket.active) {
      // Unreachable: socket.io retries by itself.
      this.setState(this.everLive ? 'reconnecting' : 'connecting');
      return;
    }
    const status = err.data?.status ?? 0;
    const detail = err.data?.detail ?? err.message;
    const code = codeOfRestError(err.data);
    if (err.message === 'unauthorized') {
      void this.renewAndReconnect(code, detail);
    } else if (status === 503 || err.message === 'unavailable') {
      this.setState(this.everLive ? 'reconnecting' : 'connecting');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (!this.stopped) socket.connect();
      }, this.reconnectDelayMaxMs);
    } else {
      this.giveUp(new PhreshError(status, code, detail));
    }
  }

  private async renewAndReconnect(code: PhreshErrorCode, detail: string): Promise<void> {
    if (!this.renewHook || this.renewals >= RENEWALS_WITHOUT_SUCCESS) {
      return this.giveUp(new PhreshError(401, code, detail));
    }
    this.renewals++;
    this.setState('reconnecting');
    const token = await this.renew(detail);
    if (this.stopped) return;
    if (!token) return this.giveUp(new PhreshError(401, code, detail));
    this.connection?.connect();
  }

  /** Asks the app for a fresh token, once for everyone who needs one at the same time. */
  private renew(detail: string): Promise<string | undefined> {
    const hook = this.renewHook;
    if (!hook) return Promise.resolve(undefined);
    this.renewing ??= (async () => {
      try {
        const token = await hook({ detail });
        if (token) this.token = token;
        return token || undefined;
      } catch {
        return undefined;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  private stop(reason: PhreshError): void {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.setState('offline');
    for (const w of this.waiters.splice(0)) w.reject(reason);
  }

  private giveUp(error: PhreshError): void {
    this.stop(error);
    this.connection?.disconnect();
    this.emit('error', error);
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: keeping the offers in step

  /** Everything a (re)connection needs: pushes to resume, and what was missed meanwhile. */
  private async catchUp(): Promise<unknown[]> {
    const tasks: Promise<unknown>[] = [];
    if (this.wantsFeed) tasks.push(this.commandRetrying('feed:subscribe', {}));
    const subscribed = this.tracker.all().filter((t) => t.subscribed);
    // The reload of my offers judges a track by whether anything touched it since the reload began, so it runs
    // after the sync: run beside it, a cleaning deleted meanwhile would look busy and never be dropped.
    const syncThenReload = this.syncOffers().then(() =>
      this.wantsMyOffers ? this.refreshMyOffers() : undefined,
    );
    tasks.push(
      inPool(subscribed, RESUBSCRIBE_CONCURRENCY, (t) => this.resubscribe(t)),
      syncThenReload,
    );
    return (await Promise.allSettled(tasks)).flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  }

  /** A subscribed cleaning after a reconnect: back in its room, with every event after the last one applied. */
  private async resubscribe(track: CleaningTrack): Promise<void> {
    const cleaningId = track.cleaningId;
    this.tracker.hold(cleaningId);
    const events: OfferEventPublic[] = [];
    let step: TrackStep;
    try {
      let since = track.seq;
      for (;;) {
        const page = (await this.commandRetrying('cleaning:subscribe', {
          cleaning_id: cleaningId,
          since,
        })) as EventsSince;
        events.push(...page.events);
        if (!page.more || page.events.length === 0) break;
        since = page.events.at(-1)!.seq;
      }
      step = this.tracker.settle(cleaningId, events, true);
    } catch (e) {
      this.report(this.tracker.settle(cleaningId, events, false));
      if (e instanceof PhreshError && e.status === 404) return this.forgetCleaning(cleaningId);
      if (e instanceof PhreshError && e.status === 403) {
        this.tracker.drop(cleaningId);
        return this.emit('offers', cleaningId);
      }
      throw e;
    }
    this.report(step);
  }

  /** `offers:sync` for some tracked cleanings, paging until the server has nothing more. */
  private async syncCursors(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const collected = new Map<number, OfferEventPublic[]>(ids.map((id) => [id, []]));
    const cursors: Record<string, number> = {};
    for (const id of ids) cursors[id] = this.tracker.hold(id).seq;
    let complete = false;
    try {
      for (;;) {
        const page = await this.commandRetrying('offers:sync', { cursors });
        for (const e of page.events) {
          collected.get(e.cleaning_id)?.push(e);
          cursors[e.cleaning_id] = e.seq;
        }
        if (!page.more || page.events.length === 0) break;
      }
      complete = true;
    } finally {
      for (const [id, events] of collected) this.report(this.tracker.settle(id, events, complete));
    }
  }

  /** Reloads the caller's offers: finds offers made elsewhere, and drops those whose cleaning is gone. */
  private async refreshMyOffers(): Promise<void> {
    const startedAt = this.tracker.now;
    const mine = await this.rest.myOffers();
    const myId = this.me?.id;
    const listed = new Set(mine.map((m) => m.cleaning_id));
    for (const m of mine) {
      const before = this.tracker.find(m.cleaning_id)?.seq;
      this.tracker.applyMine(m);
      if (before !== this.tracker.find(m.cleaning_id)?.seq) this.emit('offers', m.cleaning_id);
    }
    for (const track of this.tracker.all()) {
      // Only a track nothing touched since the read began can be judged by it.
      const stale = track.touched <= startedAt && track.busy === 0 && !track.subscribed;
      if (stale && !listed.has(track.cleaningId) && myId !== undefined && track.offers.has(myId)) {
        this.tracker.drop(track.cleaningId);
        this.emit('offers', track.cleaningId);
      }
    }
  }

  /** Events were applied (or a gap found): tell the listeners, then fill in what is missing. */
  private report(step: TrackStep, changed = false): void {
    for (const event of step.applied) this.emit('offer:event', event);
    if (step.applied.length > 0 || changed) this.emit('offers', step.cleaningId);
    if (step.gapAfter !== undefined) void this.fillGap(step.cleaningId);
    if (step.applied.length > 0 || changed) this.completeDetails(step.cleaningId);
  }

  /** A jump in seq on a cleaning the client sees completely: read the missing events from the log. */
  private async fillGap(cleaningId: number): Promise<void> {
    const track = this.tracker.hold(cleaningId);
    const events: OfferEventPublic[] = [];
    let complete = false;
    try {
      let since = track.seq;
      for (;;) {
        const page = await this.rest.events(cleaningId, since);
        events.push(...page);
        if (page.length === 0 || !track.held.some((e) => e.seq > (page.at(-1)?.seq ?? since))) break;
        since = page.at(-1)!.seq;
      }
      complete = true;
    } catch (e) {
      this.emit('error', asPhreshError(e));
    }
    this.report(this.tracker.settle(cleaningId, events, complete));
  }

  /** Events carry neither the offerer's name nor the cleaning: fetch them once when missing. */
  private completeDetails(cleaningId: number): void {
    const track = this.tracker.find(cleaningId);
    if (!track) return;
    const missingUser = [...track.offers.values()].some((o) => !o.user);
    if (missingUser && track.complete) {
      void this.once(`users:${cleaningId}`, async () => {
        this.tracker.learnUsers(await this.rest.offersOn(cleaningId));
        this.emit('offers', cleaningId);
      });
    }
    if (!track.cleaning) {
      void this.once(`cleaning:${cleaningId}`, async () => {
        const cleaning = await this.rest.cleaning(cleaningId);
        const current = this.tracker.find(cleaningId);
        if (!current) return;
        current.cleaning = cleaning;
        this.emit('offers', cleaningId);
      });
    }
  }

  /**
   * Runs `work` for `key` one at a time. A request that comes while it runs is not dropped: the work runs once
   * more afterwards, since what it fetched may predate what triggered the request (a newer offer, say).
   */
  private async once(key: string, work: () => Promise<void>): Promise<void> {
    if (this.resolving.has(key)) {
      this.rerun.add(key);
      return;
    }
    this.resolving.add(key);
    try {
      do {
        this.rerun.delete(key);
        try {
          await work();
        } catch (e) {
          this.emit('error', asPhreshError(e));
          return;
        }
      } while (this.rerun.has(key));
    } finally {
      this.rerun.delete(key);
      this.resolving.delete(key);
    }
  }

  private forgetCleaning(cleaningId: number): void {
    if (this.tracker.drop(cleaningId)) this.emit('offers', cleaningId);
    this.emit('cleaning:deleted', { cleaning_id: cleaningId });
  }

  private emit<E extends keyof PhreshClientEvents>(
    event: E,
    ...args: Parameters<PhreshClientEvents[E]>
  ): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as unknown as (...a: Parameters<PhreshClientEvents[E]>) => void)(...args);
      } catch (err) {
        // A listener's bug must not stop the client: surface it without unwinding the client's own work.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** A failure of a command a node took that another node may get past: no answer, or a node that is stopping or lost its database. */
function mayPass(e: PhreshError): boolean {
  return e.code === 'TIMEOUT' || e.status === 503;
}

function jittered(ms: number): number {
  return ms * (1 - RECONNECT_JITTER + Math.random() * 2 * RECONNECT_JITTER);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function newestFirst(a: OfferPublic, b: OfferPublic): number {
  return b.created_at.localeCompare(a.created_at) || b.user_id - a.user_id;
}

function asPhreshError(e: unknown): PhreshError {
  if (e instanceof PhreshError) return e;
  return new PhreshError(0, 'HTTP_ERROR', e instanceof Error ? e.message : String(e), { cause: e });
}

async function inPool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(size, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        try {
          await work(item);
        } catch (e) {
          errors.push(e);
        }
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}
