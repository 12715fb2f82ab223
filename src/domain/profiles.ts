import type { ProfilePublic, ProfileUpdateInput, ProfileWithReputation } from '../contract/schemas.ts';
import type { Profile } from '../db/entities/index.ts';
import type { Em } from '../db/orm.ts';
import { readReputation } from '../db/queries/evaluations.ts';
import { findProfileOf, readProfileOf, type Account, type ProfileColumns } from '../db/queries/users.ts';
import { findUserByUsername } from './accounts.ts';
import type { Deps } from './context.ts';
import { domainError } from './errors.ts';
import { profilePublic, reputation } from './public-views.ts';

/** P1: anyone signed in may read a profile, with its user's track record; the email is shown only to its owner. */
export async function getProfileByUsername(
  deps: Deps,
  actor: Account,
  username: string,
): Promise<ProfileWithReputation> {
  const user = await findUserByUsername(deps.em, username);
  const profile = user && (await readProfileOf(deps.em, user.id));
  if (!user || !profile) throw domainError('PROFILE_NOT_FOUND');
  const isSelf = user.id === actor.id;
  return {
    ...profilePublic(profile, { username: user.username, email: isSelf ? user.email : null }),
    ...reputation(await readReputation(deps.em, user.id)),
  };
}

async function findOwnProfileOrFail(em: Em, actor: Account): Promise<Profile> {
  const profile = await findProfileOf(em, actor.id);
  if (!profile) throw domainError('PROFILE_NOT_FOUND');
  return profile;
}

/** GET /api/profiles/me/: the caller's own profile (the original read "me" as a username and failed). */
export async function getOwnProfile(deps: Deps, actor: Account): Promise<ProfilePublic> {
  const profile: ProfileColumns | undefined = await readProfileOf(deps.em, actor.id);
  if (!profile) throw domainError('PROFILE_NOT_FOUND');
  return profilePublic(profile, actor);
}

/** P2: updates only the fields sent; the response leaves `username`/`email` null, as the original did. */
export async function updateOwnProfile(
  deps: Deps,
  actor: Account,
  input: ProfileUpdateInput,
): Promise<ProfilePublic> {
  const profile = await deps.em.transactional(async (tx) => {
    const profile = await findOwnProfileOrFail(tx, actor);
    if (input.full_name !== undefined) profile.fullName = input.full_name;
    if (input.phone_number !== undefined) profile.phoneNumber = input.phone_number;
    if (input.bio !== undefined) profile.bio = input.bio;
    if (input.image !== undefined) profile.image = input.image;
    return profile;
  });
  return profilePublic(profile);
}
