import { z } from 'zod';
import {
  accessTokenSchema,
  loginForm,
  myOfferSchema,
  registerBody,
  userPublicSchema,
  usernameParam,
} from '../../contract/schemas.ts';
import { deactivateUser, getCurrentUser, loginWithPassword, registerUser } from '../../domain/accounts.ts';
import { listMyOffers } from '../../domain/offers.ts';
import { defineRoute, type RouteTable } from '../route-table.ts';
import type { LoginGuard } from '../login-guard.ts';
import type { RegistrationGuard } from '../registration-guard.ts';

/** U1–U3, plus the caller's offers for a first load and account deactivation. */
export function registerUserRoutes(
  routes: RouteTable,
  { loginGuard, registrationGuard }: { loginGuard: LoginGuard; registrationGuard: RegistrationGuard },
): void {
  routes.push(
    defineRoute({
      method: 'post',
      path: '/api/users/',
      name: 'users:register-new-user',
      summary: 'Register a new account; the answer carries an access token',
      tag: 'users',
      auth: false,
      body: { kind: 'json', schema: registerBody },
      status: 201,
      response: userPublicSchema,
      errors: ['EMAIL_TAKEN', 'USERNAME_TAKEN', 'RATE_LIMITED', 'VALIDATION_FAILED'],
      handle: async ({ deps, body, req }) => {
        await registrationGuard.admit(req.ip ?? 'unknown');
        return registerUser(deps, body.new_user);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/users/login/token/',
      name: 'users:login-email-and-password',
      summary: 'OAuth2 password login; the form field `username` holds the email',
      tag: 'users',
      auth: false,
      body: { kind: 'form', schema: loginForm },
      status: 200,
      response: accessTokenSchema,
      errors: ['LOGIN_FAILED', 'INACTIVE_USER', 'RATE_LIMITED', 'VALIDATION_FAILED'],
      handle: async ({ deps, body, req }) => {
        const attempt = await loginGuard.admit(req.ip ?? 'unknown', body.username);
        const token = await loginWithPassword(deps, body);
        await attempt.succeeded();
        return token;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/users/me/',
      name: 'users:get-current-user',
      summary: 'The caller’s account and profile',
      tag: 'users',
      auth: true,
      status: 200,
      response: userPublicSchema,
      errors: [],
      handle: ({ deps, user }) => getCurrentUser(deps, user),
    }),
    defineRoute({
      method: 'get',
      path: '/api/users/me/offers/',
      name: 'users:list-own-offers',
      summary: 'The caller’s offers on every cleaning, each with its cleaning and log position (`seq`)',
      tag: 'offers',
      auth: true,
      status: 200,
      response: z.array(myOfferSchema),
      errors: [],
      handle: ({ deps, user }) => listMyOffers(deps, user),
    }),
    defineRoute({
      method: 'post',
      path: '/api/users/{username}/deactivate/',
      name: 'users:deactivate-user',
      summary: 'Deactivate an account (your own, or any as a superuser); its live sessions are closed',
      tag: 'users',
      auth: true,
      params: z.object({ username: usernameParam }),
      status: 200,
      response: userPublicSchema,
      errors: ['ADMIN_ONLY', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
      handle: ({ deps, user, params }) => deactivateUser(deps, user, params.username),
    }),
  );
}
