import { z } from 'zod';
import { apiDocs } from './api-docs.ts';

/** A JSON Schema (2020-12, which OpenAPI 3.1 and AsyncAPI 3 both accept) as a plain object. */
export type JsonSchema = Record<string, unknown>;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Rewrites what zod emits for machines into what a reader of the docs needs: zod spells out a date-time as a
 * 200-character regex beside `format`, and bounds every `.int()` by ±2^53, which says nothing to anyone.
 */
function tidy(ctx: { jsonSchema: JsonSchema }): void {
  const json = ctx.jsonSchema;
  if (json.format === 'date-time') delete json.pattern;
  if (json.type === 'integer') {
    if (json.minimum === -MAX_SAFE) delete json.minimum;
    if (json.maximum === MAX_SAFE) delete json.maximum;
  }
}

const SUBSCHEMA_MAPS = ['properties', '$defs', 'patternProperties'];
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SUBSCHEMAS = ['items', 'additionalProperties', 'propertyNames', 'not'];

/**
 * Text on the wire (a path or query value, a price sent as text) that means something else: shows what it
 * means, as registered under `wire`. Walks schema positions only, so a property named `wire` is left alone.
 */
function applyWireForms(node: unknown): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const json = node as JsonSchema;
  const wire = json.wire as JsonSchema | undefined;
  if (wire) {
    const { description } = json;
    for (const key of Object.keys(json)) delete json[key];
    Object.assign(json, typeof description === 'string' ? { description } : {}, wire);
  }
  delete json.id;
  for (const key of SUBSCHEMA_MAPS) {
    for (const child of Object.values((json[key] as Record<string, unknown> | undefined) ?? {}))
      applyWireForms(child);
  }
  for (const key of SUBSCHEMA_LISTS) {
    for (const child of (json[key] as unknown[] | undefined) ?? []) applyWireForms(child);
  }
  for (const key of SUBSCHEMAS) applyWireForms(json[key]);
}

function rewriteRefs(value: unknown, target: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, target));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
          ? target(v.slice('#/$defs/'.length))
          : rewriteRefs(v, target),
      ]),
    );
  }
  return value;
}

/**
 * Converts zod schemas into JSON Schemas for one document, collecting every schema named in `apiDocs` once
 * under `components.schemas` and referring to it by `$ref`. A named schema whose request form differs from
 * its response form (a price sent as text, say) gets both, the request one suffixed `Input`.
 */
export function createSchemaComponents(refPrefix = '#/components/schemas/') {
  const components: Record<string, JsonSchema> = {};

  function convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, {
      metadata: apiDocs,
      io,
      unrepresentable: 'any',
      override: (ctx) => tidy(ctx as { jsonSchema: JsonSchema }),
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    applyWireForms(json);
    const { $schema: _schema, $defs = {}, ...rest } = json;
    const names = new Map<string, string>();
    for (const [name, def] of Object.entries($defs)) {
      const existing = components[name];
      const asIs = JSON.stringify(rewriteRefs(def, (n) => refPrefix + n));
      const same = existing === undefined || JSON.stringify(existing) === asIs;
      names.set(name, same ? name : `${name}${io === 'input' ? 'Input' : 'Output'}`);
    }
    const target = (name: string) => refPrefix + (names.get(name) ?? name);
    for (const [name, def] of Object.entries($defs)) {
      components[names.get(name) ?? name] = rewriteRefs(def, target) as JsonSchema;
    }
    return rewriteRefs(rest, target) as JsonSchema;
  }

  return {
    /** The JSON Schema of `schema` as sent by clients (`input`) or by the server (`output`). */
    convert,
    /** Every named schema met so far, by name. */
    components: () => Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/**
 * A value `schema` accepts, built from the examples registered in `apiDocs`: the schema's own first example,
 * or an object assembled from its fields' examples. Undefined when nothing is registered.
 */
export function exampleOf(schema: z.ZodType): unknown {
  const own = apiDocs.get(schema)?.examples;
  if (own && own.length > 0) return own[0];
  if (schema instanceof z.ZodObject) {
    const entries = Object.entries(schema.shape as Record<string, z.ZodType>)
      .map(([key, field]) => [key, exampleOf(field)] as const)
      .filter(([, value]) => value !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return exampleOf(schema.unwrap() as z.ZodType);
  }
  return undefined;
}
