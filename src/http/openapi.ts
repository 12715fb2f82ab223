import type { z } from 'zod';
import { AUTHENTICATION_ERRORS, type ErrorCode } from '../contract/error-codes.ts';
import { messageErrorSchema, validationErrorSchema } from '../contract/schemas.ts';
import { check } from '../contract/validation.ts';
import { domainError, validationError } from '../domain/errors.ts';
import { restErrorBody } from './error-responses.ts';
import type { RouteSpec, RouteTable } from './route-table.ts';
import { createSchemaComponents, exampleOf, type JsonSchema } from '../contract/json-schema-components.ts';

type Components = ReturnType<typeof createSchemaComponents>;

function parametersOf(components: Components, schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const json = components.convert(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  const example = exampleOf(schema) as Record<string, unknown> | undefined;
  return Object.entries(json.properties ?? {}).map(([name, { description, examples, ...s }]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof description === 'string' ? { description } : {}),
    ...(example?.[name] !== undefined
      ? { example: example[name] }
      : Array.isArray(examples) && examples.length > 0
        ? { example: examples[0] }
        : {}),
  }));
}

/**
 * A real 422 for the route, produced by its own validators: what a client gets for a wrong path value, a wrong
 * query value, or a body that is missing its fields.
 */
function validationExamples(route: RouteSpec): Record<string, { summary: string; value: unknown }> {
  const examples: Record<string, { summary: string; value: unknown }> = {};
  const tryInput = (
    key: string,
    summary: string,
    schema: z.ZodType | undefined,
    input: unknown,
    where: string,
  ) => {
    if (!schema) return;
    const checked = check(schema, input, [where]);
    if (!checked.ok) examples[key] = { summary, value: restErrorBody(validationError(checked.issues)) };
  };
  const keysOf = (schema: z.ZodType | undefined) =>
    Object.keys(((schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {}) as object);
  tryInput(
    'path',
    'A path value of the wrong type',
    route.params,
    Object.fromEntries(keysOf(route.params).map((k) => [k, 'not-an-id!'])),
    'path',
  );
  tryInput(
    'query',
    'A query value of the wrong type',
    route.query,
    Object.fromEntries(keysOf(route.query).map((k) => [k, 'soon'])),
    'query',
  );
  if (route.body) tryInput('body', 'Required fields missing', route.body.schema, {}, 'body');
  return examples;
}

/** The codes a route may answer: its own, plus the authentication errors of every route that needs a user. */
export function routeErrors(route: RouteSpec): ErrorCode[] {
  return [...new Set([...(route.auth ? AUTHENTICATION_ERRORS : []), ...route.errors])];
}

function errorResponses(route: RouteSpec): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of routeErrors(route)) {
    const status = domainError(code).status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    if (status === 422) {
      responses[status] = {
        description: 'Validation Error',
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/HTTPValidationError' },
            examples: validationExamples(route),
          },
        },
      };
      continue;
    }
    const errors = codes.map((code) => domainError(code));
    responses[status] = {
      description: errors.map((e) => e.detail).join(' | '),
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/HTTPError' },
          examples: Object.fromEntries(
            errors.map((e) => [e.code, { summary: String(e.detail), value: restErrorBody(e) }]),
          ),
        },
      },
    };
  }
  return responses;
}

/**
 * Builds the OpenAPI 3.1 document from the same route table and zod schemas that validate requests: named
 * schemas become `components.schemas`, examples come from the contract, error examples from the real mappers.
 */
export function buildOpenApiDocument(routes: RouteTable, version: string): JsonSchema {
  const components = createSchemaComponents();
  components.convert(messageErrorSchema, 'output');
  components.convert(validationErrorSchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const success = route.response
      ? { content: { 'application/json': { schema: components.convert(route.response, 'output') } } }
      : { content: { 'application/json': { schema: { type: 'null' } } } };
    const operation: Record<string, unknown> = {
      operationId: route.name,
      summary: route.summary,
      tags: [route.tag],
      parameters: [
        ...parametersOf(components, route.params, 'path'),
        ...parametersOf(components, route.query, 'query'),
      ],
      responses: {
        [route.status]: { description: 'Successful Response', ...success },
        ...errorResponses(route),
      },
      ...(route.auth ? { security: [{ OAuth2PasswordBearer: [] }] } : {}),
    };
    if (route.body) {
      const mediaType = route.body.kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      const example = exampleOf(route.body.schema);
      operation.requestBody = {
        required: true,
        content: {
          [mediaType]: {
            schema: components.convert(route.body.schema, 'input'),
            ...(example !== undefined ? { example } : {}),
          },
        },
      };
    }
    (paths[route.path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Phresh Live',
      version,
      description: [
        'The Phresh marketplace REST API. Paths work with or without the trailing slash.',
        'Every error answers `{"detail": ..., "code": ...}` with the status shown: `code` is a stable name to branch on (the same as in socket acks), and a 422’s `detail` lists each problem in FastAPI’s shape.',
        'Live updates and the offer commands are also available over socket.io at `/socket.io`: see the [socket API](/docs/socket) ([AsyncAPI document](/api/asyncapi.json)).',
      ].join('\n\n'),
    },
    paths,
    components: {
      schemas: components.components(),
      securitySchemes: {
        OAuth2PasswordBearer: {
          type: 'oauth2',
          flows: { password: { tokenUrl: '/api/users/login/token/', scopes: {} } },
        },
      },
    },
  };
}
