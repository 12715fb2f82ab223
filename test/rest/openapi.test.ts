import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { Api, makeUser } from '../helpers/api.ts';
import webpush from 'web-push';
import { useLiveServer } from '../helpers/live-server.ts';

type Operation = {
  operationId: string;
  security?: unknown[];
  parameters: { name: string; in: string; example?: unknown }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>;
};
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

// Push on (the default push services allowed), so that the push endpoints' examples are tried too.
const vapid = webpush.generateVAPIDKeys();
const suite = useLiveServer({
  env: {
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:docs@example.com',
  },
});
let doc: Doc;

beforeAll(async () => {
  doc = (await new Api(suite.server.url).get<Doc>('/api/openapi.json')).body;
});

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => [path, method, op] as [string, string, Operation]),
  );
}

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      k === '$ref' && typeof v === 'string' ? [v] : refsIn(v),
    );
  }
  return [];
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('names its schemas under components, and every reference resolves', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names).toEqual(
      expect.arrayContaining([
        'NewCleaning',
        'CleaningPublic',
        'OfferPublic',
        'UserPublic',
        'HTTPValidationError',
      ]),
    );
    const refs = new Set(refsIn(doc));
    expect(refs.size).toBeGreaterThan(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(names, ref).toContain(ref.slice('#/components/schemas/'.length));
    }
  });

  it('shows readable formats: date-times without their regex, integers without ±2^53 bounds', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
    const cleaning = doc.components.schemas.CleaningPublic as { properties: Record<string, unknown> };
    expect(cleaning.properties.created_at).toEqual({ type: 'string', format: 'date-time' });
    expect(cleaning.properties.id).toEqual({ type: 'integer' });
    const feed = doc.paths['/api/feed/cleanings/']!.get!;
    expect(feed.parameters.find((p) => p.name === 'starting_date')).toMatchObject({
      schema: { type: 'string', format: 'date-time' },
    });
    expect(feed.parameters.find((p) => p.name === 'page_chunk_size')).toMatchObject({
      schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 },
    });
  });

  it('gives real error examples: the texts the server answers, and 422s in FastAPI’s shape', async () => {
    const get = doc.paths['/api/cleanings/{cleaning_id}/']!.get!;
    const notFound = get.responses['404']!.content!['application/json']!.examples!;
    const wrongId = get.responses['422']!.content!['application/json']!.examples!.path!.value;
    const unauthorised = get.responses['401']!.content!['application/json']!.examples!;
    const api = new Api(suite.server.url);
    expect(Object.values(unauthorised).map((e) => e.value)).toContainEqual(
      (await api.get('/api/cleanings/1/')).body,
    );
    const login = await api.post('/api/users/', {
      json: { new_user: { email: 'errors@example.com', username: 'errors_docs', password: 'long-enough-1' } },
    });
    const authed = api.as(login.body.access_token.access_token);
    expect(Object.values(notFound).map((e) => e.value)).toContainEqual(
      (await authed.get('/api/cleanings/999999/')).body,
    );
    expect(wrongId).toEqual((await authed.get('/api/cleanings/not-an-id!/')).body);
    expect(wrongId).toMatchObject({ detail: [{ loc: ['path', 'cleaning_id'], msg: expect.any(String) }] });
  });

  it('has request examples the server accepts, as "Try it out" sends them, in the document’s order', async () => {
    let token: string | undefined;
    let cleaningId: number | undefined;
    let username: string | undefined;
    const tried: string[] = [];
    for (const [path, method, op] of operations()) {
      const content = op.requestBody?.content;
      if (!content) continue;
      const [mediaType, { example }] = Object.entries(content)[0]!;
      expect(example, `${op.operationId} has a request example`).toBeDefined();
      // An evaluation needs a job done: someone else offers on the cleaning, and its owner accepts them.
      let evaluated: string | undefined;
      if (op.operationId === 'evaluations:create-evaluation-for-cleaner') {
        const cleaner = await makeUser(suite.server.url);
        expect((await cleaner.api.post(`/api/cleanings/${cleaningId}/offers/`)).status).toBe(201);
        const owner = new Api(suite.server.url, token);
        expect((await owner.put(`/api/cleanings/${cleaningId}/offers/${cleaner.username}/`)).status).toBe(
          200,
        );
        evaluated = cleaner.username;
      }
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        if (name === 'cleaning_id') return String(cleaningId);
        if (name === 'username') return String(evaluated ?? username);
        const param = op.parameters.find((p) => p.name === name);
        return String(param?.example);
      });
      const api = new Api(suite.server.url, op.security ? token : undefined);
      const res =
        mediaType === 'application/x-www-form-urlencoded'
          ? await api.request(method.toUpperCase(), url, { form: example as Record<string, string> })
          : await api.request(method.toUpperCase(), url, { json: example });
      expect([op.operationId, res.status, res.status < 300 ? '' : res.text]).toEqual([
        op.operationId,
        expect.toSatisfy((s: number) => s >= 200 && s < 300),
        '',
      ]);
      tried.push(op.operationId);
      if (typeof res.body?.access_token === 'string') token = res.body.access_token;
      if (typeof res.body?.username === 'string') username = res.body.username;
      if (typeof res.body?.cleaning_type === 'string') cleaningId = res.body.id;
    }
    expect(tried).toEqual(
      expect.arrayContaining([
        'users:register-new-user',
        'users:login-email-and-password',
        'profiles:update-own-profile',
        'cleanings:create-cleaning',
        'cleanings:update-cleaning-by-id',
        'evaluations:create-evaluation-for-cleaner',
      ]),
    );
  });
});
