// Hostile input for every REST endpoint (issue 7, part 1): at least FUZZ_RUNS (default 1,000) generated
// malformed requests per endpoint, each of which must get a 4xx with a `detail`, never a 5xx, a leak or a
// changed row. Reproduce with `FUZZ_SEED=<seed> npx vitest run test/hardening/rest-fuzz.test.ts`.
import querystring from 'node:querystring';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import qs from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DB_ID } from '../../src/contract/schemas.ts';
import { User } from '../../src/db/entities/index.ts';
import { memoryLoginGuard } from '../../src/http/login-guard.ts';
import { memoryRegistrationGuard } from '../../src/http/registration-guard.ts';
import type { RouteSpec, RouteTable } from '../../src/http/route-table.ts';
import { registerCleaningRoutes } from '../../src/http/routes/cleanings.ts';
import { registerOfferRoutes } from '../../src/http/routes/offers.ts';
import { registerEvaluationRoutes } from '../../src/http/routes/evaluations.ts';
import { registerProfileRoutes } from '../../src/http/routes/profiles.ts';
import { registerPushRoutes } from '../../src/http/routes/push.ts';
import { registerUserRoutes } from '../../src/http/routes/users.ts';
import { createTokenService } from '../../src/domain/tokens.ts';
import { makeCleaning, makeOffers, makeUser, type TestUser } from '../helpers/api.ts';
import { startPushService, type PushService } from '../helpers/push-service.ts';
import { startServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { badAuthorization, forgedTokens, signToken } from './attack-tokens.ts';
import { snapshotRows } from './db-snapshot.ts';
import {
  idSegment,
  mutatedDocument,
  notJsonText,
  queryValue,
  toJsonText,
  usernameSegment,
  hostileKey,
  hostileString,
  escapeText,
} from './hostile-values.ts';
import { inPool, rawClient, type RawRequest } from './raw-http.ts';
import { restRefusalProblem, show } from './refusals.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 7_0001);
const CONCURRENCY = 16;

/** The same table the server mounts, for its schemas (the oracle) and its list of endpoints. */
function routeTable(): RouteTable {
  const routes: RouteTable = [];
  registerUserRoutes(routes, {
    loginGuard: memoryLoginGuard({ perEmail: 1, perIp: 1, windowSeconds: 1 }),
    registrationGuard: memoryRegistrationGuard({ perIp: 1, windowSeconds: 1 }),
  });
  registerProfileRoutes(routes);
  registerCleaningRoutes(routes);
  registerOfferRoutes(routes);
  registerEvaluationRoutes(routes);
  // The schemas are the oracle; which push services are allowed is the server's business.
  registerPushRoutes(routes, { policy: { publicKey: undefined, serviceOrigins: [] } });
  return routes;
}
const ROUTES = routeTable();
/** The routes that take any input to malform (the VAPID key's route takes none). */
const FUZZED = ROUTES.filter((r) => r.auth || r.params || r.query || r.body);

/** A request that would succeed (or at least pass validation), which each attack breaks in one way. */
type Base = {
  actor?: TestUser;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
};

let server: TestServer;
let push: PushService;
let client: ReturnType<typeof rawClient>;
let bases: Record<string, Base>;
let forged: Record<string, string>;
const tokens = createTokenService(TEST_SECRET, 60);
const activeUsernames = new Set<string>();

beforeAll(async () => {
  // Only errors matter here; access logs for thousands of requests would only slow the run down.
  push = await startPushService();
  server = await startServer({ env: { LOG_LEVEL: 'warn', ...push.env() } });
  client = rawClient(server.url, CONCURRENCY);
  const [owner, cleaner, accepted, stranger, inactive, deleted] = [
    await makeUser(server.url),
    await makeUser(server.url),
    await makeUser(server.url),
    await makeUser(server.url),
    await makeUser(server.url),
    await makeUser(server.url),
  ];
  const open = await makeCleaning(owner);
  const taken = await makeCleaning(owner);
  await makeOffers(open, [cleaner]);
  await makeOffers(taken, [accepted]);
  expect((await owner.api.put(`/api/cleanings/${taken.id}/offers/${accepted.username}/`)).status).toBe(200);
  const em = server.app.orm.em.fork();
  await em.nativeUpdate(User, { id: inactive.id }, { isActive: false });
  await em.nativeDelete(User, { id: deleted.id });
  for (const u of [owner, cleaner, accepted, stranger]) activeUsernames.add(u.username);

  forged = forgedTokens(owner, {
    'an inactive user': inactive.token,
    'a deleted user': deleted.token,
  });
  const c = String(open.id);
  const registered = push.subscribe();
  const subscribed = await owner.api.post('/api/push/subscriptions/', { json: { subscription: registered } });
  expect(subscribed.status).toBe(201);
  bases = {
    'push:subscribe': { actor: cleaner, body: { subscription: push.subscribe() } },
    'push:unsubscribe': { actor: owner, body: { endpoint: registered.endpoint } },
    'users:register-new-user': {
      body: {
        new_user: { email: 'fuzz_new@example.io', username: 'fuzz_new', password: 'long-enough-password' },
      },
    },
    'users:login-email-and-password': { body: { username: owner.email, password: owner.password } },
    'users:get-current-user': { actor: owner },
    'users:list-own-offers': { actor: cleaner },
    // The actor's own name: with a forged token this would deactivate the owner.
    'users:deactivate-user': { actor: owner, params: { username: owner.username } },
    'profiles:get-own-profile': { actor: owner },
    'profiles:get-profile-by-username': { actor: owner, params: { username: cleaner.username } },
    'profiles:update-own-profile': {
      actor: owner,
      body: {
        profile_update: {
          full_name: 'Fuzz Owner',
          phone_number: '555-0100',
          bio: 'bio',
          image: 'https://example.io/a.png',
        },
      },
    },
    'cleanings:create-cleaning': {
      actor: owner,
      body: { new_cleaning: { name: 'n', description: 'd', price: 10, cleaning_type: 'full_clean' } },
    },
    'cleanings:list-all-user-cleanings': { actor: owner },
    'cleanings:get-cleaning-by-id': { actor: owner, params: { cleaning_id: c } },
    'cleanings:update-cleaning-by-id': {
      actor: owner,
      params: { cleaning_id: c },
      body: { cleaning_update: { name: 'renamed', description: null, price: 20, cleaning_type: 'dust_up' } },
    },
    'cleanings:delete-cleaning-by-id': { actor: owner, params: { cleaning_id: c } },
    'cleanings:list-offer-events': { actor: owner, params: { cleaning_id: c }, query: { since: '0' } },
    'feed:get-cleaning-feed-for-user': {
      actor: owner,
      query: { page_chunk_size: '5', starting_date: new Date().toISOString(), starting_id: '5' },
    },
    'offers:create-offer': { actor: stranger, params: { cleaning_id: c } },
    'offers:list-offers-for-cleaning': { actor: owner, params: { cleaning_id: c } },
    'offers:get-offer-from-user': { actor: owner, params: { cleaning_id: c, username: cleaner.username } },
    'offers:accept-offer-from-user': { actor: owner, params: { cleaning_id: c, username: cleaner.username } },
    'offers:cancel-offer-from-user': { actor: accepted, params: { cleaning_id: String(taken.id) } },
    'offers:rescind-offer-from-user': { actor: cleaner, params: { cleaning_id: c } },
    'evaluations:create-evaluation-for-cleaner': {
      actor: owner,
      params: { username: accepted.username, cleaning_id: String(taken.id) },
      body: {
        evaluation_create: {
          overall_rating: 4,
          no_show: false,
          headline: 'h',
          comment: 'c',
          professionalism: 5,
          completeness: 3,
          efficiency: null,
        },
      },
    },
    'evaluations:list-evaluations-for-cleaner': { actor: stranger, params: { username: accepted.username } },
    'evaluations:get-stats-for-cleaner': { actor: stranger, params: { username: accepted.username } },
    'evaluations:get-evaluation-for-cleaner': {
      actor: stranger,
      params: { username: accepted.username, cleaning_id: String(taken.id) },
    },
  };
});
afterAll(async () => {
  client?.close();
  await server?.close();
  await push?.close();
});

/** One generated input: the request, and which statuses are right for it. */
type Attack = { request: RawRequest; expected?: readonly number[] };

type Parts = {
  authorization?: string[];
  segments?: Record<string, string>;
  queryText?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
};

function requestFor(route: RouteSpec, base: Base, label: string, parts: Parts = {}): RawRequest {
  const path = route.path.replace(
    /\{(\w+)\}/g,
    (_m, name: string) => parts.segments?.[name] ?? escapeText(base.params?.[name] ?? ''),
  );
  const queryText = parts.queryText ?? (base.query ? qsText(base.query) : '');
  const headers: Record<string, string | string[]> = {};
  const authorization = parts.authorization ?? (base.actor ? [`Bearer ${base.actor.token}`] : []);
  if (authorization.length > 0) headers.authorization = authorization;
  let body = parts.body;
  if (body === undefined && route.body && base.body !== undefined) {
    body = route.body.kind === 'form' ? qsText(base.body as never) : toJsonText(base.body);
  }
  if (route.body) {
    headers['content-type'] =
      route.body.kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
  }
  Object.assign(headers, parts.headers);
  return {
    label,
    method: route.method.toUpperCase(),
    path: queryText ? `${path}?${queryText}` : path,
    headers,
    ...(body !== undefined ? { body } : {}),
  };
}

/** `a=1&b=2`, escaping anything (lone surrogates too); undefined values are left out. */
function qsText(params: Record<string, string | undefined>): string {
  return Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${escapeText(k)}=${escapeText(v)}`)
    .join('&');
}

// ------------------------------------------------------------------------------------------------
// Oracles: is this input really malformed? (fast-check may generate valid ones; those are dropped.)

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function segmentIsMalformed(route: RouteSpec, base: Base, name: string, raw: string): boolean {
  const decoded = decodeSegment(raw);
  if (decoded === undefined || decoded === '' || decoded.includes('/') || raw === '.' || raw === '..')
    return true;
  const parsed = route.params!.safeParse({ ...base.params, [name]: decoded });
  if (!parsed.success) return true;
  // A well-formed id beyond the column's range cannot name a row: it must be a 404, never a database error.
  return name === 'cleaning_id' && (parsed.data as { cleaning_id: number }).cleaning_id > MAX_DB_ID;
}

function queryIsMalformed(route: RouteSpec, text: string): boolean {
  const parsed = route.query!.safeParse(querystring.parse(text));
  if (!parsed.success) return true;
  const id = (parsed.data as { starting_id?: number }).starting_id;
  return id !== undefined && id > MAX_DB_ID;
}

function jsonBodyIsMalformed(route: RouteSpec, text: string | Buffer): boolean {
  if (typeof text !== 'string') return true;
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return true;
  }
  return !route.body!.schema.safeParse(value).success;
}

function formIsMalformed(route: RouteSpec, text: string | Buffer): boolean {
  if (typeof text !== 'string') return true;
  const params = qs.parse(text, { allowPrototypes: true, depth: 0, parameterLimit: 1000, arrayLimit: 1000 });
  return !route.body!.schema.safeParse(params).success;
}

function authorizationIsBad(lines: string[]): boolean {
  const first = lines[0];
  if (first === undefined) return true;
  const token = /^bearer[ \t]+([^\s]+)[ \t]*$/i.exec(first)?.[1];
  if (!token) return true;
  try {
    return !activeUsernames.has(tokens.verify(token).username);
  } catch {
    return true;
  }
}

// ------------------------------------------------------------------------------------------------
// Attacks, per kind of input

function authAttacks(route: RouteSpec, base: Base): fc.Arbitrary<Attack> {
  const good = signToken({ username: base.actor!.username }, { subject: base.actor!.email });
  return badAuthorization(good, forged)
    .filter(authorizationIsBad)
    .map((authorization) => ({
      request: requestFor(route, base, `authorization ${show(authorization, 120)}`, { authorization }),
      // Two huge headers together pass Node's 16 kB header limit: 431, before any token is read.
      expected: [401, 431],
    }));
}

function paramAttacks(route: RouteSpec, base: Base): fc.Arbitrary<Attack> {
  const names = Object.keys(base.params ?? {});
  return fc.constantFrom(...names).chain((name) =>
    (name === 'username' ? usernameSegment : idSegment)
      .filter((raw) => segmentIsMalformed(route, base, name, raw))
      .map((raw) => ({
        request: requestFor(route, base, `path ${name}=${show(raw, 120)}`, { segments: { [name]: raw } }),
      })),
  );
}

const QUERY_JUNK = [
  '%',
  '%zz',
  '&&&',
  '=',
  '==1',
  'a=%00',
  '__proto__=1',
  'constructor[prototype]=1',
] as const;

function queryAttacks(route: RouteSpec, base: Base): fc.Arbitrary<Attack> {
  const keys = Object.keys(base.query ?? {});
  const baseText = qsText(base.query ?? {});
  const replaced = fc
    .tuple(fc.constantFrom(...keys), queryValue)
    .map(([k, v]) => qsText({ ...base.query, [k]: v }));
  const duplicated = fc
    .tuple(fc.constantFrom(...keys), queryValue)
    .map(([k, v]) => `${baseText}&${escapeText(k)}=${escapeText(v)}`);
  const bracketed = fc
    .tuple(fc.constantFrom(...keys), fc.constantFrom('[]', '[0]', '[a]', '.x'))
    .map(([k, suffix]) => `${qsText({ ...base.query, [k]: undefined })}&${k}${suffix}=1`);
  const junk = fc
    .tuple(fc.constantFrom(...keys), fc.constantFrom(...QUERY_JUNK))
    .map(([k, j]) => `${qsText({ ...base.query, [k]: '' })}&${j}`);
  const extraKeys = fc
    .tuple(
      fc.dictionary(hostileKey, queryValue, { minKeys: 1, maxKeys: 3 }),
      fc.constantFrom(...keys),
      queryValue,
    )
    .map(([extra, k, v]) => qsText({ ...extra, ...base.query, [k]: v }));
  return fc
    .oneof(replaced, duplicated, bracketed, junk, extraKeys)
    .filter((text) => queryIsMalformed(route, text))
    .map((queryText) => ({
      request: requestFor(route, base, `query ${show(queryText, 160)}`, { queryText }),
    }));
}

const bombs = new Map<number, Buffer>();
/** `mb` megabytes of spaces, gzipped to a few kilobytes. */
function gzipBomb(mb: number): Buffer {
  let bomb = bombs.get(mb);
  if (!bomb) bombs.set(mb, (bomb = gzipSync(Buffer.alloc(mb * 1024 * 1024, 0x20))));
  return bomb;
}

/** Attacks on the body's transport: size, compression and character sets. */
function transportAttacks(route: RouteSpec, base: Base): fc.Arbitrary<Attack> {
  const json = route.body?.kind === 'json';
  const valid = json ? toJsonText(base.body) : qsText(base.body as never);
  const limit = json ? 64 * 1024 : 16 * 1024;
  return fc.oneof(
    fc.integer({ min: limit + 1, max: limit * 3 }).map((n) => ({
      request: requestFor(route, base, `a body of ${n} bytes`, {
        body: json ? `${valid.slice(0, -1)},"pad":"${'x'.repeat(n)}"}` : `${valid}&pad=${'x'.repeat(n)}`,
      }),
      expected: [413],
    })),
    fc.integer({ min: 1, max: 10 }).map((mb) => ({
      request: requestFor(route, base, `a gzip bomb of ${mb} MB`, {
        body: gzipBomb(mb),
        headers: { 'content-encoding': 'gzip' },
      }),
      expected: [413],
    })),
    fc.constantFrom('gzip', 'deflate', 'br').map((encoding) => ({
      request: requestFor(route, base, `a body that is not ${encoding}`, {
        body: valid,
        headers: { 'content-encoding': encoding },
      }),
    })),
    fc.constantFrom('compress', 'x-unknown', 'identity, gzip, gzip', 'gzip;q=1').map((encoding) => ({
      request: requestFor(route, base, `content-encoding ${encoding}`, {
        body: valid,
        headers: { 'content-encoding': encoding },
      }),
    })),
    fc
      .constantFrom(
        ...(json ? ['x-unknown', 'iso-8859-1', 'utf-32', 'utf-16le'] : ['x-unknown', 'utf-32', 'utf-7']),
      )
      .map((charset) => ({
        request: requestFor(route, base, `charset ${charset}`, {
          body: valid,
          headers: {
            'content-type': `${json ? 'application/json' : 'application/x-www-form-urlencoded'}; charset=${charset}`,
          },
        }),
      })),
  );
}

function jsonBodyAttacks(route: RouteSpec, base: Base): fc.Arbitrary<Attack> {
  const texts = fc.oneof(
    { weight: 8, arbitrary: mutatedDocument(base.body).map(toJsonText) },
    { weight: 2, arbitrary: notJsonText },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  );
  return fc.oneof(
    {
      weight: 12,
      arbitrary: texts
        .filter((text) => jsonBodyIsMalformed(route, text))
        .map((body) => ({ request: requestFor(route, base, `body ${show(body, 200)}`, { body }) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x')
        .chain((type) =>
          mutatedDocument(base.body)
            .map(toJsonText)
            .filter((text) => jsonBodyIsMalformed(route, text))
            .map((body) => ({
              request: requestFor(route, base, `${type} body ${show(body, 160)}`, {
                body,
                headers: { 'content-type': type },
              }),
            })),
        ),
    },
    { weight: 2, arbitrary: transportAttacks(route, base) },
  );
}

function formAttacks(route: RouteSpec, base: Base): fc.Arbitrary<Attack> {
  const form = base.body as Record<string, string>;
  const keys = Object.keys(form);
  const validText = qsText(form);
  const texts = fc.oneof(
    fc.constantFrom(...keys).map((k) => qsText({ ...form, [k]: undefined })),
    fc.constantFrom(...keys).map((k) => qsText({ ...form, [k]: '' })),
    fc.tuple(fc.constantFrom(...keys), fc.string()).map(([k, v]) => `${validText}&${k}=${escapeText(v)}`),
    fc
      .tuple(fc.constantFrom(...keys), fc.constantFrom('[]', '[0]', '[a]'))
      .map(([k, s]) => `${qsText({ ...form, [k]: undefined })}&${k}${s}=x`),
    fc
      .tuple(fc.constantFrom(...keys), fc.integer({ min: 1001, max: 8000 }))
      .map(([k, n]) => qsText({ ...form, [k]: 'a'.repeat(n) })),
    fc.integer({ min: 1001, max: 1500 }).map((n) => Array.from({ length: n }, (_, i) => `k${i}=1`).join('&')),
    fc.constant(JSON.stringify(form)),
    mutatedDocument(form).map(toJsonText),
    notJsonText,
    fc.dictionary(hostileKey, fc.string(), { maxKeys: 4 }).map((d) => qsText(d)),
  );
  return fc.oneof(
    {
      weight: 10,
      arbitrary: texts
        .filter((text) => formIsMalformed(route, text))
        .map((body) => ({ request: requestFor(route, base, `form ${show(body, 200)}`, { body }) })),
    },
    { weight: 1, arbitrary: transportAttacks(route, base) },
  );
}

/** Every kind of attack that applies to the route, mixed. */
function attacksOn(route: RouteSpec, base: Base): fc.Arbitrary<Attack> {
  const kinds: fc.Arbitrary<Attack>[] = [];
  if (route.auth) kinds.push(authAttacks(route, base));
  if (route.params) kinds.push(paramAttacks(route, base));
  if (route.query) kinds.push(queryAttacks(route, base));
  if (route.body?.kind === 'json') kinds.push(jsonBodyAttacks(route, base));
  if (route.body?.kind === 'form') kinds.push(formAttacks(route, base));
  return fc.oneof(...kinds);
}

describe('hostile REST input', () => {
  it('covers every endpoint the server documents', async () => {
    const res = await fetch(`${server.url}/api/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(Object.keys(bases).sort()).toEqual(FUZZED.map((r) => r.name).sort());
    expect(ROUTES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(FUZZED.map((r, i) => [`${r.method.toUpperCase()} ${r.path}`, r, SEED + i] as const))(
    'refuses %s every generated malformed input with a 4xx and a detail, changing nothing',
    async (_name, route, seed) => {
      const base = bases[route.name]!;
      const attacks = fc.sample(attacksOn(route, base), { numRuns: RUNS, seed });
      expect(attacks.length).toBeGreaterThanOrEqual(RUNS);
      const before = await snapshotRows(server);
      const logsBefore = server.logs().length;
      const failures: string[] = [];
      const statuses: Record<number, number> = {};
      await inPool(attacks, CONCURRENCY, async ({ request, expected }) => {
        let problem: string | undefined;
        try {
          const answer = await client.send(request);
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          const requestText = `${request.path} ${JSON.stringify(request.headers)} ${String(request.body ?? '')}`;
          problem = restRefusalProblem(answer, requestText, expected);
        } catch (e) {
          problem = `no answer: ${(e as Error).message}`;
        }
        if (problem) failures.push(`${request.label}\n    -> ${problem}`);
      });
      if (process.env.FUZZ_REPORT)
        console.log(`${_name}: ${attacks.length} inputs, statuses ${show(statuses)}`);
      expect(
        failures.slice(0, 8),
        `${failures.length} of ${attacks.length} inputs failed (seed ${seed})`,
      ).toEqual([]);
      expect(await snapshotRows(server)).toEqual(before);
      const unexpected = server
        .logs()
        .slice(logsBefore)
        .filter((l) => (l.level as number) >= 50);
      expect(unexpected.map((l) => show(l, 500))).toEqual([]);
    },
  );
});

/** Values the schemas accept, but that are hostile all the same: NUL, lone surrogates, edge numbers and dates. */
describe('well-formed but hostile REST input', () => {
  const text = fc.oneof(hostileString, fc.string({ unit: 'binary', maxLength: 200 }));
  const price = fc.oneof(
    fc.constantFrom(0.01, 1e-7, 99999.99, 99999.989, 5e-324, '0.01', ' 1 ', '+1', '.5', '1e-3', '99999.99'),
    fc.double({ min: 1e-9, max: 99999.99, noNaN: true }),
  );
  const isoDate = fc.oneof(
    fc.constantFrom(
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00',
      '9999-12-31T23:59:59.999999999+14:00',
      '9999-12-31T23:59:59-14:00',
      '2000-02-29T12:00:00.5+05:45',
    ),
    fc
      .date({
        min: new Date('0001-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
  );

  const cases: { name: string; runs: number; requests: () => fc.Arbitrary<RawRequest> }[] = [
    {
      name: 'POST /api/cleanings/ with any text and any valid price',
      runs: 200,
      requests: () =>
        fc.record({ name: text, description: fc.option(text), price }).map((c) =>
          requestFor(routeNamed('cleanings:create-cleaning'), bases['cleanings:create-cleaning']!, show(c), {
            body: toJsonText({ new_cleaning: c }),
          }),
        ),
    },
    {
      name: 'PUT /api/cleanings/{id}/ with any text and any valid price',
      runs: 200,
      requests: () =>
        fc.record({ name: text, description: fc.option(text), price }, { requiredKeys: [] }).map((c) =>
          requestFor(
            routeNamed('cleanings:update-cleaning-by-id'),
            bases['cleanings:update-cleaning-by-id']!,
            show(c),
            {
              body: toJsonText({ cleaning_update: c }),
            },
          ),
        ),
    },
    {
      name: 'PUT /api/profiles/me/ with any text',
      runs: 200,
      requests: () =>
        fc
          .record(
            {
              full_name: fc.option(text),
              phone_number: fc.option(text),
              bio: fc.option(text),
              image: fc.option(
                fc.oneof(
                  text,
                  fc.webUrl().map((u) => `${u}${'\u0000'}`),
                  fc.webUrl(),
                ),
              ),
            },
            { requiredKeys: [] },
          )
          .map((p) =>
            requestFor(
              routeNamed('profiles:update-own-profile'),
              bases['profiles:update-own-profile']!,
              show(p),
              {
                body: toJsonText({ profile_update: p }),
              },
            ),
          ),
    },
    {
      name: 'POST /api/users/login/token/ with any text',
      runs: 30,
      requests: () =>
        fc
          .record({ username: text, password: text })
          .map((f) =>
            requestFor(routeNamed('users:login-email-and-password'), {}, show(f), { body: qsText(f) }),
          ),
    },
    {
      name: 'POST /api/users/ with any password and unusual emails',
      runs: 30,
      requests: () =>
        fc
          .record({
            email: fc.oneof(
              fc.emailAddress(),
              fc.constantFrom('a+b@x.io', 'A@B.IO', '"q"@x.io', 'a\u0000@x.io', 'é@x.io'),
            ),
            username: fc.stringMatching(/^[a-zA-Z0-9_-]{3,64}$/),
            password: fc.string({ unit: 'binary', minLength: 7, maxLength: 100 }),
          })
          .map((u) =>
            requestFor(routeNamed('users:register-new-user'), {}, show(u), {
              body: toJsonText({ new_user: u }),
            }),
          ),
    },
    {
      name: 'GET /api/feed/cleanings/ with any valid cursor',
      runs: 200,
      requests: () =>
        fc
          .record(
            {
              page_chunk_size: fc.integer({ min: 1, max: 50 }).map(String),
              starting_date: isoDate,
              starting_id: fc.oneof(
                fc.constantFrom('0', '0000000000', String(MAX_DB_ID)),
                fc.nat({ max: MAX_DB_ID }).map(String),
              ),
            },
            { requiredKeys: [] },
          )
          .map((q) =>
            requestFor(
              routeNamed('feed:get-cleaning-feed-for-user'),
              bases['feed:get-cleaning-feed-for-user']!,
              show(q),
              {
                queryText: qsText(q),
              },
            ),
          ),
    },
    {
      name: 'GET /api/cleanings/{id}/events/ with any valid since',
      runs: 100,
      requests: () =>
        fc
          .oneof(fc.constantFrom('0', '999999999999999', '000000000000000'), fc.nat().map(String))
          .map((since) =>
            requestFor(
              routeNamed('cleanings:list-offer-events'),
              bases['cleanings:list-offer-events']!,
              since,
              {
                queryText: qsText({ since }),
              },
            ),
          ),
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('never answers %s with a 5xx', async (_name, c) => {
    const requests = fc.sample(c.requests(), { numRuns: c.runs, seed: SEED });
    const logsBefore = server.logs().length;
    const failures: string[] = [];
    await inPool(requests, CONCURRENCY, async (request) => {
      const answer = await client
        .send(request)
        .catch((e: Error) => ({ status: 0, text: e.message }) as const);
      if (answer.status >= 200 && answer.status < 300) return;
      const problem =
        answer.status === 0
          ? `no answer: ${answer.text}`
          : restRefusalProblem(
              answer as Parameters<typeof restRefusalProblem>[0],
              String(request.body ?? request.path),
            );
      if (problem) failures.push(`${request.label}\n    -> ${problem}`);
    });
    expect(failures.slice(0, 8), `${failures.length} of ${requests.length} failed (seed ${SEED})`).toEqual(
      [],
    );
    const unexpected = server
      .logs()
      .slice(logsBefore)
      .filter((l) => (l.level as number) >= 50);
    expect(unexpected.map((l) => show(l, 500))).toEqual([]);
  });
});

function routeNamed(name: string): RouteSpec {
  const route = ROUTES.find((r) => r.name === name);
  if (!route) throw new Error(`no route ${name}`);
  return route;
}

describe('oversized bodies', () => {
  /** Sends raw bytes on a fresh connection and resolves with what the server wrote before closing or 2 s. */
  function exchange(write: (socket: import('node:net').Socket) => void): Promise<string> {
    return import('node:net').then(
      ({ connect }) =>
        new Promise((resolve, reject) => {
          const url = new URL(server.url);
          let data = '';
          const socket = connect(Number(url.port), url.hostname, () => write(socket));
          const timer = setTimeout(() => {
            socket.destroy();
            resolve(data);
          }, 2_000);
          socket.on('data', (d) => {
            data += String(d);
            if (data.includes('\r\n\r\n{')) {
              clearTimeout(timer);
              socket.destroy();
              resolve(data);
            }
          });
          socket.on('error', reject);
        }),
    );
  }

  it.each([
    ['POST /api/users/', 'application/json'],
    ['POST /api/users/login/token/', 'application/x-www-form-urlencoded'],
  ])('refuses %s with 413 from its declared length alone, before reading the body', async (route, type) => {
    const [method, path] = route.split(' ');
    const answer = await exchange((socket) =>
      socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 50000000\r\n\r\n{`,
      ),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('{"detail":"Request body is too large.","code":"PAYLOAD_TOO_LARGE"}');
  });

  // Without a declared length the parser counts as it reads: past the limit it stops keeping bytes, discards
  // the rest and answers once the client has sent it (Node's request timeout bounds a client that never does).
  it('refuses a chunked body with 413 without keeping it', async () => {
    const token = bases['cleanings:create-cleaning']!.actor!.token;
    const chunk = 'x'.repeat(16 * 1024);
    const answer = await exchange((socket) => {
      socket.write(
        `POST /api/cleanings/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      // Sixty-four chunks of 16 kB: a megabyte, sixteen times the limit.
      for (let i = 0; i < 64; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      socket.write('0\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('{"detail":"Request body is too large.","code":"PAYLOAD_TOO_LARGE"}');
  });
});
