import type { Em } from '../db/orm.ts';
import type { AuthUserCache } from './auth-user-cache.ts';
import type { TokenService } from './tokens.ts';

/** Who is acting: enough to check permissions without reloading the account. */
export type Actor = Readonly<{ id: number; username: string }>;

/** What every use case may use. `em` is the caller's own fork (one per request or socket command). */
export type Deps = Readonly<{
  em: Em;
  tokens: TokenService;
  /** This node's cache of token accounts; without it every authentication reads the account. */
  authUsers?: AuthUserCache;
}>;
