// Web Push subscriptions: one per browser (its endpoint), owned by one user at a time.
import { createECDH } from 'node:crypto';
import {
  MAX_PUSH_SUBSCRIPTIONS_PER_USER,
  type PushSubscriptionCreated,
  type PushSubscriptionJson,
} from '../contract/push.ts';
import type { ValidationIssue } from '../contract/schemas.ts';
import { violatedConstraint } from '../db/db-errors.ts';
import type { Em } from '../db/orm.ts';
import { checkPushEndpoint, type PushServiceOrigin } from '../push/service-origins.ts';
import type { Actor, Deps } from './context.ts';
import { domainError, validationError } from './errors.ts';

/** What the server's configuration says about Web Push. */
export type PushPolicy = Readonly<{
  /** The VAPID application server key, or undefined when push is off. */
  publicKey: string | undefined;
  serviceOrigins: readonly PushServiceOrigin[];
}>;

function requireEnabled(policy: PushPolicy): string {
  if (!policy.publicKey) throw domainError('PUSH_DISABLED');
  return policy.publicKey;
}

/** The VAPID key browsers pass to `pushManager.subscribe` as `applicationServerKey`. */
export function getPushPublicKey(policy: PushPolicy): { public_key: string } {
  return { public_key: requireEnabled(policy) };
}

const issue = (loc: (string | number)[], msg: string): ValidationIssue => ({ loc, msg, type: 'value_error' });

/** The checks the schema cannot make: the endpoint against the allow-list, the key on the curve. */
function checkSubscription(subscription: PushSubscriptionJson, policy: PushPolicy): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const endpoint = checkPushEndpoint(subscription.endpoint, policy.serviceOrigins);
  if (typeof endpoint === 'string')
    issues.push(issue(['body', 'subscription', 'endpoint'], `endpoint ${endpoint}`));
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(Buffer.from(subscription.keys.p256dh, 'base64url'));
  } catch {
    issues.push(
      issue(['body', 'subscription', 'keys', 'p256dh'], 'p256dh must be a point on the P-256 curve'),
    );
  }
  return issues;
}

async function saveSubscription(
  tx: Em,
  actor: Actor,
  subscription: PushSubscriptionJson,
): Promise<PushSubscriptionCreated> {
  // The user's row lock serialises their subscribes, so that two at once cannot both pass the limit.
  await tx.execute('select id from users where id = ? for update', [actor.id]);
  const { endpoint, keys } = subscription;
  const [existing] = await tx.execute<{ id: string; user_id: number; created_at: Date | string }[]>(
    'select id, user_id, created_at from push_subscriptions where endpoint = ? for update',
    [endpoint],
  );
  if (existing?.user_id === actor.id) {
    await tx.execute('update push_subscriptions set p256dh = ?, auth = ?, updated_at = now() where id = ?', [
      keys.p256dh,
      keys.auth,
      existing.id,
    ]);
    return { endpoint, created_at: new Date(existing.created_at).toISOString() };
  }
  const [{ held }] = (await tx.execute<{ held: string }[]>(
    'select count(*) as held from push_subscriptions where user_id = ?',
    [actor.id],
  )) as [{ held: string }];
  if (Number(held) >= MAX_PUSH_SUBSCRIPTIONS_PER_USER) throw domainError('PUSH_SUBSCRIPTION_LIMIT');
  // The device changed hands: a new row, so that nothing queued for the previous user goes out to it.
  if (existing) await tx.execute('delete from push_subscriptions where id = ?', [existing.id]);
  const [row] = await tx.execute<{ created_at: Date | string }[]>(
    `insert into push_subscriptions (user_id, endpoint, p256dh, auth) values (?, ?, ?, ?) returning created_at`,
    [actor.id, endpoint, keys.p256dh, keys.auth],
  );
  return { endpoint, created_at: new Date(row!.created_at).toISOString() };
}

/**
 * Stores the browser's subscription for the caller: idempotent per endpoint (the keys are updated), and an
 * endpoint another user registered moves to the caller. At most `MAX_PUSH_SUBSCRIPTIONS_PER_USER` per user.
 */
export async function subscribePush(
  deps: Deps,
  actor: Actor,
  subscription: PushSubscriptionJson,
  policy: PushPolicy,
): Promise<PushSubscriptionCreated> {
  requireEnabled(policy);
  const issues = checkSubscription(subscription, policy);
  if (issues.length > 0) throw validationError(issues);
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.em.transactional((tx) => saveSubscription(tx, actor, subscription));
    } catch (e) {
      // Two users registered a new endpoint at once: the loser's next try finds the winner's row and moves it.
      if (attempt < 3 && violatedConstraint(e) === 'push_subscriptions_endpoint_key') continue;
      throw e;
    }
  }
}

/** Deletes the caller's subscription of `endpoint`; anyone else's is answered as not found. */
export async function unsubscribePush(
  deps: Deps,
  actor: Actor,
  endpoint: string,
  policy: PushPolicy,
): Promise<null> {
  requireEnabled(policy);
  const deleted = await deps.em.execute<{ id: string }[]>(
    'delete from push_subscriptions where endpoint = ? and user_id = ? returning id',
    [endpoint, actor.id],
  );
  if (deleted.length === 0) throw domainError('PUSH_SUBSCRIPTION_NOT_FOUND');
  return null;
}

/** A deactivated user's browsers hear nothing more: their subscriptions go, with anything still queued. */
export async function deletePushSubscriptionsOf(tx: Em, userId: number): Promise<void> {
  await tx.execute('delete from push_subscriptions where user_id = ?', [userId]);
}
