// Every read of `users` and `profiles`. Accounts and profiles that a use case changes are loaded as entities
// (their unit of work writes them back); what is only read on a hot path (the token's account on every
// authenticated request, the profiles answers show, the offer commands' ids) is read with plain SQL.
import { Profile, User } from '../entities/index.ts';
import type { Em } from '../orm.ts';

/** An account as authentication reads it: its columns without the password hash, no entity. */
export type Account = Readonly<{
  id: number;
  username: string;
  email: string;
  emailVerified: boolean;
  isActive: boolean;
  isSuperuser: boolean;
  createdAt: Date | string;
  updatedAt: Date | string;
}>;

/** A profile's columns, as the entity names them (so that one mapper serves the entity and a plain read). */
export type ProfileColumns = Readonly<{
  id: number;
  userId: number;
  fullName?: string | null;
  phoneNumber?: string | null;
  bio?: string | null;
  image?: string | null;
  createdAt: Date | string;
  updatedAt: Date | string;
}>;

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

/** The account a token names, by its exact username. */
export async function readAccountForToken(em: Em, username: string): Promise<Account | undefined> {
  const [row] = await em.execute<
    {
      id: number;
      username: string;
      email: string;
      email_verified: boolean;
      is_active: boolean;
      is_superuser: boolean;
      created_at: Date | string;
      updated_at: Date | string;
    }[]
  >(
    `select id, username, email, email_verified, is_active, is_superuser, created_at, updated_at
       from users where username = ? limit 1`,
    [username],
  );
  return (
    row && {
      id: row.id,
      username: row.username,
      email: row.email,
      emailVerified: row.email_verified,
      isActive: row.is_active,
      isSuperuser: row.is_superuser,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }
  );
}

/** The user's profile as an entity, for a use case that changes it. */
export function findProfileOf(em: Em, userId: number): Promise<Profile | null> {
  return em.findOne(Profile, { userId });
}

/** The user's profile, to show. */
export async function readProfileOf(em: Em, userId: number): Promise<ProfileColumns | undefined> {
  const [row] = await em.execute<
    {
      id: number;
      user_id: number;
      full_name: string | null;
      phone_number: string | null;
      bio: string | null;
      image: string | null;
      created_at: Date | string;
      updated_at: Date | string;
    }[]
  >(
    `select id, user_id, full_name, phone_number, bio, image, created_at, updated_at
       from profiles where user_id = ? limit 1`,
    [userId],
  );
  return (
    row && {
      id: row.id,
      userId: row.user_id,
      fullName: row.full_name,
      phoneNumber: row.phone_number,
      bio: row.bio,
      image: row.image,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }
  );
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
