import {
  pushPublicKeySchema,
  pushSubscribeBody,
  pushSubscriptionCreatedSchema,
  pushUnsubscribeBody,
} from '../../contract/push.ts';
import {
  getPushPublicKey,
  subscribePush,
  unsubscribePush,
  type PushPolicy,
} from '../../domain/push-subscriptions.ts';
import { defineRoute, type RouteTable } from '../route-table.ts';

/** Web Push: the server's VAPID key, and the caller's browser subscriptions. */
export function registerPushRoutes(routes: RouteTable, { policy }: { policy: PushPolicy }): void {
  routes.push(
    defineRoute({
      method: 'get',
      path: '/api/push/public-key/',
      name: 'push:get-public-key',
      summary: "The VAPID application server key, for the browser's pushManager.subscribe",
      tag: 'push',
      auth: false,
      status: 200,
      response: pushPublicKeySchema,
      errors: ['PUSH_DISABLED'],
      handle: async () => getPushPublicKey(policy),
    }),
    defineRoute({
      method: 'post',
      path: '/api/push/subscriptions/',
      name: 'push:subscribe',
      summary:
        "Register this browser's push subscription for the caller (idempotent per endpoint; an endpoint of another user moves to the caller)",
      tag: 'push',
      auth: true,
      body: { kind: 'json', schema: pushSubscribeBody },
      status: 201,
      response: pushSubscriptionCreatedSchema,
      errors: ['NOT_AUTHENTICATED', 'PUSH_DISABLED', 'PUSH_SUBSCRIPTION_LIMIT', 'VALIDATION_FAILED'],
      handle: ({ deps, user, body }) => subscribePush(deps, user, body.subscription, policy),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/push/subscriptions/',
      name: 'push:unsubscribe',
      summary: "Delete the caller's push subscription of that endpoint",
      tag: 'push',
      auth: true,
      body: { kind: 'json', schema: pushUnsubscribeBody },
      status: 200,
      response: null,
      errors: ['NOT_AUTHENTICATED', 'PUSH_DISABLED', 'PUSH_SUBSCRIPTION_NOT_FOUND', 'VALIDATION_FAILED'],
      handle: ({ deps, user, body }) => unsubscribePush(deps, user, body.endpoint, policy),
    }),
  );
}
