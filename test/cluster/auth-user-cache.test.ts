// The token-account cache (AUTH_USER_CACHE_MS) on two real nodes: a deactivation on one node is seen by the
// other through its notice, long before the TTL; an account changed behind the nodes' backs (no notice at all)
// is seen within the TTL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/contract/error-codes.ts';
import { makeUser, type TestUser } from '../helpers/api.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { canRunCluster } from '../helpers/services.ts';
import { until } from '../helpers/wait.ts';

const INACTIVE = { detail: ERROR_CODES.INACTIVE_USER.detail, code: 'INACTIVE_USER' };

async function me(base: string, user: TestUser): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/api/users/me/`, { headers: { authorization: `Bearer ${user.token}` } });
  return { status: res.status, body: await res.json() };
}

describe.runIf(canRunCluster)('the token-account cache across two nodes', () => {
  describe('with a TTL far longer than the test', () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster(2, { AUTH_USER_CACHE_MS: '60000' });
    });
    afterAll(() => cluster?.close());

    it('refuses a token on the other node as soon as that node hears of the deactivation', async () => {
      const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
      const user = await makeUser(a);
      // Node B now holds the account for a minute.
      expect((await me(b, user)).status).toBe(200);
      const res = await fetch(`${a}/api/users/${user.username}/deactivate/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}` },
      });
      expect(res.status).toBe(200);
      // At once on the node that deactivated.
      expect(await me(a, user)).toEqual({ status: 401, body: INACTIVE });
      // On the other node once its relay has the notice: well within the TTL.
      const started = Date.now();
      await until(async () => (await me(b, user)).status === 401, 20_000, 'refusal on node B');
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(await me(b, user)).toEqual({ status: 401, body: INACTIVE });
    });
  });

  describe('with a short TTL', () => {
    const TTL_MS = 3000;
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster(2, { AUTH_USER_CACHE_MS: String(TTL_MS) });
    });
    afterAll(() => cluster?.close());

    it('refuses, within the TTL, an account deactivated without any notice', async () => {
      const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
      const user = await makeUser(a);
      // B keeps the account from a moment after this one: until then at least, B answers from its cache.
      const cachedUntil = Date.now() + TTL_MS;
      expect((await me(b, user)).status).toBe(200);
      // Behind the nodes' backs: no notice, so only the TTL can end the cached account.
      await cluster.db.sql('update users set is_active = false where id = $1', [user.id]);
      const first = await me(b, user);
      // Accepted from the cache while the TTL runs (the cache is what is under test), unless the request
      // itself outlasted it on a loaded machine.
      if (Date.now() < cachedUntil) expect(first.status).toBe(200);
      await until(async () => (await me(b, user)).status === 401, TTL_MS + 10_000, 'refusal after the TTL');
      expect(await me(b, user)).toEqual({ status: 401, body: INACTIVE });
      // Node A never held it past the change: refused at once.
      expect(await me(a, user)).toEqual({ status: 401, body: INACTIVE });
    });
  });
});
