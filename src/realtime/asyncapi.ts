import type { z } from 'zod';
import { createSchemaComponents, exampleOf, type JsonSchema } from '../contract/json-schema-components.ts';
import {
  EVERY_COMMAND_ERRORS,
  HANDSHAKE_ERRORS,
  SOCKET_COMMANDS,
  SOCKET_PUSHES,
} from '../contract/socket-catalogue.ts';
import { ackErrorSchema } from '../contract/schemas.ts';
import { check } from '../contract/validation.ts';
import { domainError, validationError } from '../domain/errors.ts';
import { errorAck } from './command-runner.ts';
import { MAX_SOCKET_MESSAGE_BYTES } from './realtime.ts';

const CHANNEL = 'socket';
const channelRef = { $ref: `#/channels/${CHANNEL}` };

/** `offer:create` → `offerCreate`: AsyncAPI keys allow no colon. */
function keyOf(event: string): string {
  return event.replace(/[:_-](\w)/g, (_m, c: string) => c.toUpperCase());
}

const DESCRIPTION = `The live half of Phresh Live: socket.io 4 on the REST server's port, path \`/socket.io\`.
The [REST API](/docs) shares its accounts, tokens, error texts and data.

**Connecting.** Pass the REST login's JWT in the handshake: \`io(url, { auth: { token } })\`. A missing, bad or
expired token, or an inactive user, fails the handshake with \`connect_error\`: message \`unauthorized\`,
\`data: {status: 401, code, detail}\`. When a connected socket's token expires, the server sends \`session:expired\`
and disconnects it.

**Commands** are socket.io events with one payload object and an acknowledgement callback. The ack is
\`{ok: true, data}\` or \`{ok: false, error: {status, code, detail}}\`, with REST's statuses and texts and a
stable \`code\` to branch on. Any command may answer 422 (a malformed payload; unknown keys are refused), 429
(more than the per-socket rate), 503 (the node is shutting down or its database is away: retry) or 500. An
unknown event gets 404 \`UNKNOWN_COMMAND\`; a message over ${MAX_SOCKET_MESSAGE_BYTES / 1024} KiB closes the connection.

**Guarantees.**
- Pushes go out only after the command's transaction commits: a refused or rolled-back command pushes nothing.
- Every offer change is one \`offer:event\` with a per-cleaning \`seq\`, recorded in a durable log. On a
  connection, a cleaning's \`seq\` only increases.
- Replay: a client that reconnects and sends \`cleaning:subscribe\` with its last \`seq\`, or \`offers:sync\`
  with its cursors, gets every missed event exactly once and in order, also when it missed them on another
  node, or long ago. Replays come in pages of at most 5000 events; \`more: true\` comes with \`next_since\` or
  \`next_cursors\`, where to ask again, and the cleaning's pushes wait until its replay is complete.
- Answers and pushes never overlap: what a \`cleaning:subscribe\` or \`offers:sync\` answer covered is not
  pushed again, and every later event is.
- Nobody receives an event they could not read over \`GET /api/cleanings/{id}/events/\`.
- A socket that stops reading its pushes is disconnected; it resyncs from the log when it returns.`;

/**
 * Builds the AsyncAPI 3.0 document of the socket API from the schemas the server validates commands with
 * (`commands`, from the command table) and the contract's catalogue of answers, pushes and error codes.
 * Written from the server's side: it receives commands and replies with acks, and sends pushes.
 */
export function buildAsyncApiDocument(commands: ReadonlyMap<string, z.ZodType>, version: string): JsonSchema {
  const components = createSchemaComponents();
  const ackError = components.convert(ackErrorSchema, 'output');
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};

  const undocumented = [...commands.keys()].filter((name) => !(name in SOCKET_COMMANDS));
  if (undocumented.length > 0)
    throw new Error(`socket commands missing from the catalogue: ${undocumented.join(', ')}`);

  for (const [name, doc] of Object.entries(SOCKET_COMMANDS)) {
    const payload = commands.get(name);
    if (!payload) throw new Error(`socket command without a handler: ${name}`);
    const key = keyOf(name);
    const example = exampleOf(payload);
    messages[key] = {
      name,
      title: name,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      payload: components.convert(payload, 'input'),
      ...(example !== undefined ? { examples: [{ name: 'example', payload: example }] } : {}),
    };

    const results = doc.result === null ? [] : Array.isArray(doc.result) ? doc.result : [doc.result];
    const data =
      results.length === 0
        ? { type: 'null' }
        : results.length === 1
          ? components.convert(results[0] as z.ZodType, 'output')
          : { oneOf: results.map((r) => components.convert(r as z.ZodType, 'output')) };
    const refusals = [...doc.errors, ...EVERY_COMMAND_ERRORS];
    const invalid = check(payload, {}, ['payload']);
    const errorExamples = refusals.map((code) => {
      const error =
        code === 'VALIDATION_FAILED' && !invalid.ok ? validationError(invalid.issues) : domainError(code);
      return { name: code, summary: String(domainError(code).detail), payload: errorAck(error) };
    });
    messages[`${key}Ack`] = {
      name: `${name} ack`,
      title: `${name} acknowledgement`,
      summary: `The answer to \`${name}\`: \`data\` on success, or an error with one of: ${refusals.map((c) => `\`${c}\``).join(', ')}.`,
      payload: {
        oneOf: [
          {
            type: 'object',
            properties: { ok: { const: true }, data },
            required: ['ok', 'data'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { ok: { const: false }, error: ackError },
            required: ['ok', 'error'],
            additionalProperties: false,
          },
        ],
      },
      examples: errorExamples,
    };
    operations[key] = {
      action: 'receive',
      channel: channelRef,
      title: name,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      messages: [{ $ref: `#/channels/${CHANNEL}/messages/${key}` }],
      reply: { channel: channelRef, messages: [{ $ref: `#/channels/${CHANNEL}/messages/${key}Ack` }] },
    };
  }

  for (const [name, doc] of Object.entries(SOCKET_PUSHES)) {
    const key = keyOf(name);
    messages[key] = {
      name,
      title: name,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      payload: components.convert(doc.payload, 'output'),
    };
    operations[key] = {
      action: 'send',
      channel: channelRef,
      title: name,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      messages: [{ $ref: `#/channels/${CHANNEL}/messages/${key}` }],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Phresh Live socket API',
      version,
      description: DESCRIPTION,
    },
    defaultContentType: 'application/json',
    servers: {
      live: {
        host: 'localhost:3000',
        protocol: 'ws',
        pathname: '/socket.io',
        title: 'This server',
        description: 'socket.io 4 (Engine.IO 4): WebSocket, or HTTP long-polling as a fallback.',
        security: [{ $ref: '#/components/securitySchemes/handshakeToken' }],
      },
    },
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'The default namespace',
        description:
          'Every command and push travels on the default namespace of one authenticated connection.',
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }]),
        ),
      },
    },
    operations,
    components: {
      schemas: components.components(),
      messages,
      securitySchemes: {
        handshakeToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `The JWT from \`POST /api/users/login/token/\`, sent in socket.io's handshake as \`auth: {token}\` (not as a header). A refusal is \`connect_error\` with \`data: {status: 401, code, detail}\`: ${HANDSHAKE_ERRORS.map((c) => `"${domainError(c).detail}"`).join(', ')}.`,
        },
      },
    },
  };
}
