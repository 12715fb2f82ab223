import type { Request } from 'express';
import type { Account } from '../db/queries/users.ts';
import { authenticateToken } from '../domain/accounts.ts';
import type { Deps } from '../domain/context.ts';
import { domainError } from '../domain/errors.ts';

const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The bearer token of a request, if its Authorization header has the right scheme (any case). */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header ? BEARER.exec(header)?.[1] : undefined;
}

/** The caller of an authenticated route, or one of the original's 401s. */
export async function authenticateRequest(deps: Deps, req: Request): Promise<Account> {
  const token = bearerToken(req);
  if (!token) throw domainError('NOT_AUTHENTICATED');
  const { user } = await authenticateToken(deps, token);
  return user;
}
