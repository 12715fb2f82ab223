// Hostile input for every socket command (issue 7, part 1): at least FUZZ_RUNS (default 1,000) generated
// malformed payloads per command, each of which must be acked with a 4xx and a `detail`; never a 5xx, a
// missing ack, a dropped connection, a push or a changed row. Messages over 16 kB and packets socket.io
// cannot decode end the connection. Reproduce with `FUZZ_SEED=<seed> npx vitest run test/hardening/socket-fuzz.test.ts`.
import fc from 'fast-check';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptOfferPayload,
  evaluationCreatePayload,
  cleaningRef,
  emptyPayload,
  offersSyncPayload,
  subscribePayload,
} from '../../src/contract/schemas.ts';
import { COMMAND_NAMES } from '../../src/contract/socket-events.ts';
import { MAX_SOCKET_MESSAGE_BYTES } from '../../src/realtime/realtime.ts';
import { makeCleaning, makeOffers, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { closeAll, connect, ok, rawCommand, rawEmit, type ClientSocket } from '../helpers/sockets.ts';
import { snapshotRows } from './db-snapshot.ts';
import { hostileKey, hostileValue, mutatedDocument, toJsonText } from './hostile-values.ts';
import { inPool } from './raw-http.ts';
import { ackRefusalProblem, show } from './refusals.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 7_0001);
const IN_FLIGHT = 32;

type CommandName = (typeof COMMAND_NAMES)[number];

let server: TestServer;
let fuzzer: ClientSocket;
let observer: ClientSocket;
let commands: Record<CommandName, { schema: z.ZodType; valid: unknown }>;
const pushes: string[] = [];

beforeAll(async () => {
  server = await startServer({ env: { SOCKET_COMMANDS_PER_SECOND: '1000000', LOG_LEVEL: 'warn' } });
  const [owner, cleaner] = [await makeUser(server.url), await makeUser(server.url)];
  const cleaning = await makeCleaning(owner);
  await makeOffers(cleaning, [cleaner]);
  const id = cleaning.id;
  commands = {
    'offer:create': { schema: cleaningRef, valid: { cleaning_id: id } },
    'offer:accept': { schema: acceptOfferPayload, valid: { cleaning_id: id, username: cleaner.username } },
    'offer:cancel': { schema: cleaningRef, valid: { cleaning_id: id } },
    'offer:rescind': { schema: cleaningRef, valid: { cleaning_id: id } },
    'evaluation:create': {
      schema: evaluationCreatePayload,
      valid: { cleaning_id: id, username: cleaner.username, evaluation: { overall_rating: 4 } },
    },
    'cleaning:subscribe': { schema: subscribePayload, valid: { cleaning_id: id, since: 0 } },
    'cleaning:unsubscribe': { schema: cleaningRef, valid: { cleaning_id: id } },
    'offers:sync': { schema: offersSyncPayload, valid: { cursors: { [String(id)]: 0, '1': 0 } } },
    'feed:subscribe': { schema: emptyPayload, valid: {} },
    'feed:unsubscribe': { schema: emptyPayload, valid: {} },
  };
  // The cleaner fuzzes (their rescind would succeed); the owner watches everything that could be pushed.
  fuzzer = await connect(server.url, cleaner.token);
  observer = await connect(server.url, owner.token);
  await ok(observer, 'cleaning:subscribe', { cleaning_id: id });
  await ok(observer, 'feed:subscribe', {});
  for (const event of ['offer:event', 'cleaning:created', 'cleaning:updated', 'cleaning:deleted'] as const) {
    observer.on(event, (payload: unknown) => pushes.push(`${event} ${show(payload)}`));
    fuzzer.on(event, (payload: unknown) => pushes.push(`${event} ${show(payload)}`));
  }
});
afterAll(async () => {
  await closeAll(fuzzer, observer);
  await server?.close();
});

/** What the server receives: JSON's view of the arguments, with binary attachments as Buffers. */
function serverView(args: unknown[]): unknown[] {
  const text = JSON.stringify(args, (_k, v: unknown) =>
    v instanceof Uint8Array ? { __binary: Buffer.from(v).toString('base64') } : v,
  );
  return JSON.parse(text, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && '__binary' in v
      ? Buffer.from((v as { __binary: string }).__binary, 'base64')
      : v,
  ) as unknown[];
}

/** How deeply a JSON text nests (strings skipped). */
function nestingOf(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

/**
 * Whether the client library can send it as one message under the limit. (socket.io-client walks payloads
 * recursively, so it cannot send very deep ones; the test of raw packets below sends those.)
 */
function fitsOneMessage(args: unknown[]): boolean {
  const text = JSON.stringify(args.map((a) => (a instanceof Uint8Array ? null : a))) ?? '';
  return Buffer.byteLength(text) <= MAX_SOCKET_MESSAGE_BYTES - 512;
}

/** A generated document as a client sends it: parsed from its JSON text (so raw literals become numbers). */
function asSent(doc: unknown): unknown {
  const text = toJsonText(doc);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Hostile values that socket.io-client can send. */
const sendable = hostileValue.filter((v) => nestingOf(toJsonText(v)) <= 500).map(asSent);

/** One command's arguments before the ack: the payload first, then anything else a client might send. */
type Input = { args: unknown[] };

function inputsFor(name: CommandName): fc.Arbitrary<Input> {
  const { schema, valid } = commands[name];
  const document = mutatedDocument(valid)
    .filter((doc) => nestingOf(toJsonText(doc)) <= 500)
    .map(asSent);
  const binary = fc.uint8Array({ minLength: 1, maxLength: 64 });
  const payload = fc.oneof(
    { weight: 10, arbitrary: document },
    { weight: 4, arbitrary: sendable },
    { weight: 1, arbitrary: binary },
    { weight: 1, arbitrary: binary.map((b) => ({ ...(valid as object), cleaning_id: b })) },
    {
      weight: 1,
      arbitrary: fc
        .dictionary(hostileKey, sendable, { minKeys: 1, maxKeys: 3 })
        .map((extra) => ({ ...(valid as object), ...extra })),
    },
  );
  return fc
    .oneof(
      { weight: 8, arbitrary: payload.map((p) => ({ args: [p] })) },
      { weight: 1, arbitrary: fc.constant<Input>({ args: [] }) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(payload, fc.array(sendable, { minLength: 1, maxLength: 3 }))
          .map(([p, extra]) => ({ args: [p, ...extra] })),
      },
    )
    .filter(({ args }) => {
      // Larger messages are refused by disconnecting; that has its own test below.
      if (!fitsOneMessage(args)) return false;
      const view = serverView(args);
      return !schema.safeParse(view.length === 0 ? undefined : view[0]).success;
    });
}

describe('hostile socket input', () => {
  it('covers every command', () => {
    expect(Object.keys(commands).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it.each(COMMAND_NAMES.map((name, i) => [name, SEED + i] as const))(
    'acks every generated malformed %s with a 4xx and a detail, changing and pushing nothing',
    async (name, seed) => {
      const inputs = fc.sample(inputsFor(name), { numRuns: RUNS, seed });
      expect(inputs.length).toBeGreaterThanOrEqual(RUNS);
      const before = await snapshotRows(server);
      const logsBefore = server.logs().length;
      const failures: string[] = [];
      const codes: Record<string, number> = {};
      await inPool(inputs, IN_FLIGHT, async ({ args }) => {
        let problem: string | undefined;
        try {
          const ack: unknown = await rawCommand(fuzzer, name, ...args);
          const code = (ack as { error?: { code?: string } })?.error?.code ?? 'none';
          codes[code] = (codes[code] ?? 0) + 1;
          problem = ackRefusalProblem(ack, JSON.stringify(args) ?? '');
        } catch (e) {
          problem = `no ack: ${(e as Error).message}`;
        }
        if (problem) failures.push(`${show(args, 200)}\n    -> ${problem}`);
      });
      if (process.env.FUZZ_REPORT) console.log(`${name}: ${inputs.length} inputs, codes ${show(codes)}`);
      expect(
        failures.slice(0, 8),
        `${failures.length} of ${inputs.length} inputs failed (seed ${seed})`,
      ).toEqual([]);
      // Still connected and still answering: nothing hung.
      expect(fuzzer.connected).toBe(true);
      expect(await ok(fuzzer, 'feed:unsubscribe', {})).toBeNull();
      expect(await snapshotRows(server)).toEqual(before);
      expect(pushes).toEqual([]);
      const unexpected = server
        .logs()
        .slice(logsBefore)
        .filter((l) => (l.level as number) >= 50);
      expect(unexpected.map((l) => show(l, 500))).toEqual([]);
    },
  );

  it('survives malformed commands sent without an ack', async () => {
    const payloads = fc.sample(
      sendable.filter((v) => fitsOneMessage([v])),
      { numRuns: 200, seed: SEED },
    );
    for (const [i, payload] of payloads.entries())
      rawEmit(fuzzer, COMMAND_NAMES[i % COMMAND_NAMES.length]!, payload);
    expect(await ok(fuzzer, 'feed:unsubscribe', {})).toBeNull();
    expect(fuzzer.connected).toBe(true);
  });
});

describe('socket messages the server refuses by disconnecting', () => {
  /** Sends a socket.io packet exactly as given, as one engine.io message. */
  function writeRaw(socket: ClientSocket, packet: string | Buffer) {
    (socket.io as unknown as { engine: { write(data: string | Buffer): void } }).engine.write(packet);
  }

  async function freshSocket() {
    return connect(server.url, (await makeUser(server.url)).token);
  }

  it('answers a message just under the 16 kB limit, and disconnects one just over it', async () => {
    const socket = await freshSocket();
    const fits = 'x'.repeat(MAX_SOCKET_MESSAGE_BYTES - 200);
    const res = await rawCommand(socket, 'offer:create', { cleaning_id: fits });
    expect(res).toMatchObject({ ok: false, error: { status: 422, code: 'VALIDATION_FAILED' } });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    rawEmit(socket, 'offer:create', { cleaning_id: 'x'.repeat(MAX_SOCKET_MESSAGE_BYTES + 1) });
    expect(await gone).toBe('transport close');
  });

  // Packets are written as socket.io puts them on the wire: `2[...]` is an event, `5n-[...]` one with n attachments.
  it.each([
    ['a packet that is not JSON', '2["offer:create",{', 'disconnect'],
    ['an empty event', '2[]', 'disconnect'],
    ['a reserved event name', '2["disconnect"]', 'disconnect'],
    ['a packet of an unknown type', '9["offer:create"]', 'disconnect'],
    ['an ack id that is not a number', '2abc["offer:create",{}]', 'disconnect'],
    [
      'a binary packet whose placeholder points nowhere',
      '51-["offer:create",{"_placeholder":true,"num":7}]',
      'disconnect',
    ],
    ['a binary packet claiming 99,999,999,999 attachments', '599999999999-["offer:create",{}]', 'disconnect'],
    ['an event named by a number', '2[5,{"cleaning_id":1}]', 'still answering'],
    [
      'JSON nested 7,000 levels deep',
      `2["offer:create",${'['.repeat(7000)}${']'.repeat(7000)}]`,
      'still answering',
    ],
  ])('refuses %s without harming anyone else', async (_name, packet, expected) => {
    const socket = await freshSocket();
    const bystander = await freshSocket();
    const outcome = new Promise<string>((resolve) => socket.once('disconnect', () => resolve('disconnect')));
    writeRaw(socket, packet);
    if (packet.startsWith('51-')) writeRaw(socket, Buffer.from([1, 2, 3]));
    // Either the server drops the connection, or it treats the packet as an ordinary (unanswered) event.
    const settled = await Promise.race([
      outcome,
      rawCommand(socket, 'feed:subscribe', {}).then(() => 'still answering'),
    ]);
    expect(settled).toBe(expected);
    expect(await ok(bystander, 'feed:subscribe', {})).toBeNull();
    await closeAll(socket, bystander);
  });
});

describe('well-formed but hostile socket input', () => {
  it('never answers ids and cursors at the edges with a 5xx', async () => {
    const socket = await connect(server.url, (await makeUser(server.url)).token);
    // Ids no row of this database has: the int4 limit, past it, the safe-integer limit.
    const edgeId = fc.oneof(
      fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1),
      fc.integer({ min: 1_000, max: Number.MAX_SAFE_INTEGER }),
    );
    const seq = fc.oneof(fc.constantFrom(0, 2 ** 31, 2 ** 63, Number.MAX_SAFE_INTEGER), fc.nat());
    const cursorKey = fc.oneof(edgeId.map(String), fc.constantFrom('9999999999', '2147483648', '1000'));
    const valid = fc.oneof(
      fc
        .constantFrom('offer:create', 'offer:cancel', 'offer:rescind', 'cleaning:unsubscribe')
        .chain((name) => edgeId.map((id) => [name, { cleaning_id: id }] as const)),
      fc
        .tuple(edgeId, fc.stringMatching(/^[a-zA-Z0-9_-]{3,64}$/))
        .map(([id, username]) => ['offer:accept', { cleaning_id: id, username }] as const),
      fc
        .tuple(edgeId, fc.option(seq, { nil: undefined }))
        .map(
          ([id, since]) =>
            [
              'cleaning:subscribe',
              since === undefined ? { cleaning_id: id } : { cleaning_id: id, since },
            ] as const,
        ),
      fc.dictionary(cursorKey, seq, { maxKeys: 40 }).map((cursors) => ['offers:sync', { cursors }] as const),
    );
    const inputs = fc.sample(valid, { numRuns: 400, seed: SEED });
    inputs.push([
      'offers:sync',
      { cursors: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(2 ** 31 + i), 0])) },
    ]);
    const logsBefore = server.logs().length;
    const failures: string[] = [];
    await inPool(inputs, IN_FLIGHT, async ([name, payload]) => {
      const ack = (await rawCommand(socket, name, payload).catch((e: Error) => ({ noAck: e.message }))) as {
        ok?: boolean;
      };
      if (ack.ok === true) return;
      const problem = ackRefusalProblem(ack, JSON.stringify(payload));
      if (problem) failures.push(`${name} ${show(payload, 200)}\n    -> ${problem}`);
    });
    expect(failures.slice(0, 8), `${failures.length} of ${inputs.length} failed (seed ${SEED})`).toEqual([]);
    expect(socket.connected).toBe(true);
    const unexpected = server
      .logs()
      .slice(logsBefore)
      .filter((l) => (l.level as number) >= 50);
    expect(unexpected.map((l) => show(l, 500))).toEqual([]);
    await closeAll(socket);
  });
});
