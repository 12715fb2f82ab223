import type { ProfilePublic, ProfileUpdateInput, ProfileWithReputation } from '../contract/schemas.ts';
import { Profile, type User } from '../db/entities/index.ts';
import type { Deps } from './context.ts';
import { domainError } from './errors.ts';
import { findUserByUsername } from './accounts.ts';
import { profilePublic } from './public-views.ts';
import { readReputation } from './reputation.ts';

/** P1: anyone signed in may read a profile, with its user's track record; the email is shown only to its owner. */
export async function getProfileByUsername(
  deps: Deps,
  actor: User,
  username: string,
): Promise<ProfileWithReputation> {
  const user = await findUserByUsername(deps.em, username);
  const profile = user && (await deps.em.findOne(Profile, { userId: user.id }));
  if (!user || !profile) throw domainError('PROFILE_NOT_FOUND');
  const isSelf = user.id === actor.id;
  return {
    ...profilePublic(profile, { username: user.username, email: isSelf ? user.email : null }),
    ...(await readReputation(deps.em, user.id)),
  };
}

/** GET /api/profiles/me/: the caller's own profile (the original read "me" as a username and failed). */
export async function getOwnProfile(deps: Deps, actor: User): Promise<ProfilePublic> {
  const profile = await deps.em.findOneOrFail(
    Profile,
    { userId: actor.id },
    {
      failHandler: () => domainError('PROFILE_NOT_FOUND'),
    },
  );
  return profilePublic(profile, actor);
}

/** P2: updates only the fields sent; the response leaves `username`/`email` null, as the original did. */
export async function updateOwnProfile(
  deps: Deps,
  actor: User,
  input: ProfileUpdateInput,
): Promise<ProfilePublic> {
  const profile = await deps.em.transactional(async (tx) => {
    const profile = await tx.findOneOrFail(
      Profile,
      { userId: actor.id },
      {
        failHandler: () => domainError('PROFILE_NOT_FOUND'),
      },
    );
    if (input.full_name !== undefined) profile.fullName = input.full_name;
    if (input.phone_number !== undefined) profile.phoneNumber = input.phone_number;
    if (input.bio !== undefined) profile.bio = input.bio;
    if (input.image !== undefined) profile.image = input.image;
    return profile;
  });
  return profilePublic(profile);
}
