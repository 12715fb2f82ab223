import { Parser } from '@asyncapi/parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../src/contract/socket-events.ts';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { command, connect, rawCommand, type ClientSocket } from '../helpers/sockets.ts';

type Message = { name: string; payload: unknown; examples?: { name: string; payload: any }[] };
type Doc = {
  asyncapi: string;
  servers: Record<string, { host: string; pathname: string }>;
  operations: Record<string, { action: string; title: string; reply?: unknown }>;
  components: { messages: Record<string, Message>; schemas: Record<string, unknown> };
};

let server: TestServer;
let doc: Doc;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  server = await startServer();
  const res = await fetch(`${server.url}/api/asyncapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
});

const messageNamed = (name: string) => Object.values(doc.components.messages).find((m) => m.name === name)!;

describe('the AsyncAPI document', () => {
  it('is valid for the official AsyncAPI parser, with no error or warning', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    // Severity 0 is an error and 1 a warning; 2 and 3 are hints (such as "a newer AsyncAPI exists").
    expect(diagnostics.filter((d) => d.severity < 2).map((d) => `${d.code}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    expect(document!.operations().length).toBe(COMMAND_NAMES.length + 8);
  });

  it('describes every command with its reply, and every push', () => {
    const received = Object.values(doc.operations).filter((o) => o.action === 'receive');
    expect(received.map((o) => o.title).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(received.every((o) => o.reply !== undefined)).toBe(true);
    const sent = Object.values(doc.operations).filter((o) => o.action === 'send');
    expect(sent.map((o) => o.title)).toEqual(
      expect.arrayContaining(['offer:event', 'cleaning:created', 'cleaning:deleted', 'session:expired']),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['OfferEvent', 'CleaningSnapshot', 'EventsSince', 'AckError']),
    );
  });

  it('names the server the client reached', () => {
    expect(doc.servers.live).toMatchObject({ host: new URL(server.url).host, pathname: '/socket.io' });
  });

  it('has payload examples the server accepts, and the very acks it answers', async () => {
    const owner = await makeUser(server.url);
    const cleaner = await makeUser(server.url, { username: 'lucy_cleans' });
    const cleaning = await makeCleaning(owner);
    expect(cleaning.id).toBe(1);
    const asCleaner = await connect(server.url, cleaner.token);
    const asOwner = await connect(server.url, owner.token);
    sockets.push(asCleaner, asOwner);

    const example = (name: string) => messageNamed(name).examples![0]!.payload;
    expect(await command(asCleaner, 'offer:create', example('offer:create'))).toMatchObject({ ok: true });
    expect(await command(asOwner, 'cleaning:subscribe', example('cleaning:subscribe'))).toMatchObject({
      ok: true,
    });
    expect(await command(asOwner, 'offer:accept', example('offer:accept'))).toMatchObject({ ok: true });
    expect(await command(asOwner, 'offers:sync', example('offers:sync'))).toMatchObject({ ok: true });

    const documented = (name: string, code: string) =>
      messageNamed(`${name} ack`).examples!.find((e) => e.name === code)!.payload;
    expect(await command(asCleaner, 'offer:create', { cleaning_id: cleaning.id })).toEqual(
      documented('offer:create', 'DUPLICATE_OFFER'),
    );
    expect(await rawCommand(asCleaner, 'offer:create', {})).toEqual(
      documented('offer:create', 'VALIDATION_FAILED'),
    );
    expect(await command(asCleaner, 'cleaning:subscribe', { cleaning_id: 424242 })).toEqual(
      documented('cleaning:subscribe', 'CLEANING_NOT_FOUND'),
    );
  });
});

describe('the socket docs page', () => {
  it('is served at /docs/socket as HTML rendered from the document, with its style sheet', async () => {
    const res = await fetch(`${server.url}/docs/socket`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const name of COMMAND_NAMES) expect(html).toContain(`<code>${name}</code>`);
    expect(html).toContain('id="schema-OfferEvent"');
    const css = await fetch(`${server.url}/docs/socket.css`);
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
  });
});
