import type { AccessToken, LoginInput, RegisterInput, UserPublic } from '../contract/schemas.ts';
import type { User } from '../db/entities/index.ts';
import { violatedConstraint } from '../db/db-errors.ts';
import type { Em } from '../db/orm.ts';
import {
  findUserByEmailKey,
  findUserByUsernameKey,
  insertUserWithProfile,
  readAccountForToken,
  readProfileOf,
  type Account,
} from '../db/queries/users.ts';
import { appendEvents } from '../events/append.ts';
import { deletePushSubscriptionsOf } from './push-subscriptions.ts';
import type { Deps } from './context.ts';
import { domainError } from './errors.ts';
import { accountKey } from './account-keys.ts';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './passwords.ts';
import { userPublic } from './public-views.ts';

/** Finds the user whose email has the same accountKey (emails are unique by it). */
export function findUserByEmail(em: Em, email: string): Promise<User | null> {
  return findUserByEmailKey(em, accountKey(email));
}

/** Finds the user whose username has the same accountKey (usernames are unique by it). */
export function findUserByUsername(em: Em, username: string): Promise<User | null> {
  return findUserByUsernameKey(em, accountKey(username));
}

function accessToken(deps: Pick<Deps, 'tokens'>, user: User): AccessToken {
  return { access_token: deps.tokens.issue(user), token_type: 'bearer' };
}

/** U1: creates the account and its empty profile in one transaction, and returns a token for it. */
export async function registerUser(deps: Deps, input: RegisterInput): Promise<UserPublic> {
  const { em } = deps;
  if (await findUserByEmail(em, input.email)) throw domainError('EMAIL_TAKEN');
  if (await findUserByUsername(em, input.username)) throw domainError('USERNAME_TAKEN');
  const passwordHash = await hashPassword(input.password);
  try {
    // Stored as typed (in NFC), compared by key: a look-alike of an existing account was refused above.
    const email = input.email.normalize('NFC');
    const username = input.username.normalize('NFC');
    const [user, profile] = await em.transactional((tx) =>
      insertUserWithProfile(tx, {
        email,
        username,
        emailKey: accountKey(email),
        usernameKey: accountKey(username),
        passwordHash,
      }),
    );
    return userPublic(user, profile, accessToken(deps, user));
  } catch (e) {
    // A concurrent registration slipped past the checks above; the unique indexes caught it.
    const constraint = violatedConstraint(e);
    if (constraint === 'users_email_unique') throw domainError('EMAIL_TAKEN', { cause: e });
    if (constraint === 'users_username_unique') throw domainError('USERNAME_TAKEN', { cause: e });
    throw e;
  }
}

/** U2: the OAuth2 password flow, where `username` holds the email. Inactive accounts cannot log in. */
export async function loginWithPassword(deps: Deps, input: LoginInput): Promise<AccessToken> {
  const user = await findUserByEmail(deps.em, input.username);
  const ok = user
    ? await verifyPassword(input.password, user.passwordHash)
    : await verifyAgainstDecoy(input.password);
  if (!user || !ok) throw domainError('LOGIN_FAILED');
  if (!user.isActive) throw domainError('INACTIVE_USER');
  return accessToken(deps, user);
}

/**
 * Resolves a bearer token to an active account, with the original's three distinct 401s. The account is read
 * (or taken from this node's cache), not loaded as an entity: a use case that changes an account loads it in
 * its own transaction; `em` is touched only when the account has to be read.
 */
export async function authenticateToken(
  deps: Pick<Deps, 'em' | 'tokens' | 'authUsers'>,
  token: string,
): Promise<{ user: Account; expiresAt: number }> {
  const claims = deps.tokens.verify(token);
  const user = await findTokenAccount(deps, claims.username);
  // The token was issued to this username *and* email: an account deleted and registered again under the
  // same username is someone else, whom the old token must not open.
  if (!user || user.email !== claims.email) throw domainError('NO_AUTHENTICATED_USER');
  if (!user.isActive) throw domainError('INACTIVE_USER');
  return { user, expiresAt: claims.expiresAt };
}

/** The account a token names, from this node's short-lived cache when it holds it (see `auth-user-cache.ts`). */
async function findTokenAccount(
  deps: Pick<Deps, 'em' | 'authUsers'>,
  username: string,
): Promise<Account | undefined> {
  const cache = deps.authUsers;
  const cached = cache?.get(username);
  if (cached) return cached;
  const mark = cache?.mark() ?? 0;
  const user = await readAccountForToken(deps.em, username);
  if (user?.isActive) cache?.set(username, user, mark);
  return user;
}

/** U3: the caller's own account with its profile; no token is included. */
export async function getCurrentUser(deps: Deps, user: Account): Promise<UserPublic> {
  return userPublic(user, (await readProfileOf(deps.em, user.id)) ?? null);
}

/** Deactivates an account (superusers only, or the user themself); its open sessions are closed everywhere. */
export async function deactivateUser(deps: Deps, actor: Account, username: string): Promise<UserPublic> {
  const isSelf = accountKey(actor.username) === accountKey(username);
  if (!isSelf && !actor.isSuperuser) throw domainError('ADMIN_ONLY');
  const user = await deps.em.transactional(async (tx) => {
    const target = await findUserByUsername(tx, username);
    if (!target) throw domainError('USER_NOT_FOUND');
    target.isActive = false;
    await deletePushSubscriptionsOf(tx, target.id);
    await appendEvents(tx, { notices: [{ type: 'session:closed', userId: target.id }] });
    return target;
  });
  // Other nodes evict when they hear the notice; this one need not wait for it.
  deps.authUsers?.evict(user.id);
  return userPublic(user, (await readProfileOf(deps.em, user.id)) ?? null);
}
