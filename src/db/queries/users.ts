// Every read of `users` and `profiles`. Accounts are loaded as entities (their unit of work writes them back);
// only the offer commands' hot path reads a bare id with plain SQL.
import { Profile, User } from '../entities/index.ts';
import type { Em } from '../orm.ts';

/** The user whose email has this account key (see src/domain/account-keys.ts; emails are unique by it). */
export function findUserByEmailKey(em: Em, emailKey: string): Promise<User | null> {
  return em.findOne(User, { emailKey });
}

/** The user whose username has this account key (usernames are unique by it). */
export function findUserByUsernameKey(em: Em, usernameKey: string): Promise<User | null> {
  return em.findOne(User, { usernameKey });
}

/** The id of the user whose username has this account key, without loading the account. */
export async function findUserIdByUsernameKey(tx: Em, usernameKey: string): Promise<number | undefined> {
  const [user] = await tx.execute<{ id: number }[]>('select id from users where username_key = ?', [
    usernameKey,
  ]);
  return user?.id;
}

/** The user a token names, by its exact username. */
export function findUserForToken(em: Em, username: string): Promise<User | null> {
  return em.findOne(User, { username });
}

export function findProfileOf(em: Em, userId: number): Promise<Profile | null> {
  return em.findOne(Profile, { userId });
}

/** Creates an account and its empty profile in the caller's transaction. */
export async function insertUserWithProfile(
  tx: Em,
  fields: { email: string; username: string; emailKey: string; usernameKey: string; passwordHash: string },
): Promise<[User, Profile]> {
  const user = tx.create(User, fields);
  await tx.flush();
  const profile = tx.create(Profile, { userId: user.id });
  await tx.flush();
  return [user, profile];
}
