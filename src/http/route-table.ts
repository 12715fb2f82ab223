import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { ErrorCode } from '../contract/error-codes.ts';
import { check, type Checked } from '../contract/validation.ts';
import type { Account } from '../db/queries/users.ts';
import type { Deps } from '../domain/context.ts';
import { domainError, validationError } from '../domain/errors.ts';
import { authenticateRequest } from './auth.ts';
import { sendJson } from './error-responses.ts';
import type { HttpDeps } from './http-deps.ts';

type Method = 'get' | 'post' | 'put' | 'delete';
type AnyObjectSchema = z.ZodType<Record<string, unknown>>;

/** How a route reads its body: JSON under a wrapper key, or an OAuth2 form. */
export type BodySpec =
  | { kind: 'json'; schema: z.ZodType; deferred?: false }
  | { kind: 'json'; schema: z.ZodType; deferred: true }
  | { kind: 'form'; schema: z.ZodType };

type BodyOf<B> = B extends { deferred: true; schema: infer S extends z.ZodType }
  ? Checked<z.output<S>>
  : B extends { schema: infer S extends z.ZodType }
    ? z.output<S>
    : undefined;

type OutputOf<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** What a handler gets: the request's own dependencies, the caller, and its already-checked input. */
export type RouteContext<P, Q, B, Auth extends boolean> = {
  deps: Deps;
  /** The caller's account as authentication read it (see `authenticateToken`). */
  user: Auth extends true ? Account : undefined;
  params: OutputOf<P>;
  query: OutputOf<Q>;
  body: BodyOf<B>;
  req: Request;
  res: Response;
};

/** One endpoint: its contract (used for validation and for the OpenAPI document) and its handler. */
export type RouteSpec<
  P extends AnyObjectSchema | undefined = AnyObjectSchema | undefined,
  Q extends AnyObjectSchema | undefined = AnyObjectSchema | undefined,
  B extends BodySpec | undefined = BodySpec | undefined,
  Auth extends boolean = boolean,
> = {
  method: Method;
  /** OpenAPI-style path with a trailing slash, e.g. `/api/cleanings/{cleaning_id}/`. */
  path: string;
  /** The original's route name, e.g. `cleanings:create-cleaning`. */
  name: string;
  summary: string;
  tag: string;
  auth: Auth;
  params?: P;
  query?: Q;
  body?: B;
  status: number;
  response: z.ZodType | null;
  /** The codes the route may answer beyond the authentication errors, which every `auth: true` route gets. */
  errors: ErrorCode[];
  handle(ctx: RouteContext<P, Q, B, Auth>): Promise<unknown>;
};

/** Keeps the route's types tied together; returns the spec unchanged. */
export function defineRoute<
  P extends AnyObjectSchema | undefined,
  Q extends AnyObjectSchema | undefined,
  B extends BodySpec | undefined,
  Auth extends boolean,
>(spec: RouteSpec<P, Q, B, Auth>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** Every route of the API, registered per resource in one visible place (see `app.ts`). */
export type RouteTable = RouteSpec[];

const MAX_JSON_BODY = 64 * 1024;
const MAX_FORM_BODY = 16 * 1024;
// JSON routes parse whatever the content type says, as the original did.
const jsonBody = express.json({ limit: MAX_JSON_BODY, type: () => true, strict: false });
const formBody = express.urlencoded({ limit: MAX_FORM_BODY, extended: false, type: () => true });

/**
 * Refuses a body whose declared length is over the limit at once, without reading it, and closes the connection
 * (the body parser would otherwise read and discard every declared byte before answering).
 */
function refuseDeclaredOversize(limit: number): RequestHandler {
  return (req, res, next) => {
    if (Number(req.headers['content-length']) > limit) {
      res.setHeader('Connection', 'close');
      return next(domainError('PAYLOAD_TOO_LARGE'));
    }
    next();
  };
}
const jsonParsers = [refuseDeclaredOversize(MAX_JSON_BODY), jsonBody];
const formParsers = [refuseDeclaredOversize(MAX_FORM_BODY), formBody];

function expressPath(path: string): string {
  const withoutSlash = path.length > 1 ? path.replace(/\/$/, '') : path;
  return withoutSlash.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * Mounts the routes. The order of checks follows the original's: 401 (auth), then 422 for path and query,
 * then whatever the handler's domain call decides (404/403/400), with body validation where the route says.
 */
export function mountRoutes(router: Router, routes: RouteTable, http: HttpDeps): void {
  for (const route of routes) {
    const parsers =
      route.body?.kind === 'json' ? jsonParsers : route.body?.kind === 'form' ? formParsers : [];
    // Named before the body is read, so that a request refused by the parser is counted under its route too.
    const named: RequestHandler = (_req, res, next) => {
      res.locals.route = route.path;
      next();
    };
    const before = parsers.length > 0 ? [named, ...parsers] : [];
    router[route.method](expressPath(route.path), ...before, async (req: Request, res: Response) => {
      res.locals.route = route.path;
      const deps = http.openUnitOfWork();
      const user = route.auth ? await authenticateRequest(deps, req) : undefined;
      if (user) res.locals.userId = user.id;

      const params = parseOrThrow(route.params, req.params, ['path']);
      const query = parseOrThrow(route.query, req.query ?? {}, ['query']);
      let body: unknown;
      if (route.body) {
        const raw: unknown = req.body === undefined ? null : req.body;
        const checked = check(route.body.schema, raw, ['body']);
        if (route.body.kind === 'json' && route.body.deferred) body = checked;
        else if (!checked.ok) throw validationError(checked.issues);
        else body = checked.value;
      }
      const result = await route.handle({ deps, user, params, query, body, req, res } as RouteContext<
        unknown,
        unknown,
        unknown,
        boolean
      >);
      sendJson(res, route.status, result === undefined ? null : result);
    });
  }
}

function parseOrThrow(schema: z.ZodType | undefined, data: unknown, where: string[]): unknown {
  if (!schema) return {};
  const checked = check(schema, data, where);
  if (!checked.ok) throw validationError(checked.issues);
  return checked.value;
}
