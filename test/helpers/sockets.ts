import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  AckResponse,
  ClientToServerEvents,
  HandshakeErrorData,
  ServerToClientEvents,
} from '../../src/contract/socket-events.ts';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type SocketTransport = 'polling' | 'websocket';

/**
 * The transports every test client connects with, from `TEST_SOCKET_TRANSPORTS`: `websocket` alone (the
 * default), or `polling,websocket`, socket.io's own default (long-polling first, then the upgrade). vitest runs
 * every socket suite once with each (see vitest.config.ts).
 */
export const TEST_TRANSPORTS: SocketTransport[] = parseTransports(process.env.TEST_SOCKET_TRANSPORTS);

function parseTransports(value: string | undefined): SocketTransport[] {
  if (!value) return ['websocket'];
  const names = value.split(',').map((t) => t.trim());
  for (const name of names) {
    if (name !== 'polling' && name !== 'websocket') {
      throw new Error(`TEST_SOCKET_TRANSPORTS: unknown transport "${name}" (polling, websocket)`);
    }
  }
  return names as SocketTransport[];
}

/** Connects with `auth.token` over the test transports and resolves once connected (rejects with the connect_error). */
export function connect(
  url: string,
  token: string | undefined,
  options: {
    autoReconnect?: boolean;
    listen?: (socket: ClientSocket) => void;
    /** Further socket.io client options (transports, an agent), over the defaults. */
    io?: Partial<ManagerOptions & SocketOptions>;
  } = {},
): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, {
    auth: token === undefined ? {} : { token },
    transports: TEST_TRANSPORTS,
    reconnection: options.autoReconnect ?? false,
    forceNew: true,
    timeout: 10_000,
    ...options.io,
  });
  // Listeners go on before the connection opens: a push can arrive in the same read as the handshake's answer.
  options.listen?.(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** The error a refused handshake carries. */
export async function connectError(
  url: string,
  token: string | undefined,
): Promise<{ message: string; data: HandshakeErrorData }> {
  try {
    const socket = await connect(url, token);
    socket.close();
  } catch (e) {
    const err = e as Error & { data: HandshakeErrorData };
    return { message: err.message, data: err.data };
  }
  throw new Error('the handshake was accepted');
}

type EventName = keyof ClientToServerEvents;
type PayloadOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[0];
type DataOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends (
  r: AckResponse<infer T>,
) => void
  ? T
  : never;

/** Sends a command and resolves with its ack. */
export function command<E extends EventName>(
  socket: ClientSocket,
  event: E,
  payload: PayloadOf<E>,
  timeoutMs = 10_000,
): Promise<AckResponse<DataOf<E>>> {
  return (
    socket.timeout(timeoutMs) as unknown as {
      emitWithAck(e: string, p: unknown): Promise<AckResponse<DataOf<E>>>;
    }
  ).emitWithAck(event, payload);
}

/** Sends anything at all (for malformed-input tests) and resolves with the ack. */
export function rawCommand(socket: ClientSocket, event: string, ...args: unknown[]): Promise<any> {
  return (
    socket.timeout(10_000) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<unknown> }
  ).emitWithAck(event, ...args);
}

/** Like `command`, but fails the test unless the ack is ok, and returns the data. */
export async function ok<E extends EventName>(
  socket: ClientSocket,
  event: E,
  payload: PayloadOf<E>,
): Promise<DataOf<E>> {
  const res = await command(socket, event, payload);
  if (!res.ok) throw new Error(`${event} failed: ${res.error.status} ${JSON.stringify(res.error.detail)}`);
  return res.data;
}

/**
 * An event name no server knows: its ack (`UNKNOWN_COMMAND`) is a round trip through the server that changes
 * nothing, so anything the server wrote to the socket before answering it has arrived once the ack has.
 */
const ROUND_TRIP_MARKER = 'test:round-trip';

/** Records every push of one kind on a socket, with counting waits that fail on timeout. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private readonly socket: ClientSocket;

  /**
   * Records `event` (or several kinds, in arrival order); `record` turns a payload into the item kept, e.g.
   * `[kind, payload]` to tell kinds apart.
   */
  constructor(
    socket: ClientSocket,
    event: keyof ServerToClientEvents | readonly (keyof ServerToClientEvents)[],
    record: (payload: never, kind: keyof ServerToClientEvents) => T = (payload) => payload as T,
  ) {
    this.socket = socket;
    for (const kind of typeof event === 'string' ? [event] : event) {
      socket.on(
        kind as 'offer:event',
        ((payload: never) => {
          this.items.push(record(payload, kind));
          this.waiters = this.waiters.filter((w) => {
            if (this.items.length >= w.n) w.resolve();
            return this.items.length < w.n;
          });
        }) as never,
      );
    }
  }

  /** Resolves once `n` items have arrived in total ("got 3 of 5" until then). */
  waitFor(n: number, timeoutMs = 10_000): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out: got ${this.items.length} of ${n}: ${JSON.stringify(this.items).slice(0, 2000)}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.items);
        },
      });
    });
  }

  /**
   * Resolves once exactly `n` items have arrived, and fails if more came: after the n-th, a round trip on the
   * same socket lets any further push the server had already written land first (pushes and acks share the
   * socket's order), then the count must still be `n`.
   */
  async waitForExactly(n: number, timeoutMs = 10_000): Promise<T[]> {
    await this.waitFor(n, timeoutMs);
    await rawCommand(this.socket, ROUND_TRIP_MARKER);
    if (this.items.length !== n) {
      throw new Error(
        `expected exactly ${n}, got ${this.items.length}: ${JSON.stringify(this.items).slice(0, 2000)}`,
      );
    }
    return this.items;
  }

  /** Resolves once an item matching `predicate` has arrived. */
  async waitUntil(predicate: (item: T) => boolean, timeoutMs = 10_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.items.some(predicate)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting; got ${JSON.stringify(this.items).slice(0, 2000)}`);
      await this.waitFor(this.items.length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
    }
    return this.items;
  }
}

/** Closes sockets and waits until each is disconnected. */
export async function closeAll(...sockets: (ClientSocket | undefined)[]) {
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s || s.disconnected) return resolve();
          s.once('disconnect', () => resolve());
          s.close();
        }),
    ),
  );
}

/** Emits anything at all, without an ack (for malformed-input tests). */
export function rawEmit(socket: ClientSocket, event: string, ...args: unknown[]): void {
  (socket as unknown as { emit(e: string, ...a: unknown[]): void }).emit(event, ...args);
}
