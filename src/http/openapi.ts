import { z } from 'zod';
import { ERROR_CODES } from '../contract/error-codes.ts';
import { errorBodySchema } from '../contract/schemas.ts';
import type { RouteTable } from './route-table.ts';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

/** Builds the OpenAPI 3.1 document from the same route table and zod schemas that validate requests. */
export function buildOpenApiDocument(routes: RouteTable, version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorBody = schemaOf(errorBodySchema, 'output');
  for (const route of routes) {
    const responses: Record<string, unknown> = {
      [route.status]: {
        description: 'Success',
        content: { 'application/json': { schema: route.response ? schemaOf(route.response, 'output') : {} } },
      },
    };
    const byStatus = new Map<number, string[]>();
    for (const code of route.errors) {
      const { status, detail } = ERROR_CODES[code];
      byStatus.set(status, [
        ...(byStatus.get(status) ?? []),
        status === 422 ? 'validation problems' : `"${detail}"`,
      ]);
    }
    for (const [status, details] of byStatus) {
      responses[status] = {
        description: details.join(' | '),
        content: { 'application/json': { schema: errorBody } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId: route.name,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      responses,
      ...(route.auth ? { security: [{ OAuth2PasswordBearer: [] }] } : {}),
    };
    if (route.body) {
      const mediaType = route.body.kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      operation.requestBody = {
        required: true,
        content: { [mediaType]: { schema: schemaOf(route.body.schema, 'input') } },
      };
    }
    (paths[route.path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Phresh Live',
      version,
      description:
        'The Phresh marketplace REST API (paths work with or without the trailing slash). Live updates and commands are also available over socket.io at `/socket.io`; see the README.',
    },
    paths,
    components: {
      securitySchemes: {
        OAuth2PasswordBearer: {
          type: 'oauth2',
          flows: { password: { tokenUrl: '/api/users/login/token/', scopes: {} } },
        },
      },
    },
  };
}
