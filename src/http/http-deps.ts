import type { Deps } from '../domain/context.ts';

/** What the HTTP adapter needs from the app: the per-request domain dependencies. */
export type HttpDeps = {
  /**
   * A request's own dependencies, with a fresh fork as its unit of work, made when first used (a request whose
   * caller's account is cached and that reads nothing makes none); called once per request, before auth.
   */
  openUnitOfWork(): Deps;
};
