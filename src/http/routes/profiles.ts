import { z } from 'zod';
import {
  profilePublicSchema,
  profileUpdateBody,
  profileWithReputationSchema,
  usernameParam,
} from '../../contract/schemas.ts';
import { getOwnProfile, getProfileByUsername, updateOwnProfile } from '../../domain/profiles.ts';
import { defineRoute, type RouteTable } from '../route-table.ts';

/** P1–P2, plus the caller's own profile. */
export function registerProfileRoutes(routes: RouteTable): void {
  routes.push(
    defineRoute({
      method: 'get',
      path: '/api/profiles/me/',
      name: 'profiles:get-own-profile',
      summary: 'The caller’s own profile',
      tag: 'profiles',
      auth: true,
      status: 200,
      response: profilePublicSchema,
      errors: [],
      handle: ({ deps, user }) => getOwnProfile(deps, user),
    }),
    defineRoute({
      method: 'get',
      path: '/api/profiles/{username}/',
      name: 'profiles:get-profile-by-username',
      summary: 'A user’s profile with their track record as a cleaner (the email is shown only on your own)',
      tag: 'profiles',
      auth: true,
      params: z.object({ username: usernameParam }),
      status: 200,
      response: profileWithReputationSchema,
      errors: ['PROFILE_NOT_FOUND', 'VALIDATION_FAILED'],
      handle: ({ deps, user, params }) => getProfileByUsername(deps, user, params.username),
    }),
    defineRoute({
      method: 'put',
      path: '/api/profiles/me/',
      name: 'profiles:update-own-profile',
      summary: 'Update the fields sent of the caller’s profile',
      tag: 'profiles',
      auth: true,
      body: { kind: 'json', schema: profileUpdateBody },
      status: 200,
      response: profilePublicSchema,
      errors: ['VALIDATION_FAILED'],
      handle: ({ deps, user, body }) => updateOwnProfile(deps, user, body.profile_update),
    }),
  );
}
