// The SDK and the server are typed from one socket contract (src/contract/socket-events.ts): renaming an event
// or changing a payload breaks compilation on both sides. `npm test` runs tsc, which checks the lines below.
import type { Socket as ClientSocket } from 'socket.io-client';
import type { Server, Socket as ServerSocket } from 'socket.io';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  METHOD_FOR_COMMAND,
  PhreshClient,
  type PhreshClientEvents,
  type PhreshSocket,
} from 'phresh-live/client';
import type { EvaluationPublic, EvaluationStats, OfferPublic } from '../../src/contract/schemas.ts';
import {
  COMMAND_NAMES,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '../../src/contract/socket-events.ts';
import type { IoServer, IoSocket } from '../../src/realtime/socket-types.ts';

describe('the shared socket contract', () => {
  it('types the SDK’s socket and the server’s from the same event maps', () => {
    expectTypeOf<PhreshSocket>().toEqualTypeOf<ClientSocket<ServerToClientEvents, ClientToServerEvents>>();
    expectTypeOf<IoSocket>().toEqualTypeOf<
      ServerSocket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
    >();
    expectTypeOf<IoServer>().toEqualTypeOf<
      Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
    >();
    expectTypeOf<PhreshClientEvents['offer:event']>().toEqualTypeOf<ServerToClientEvents['offer:event']>();
    expectTypeOf<PhreshClientEvents['cleaning:created']>().toEqualTypeOf<
      ServerToClientEvents['cleaning:created']
    >();
  });

  it('has one SDK method per command, answering the command’s ack data', () => {
    expectTypeOf<keyof typeof METHOD_FOR_COMMAND>().toEqualTypeOf<keyof ClientToServerEvents>();
    expectTypeOf<PhreshClient['createOffer']>().returns.toEqualTypeOf<Promise<OfferPublic>>();
    expectTypeOf<PhreshClient['evaluate']>().returns.toEqualTypeOf<Promise<EvaluationPublic>>();
    expectTypeOf<PhreshClient['getStats']>().returns.toEqualTypeOf<Promise<EvaluationStats>>();
    expectTypeOf<PhreshClient['acceptOffer']>().parameters.toEqualTypeOf<
      [cleaningId: number, username: string]
    >();
    // The server's runtime list of commands agrees with the SDK's, and every method exists.
    expect(Object.keys(METHOD_FOR_COMMAND).sort()).toEqual([...COMMAND_NAMES].sort());
    for (const method of Object.values(METHOD_FOR_COMMAND))
      expect(typeof PhreshClient.prototype[method], method).toBe('function');
  });

  it('refuses, at compile time, events and payloads the contract does not declare', () => {
    // Never called: these lines exist for tsc, and each must stay an error.
    const misuses = (client: PhreshClient, sdkSocket: PhreshSocket, io: IoServer, serverSocket: IoSocket) => {
      // @ts-expect-error: the server pushes no such event
      client.on('offer:evnt', () => {});
      // @ts-expect-error: a listener gets the event's declared payload
      client.on('offer:event', (event: { seq: string }) => event);
      // @ts-expect-error: no such command
      sdkSocket.emit('offer:creat', { cleaning_id: 1 }, () => {});
      // @ts-expect-error: a command's payload is checked
      sdkSocket.emit('offer:create', { cleaning: 1 }, () => {});
      // @ts-expect-error: the server cannot push an undeclared event
      io.emit('offer:evnt', {});
      // @ts-expect-error: nor listen to an undeclared command
      serverSocket.on('offer:creat', () => {});
    };
    expectTypeOf(misuses).toBeFunction();
  });
});
