import type { Request } from 'express';
import type { Deps } from '../domain/context.ts';

/** What the HTTP adapter needs from the app: the per-request domain dependencies. */
export type HttpDeps = {
  /** The request's own dependencies; `em` is the fork opened for this request before auth. */
  depsFor(req: Request): Deps;
};
