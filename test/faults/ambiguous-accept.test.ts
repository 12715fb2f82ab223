// An accept whose node dies right after committing it, before answering: the SDK does not send it blindly
// again, it finds the accept already done (through nginx, on the surviving node) and reports success.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PhreshClient } from '../../client/sdk/index.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import type { Balancer } from '../helpers/balancer.ts';
import { canRunNginx, startNginx } from '../helpers/nginx.ts';
import { armFault, FAULT_NODE, startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { TEST_SECRET, testEnv } from '../helpers/server.ts';
import { requirePostgres, requireRedis } from '../helpers/services.ts';

let db: TestDatabase | undefined;
let nginx: Balancer | undefined;
const nodes: ServerProcess[] = [];
let client: PhreshClient | undefined;
afterAll(async () => {
  client?.close();
  await nginx?.stop();
  await Promise.all(nodes.map((n) => (n.child.exitCode === null ? n.stop() : undefined)));
  await db?.drop();
});

describe.runIf(canRunNginx)('an accept that may have committed', () => {
  it('is found done on another node rather than sent again', async () => {
    requirePostgres();
    db = await createTestDatabase();
    // Both nodes die right after committing an accept: a second accept sent anywhere would show.
    const env = testEnv(db, {
      REDIS_URL: requireRedis(),
      REDIS_PREFIX: `phresh-accept-${randomBytes(4).toString('hex')}`,
      SECRET_KEY: TEST_SECRET,
    });
    nodes.push(
      await startServerProcess(env, undefined, FAULT_NODE),
      await startServerProcess(env, undefined, FAULT_NODE),
    );
    nginx = await startNginx(nodes.map((n) => n.url));

    const owner = await makeUser(nginx.url);
    const cleaners = await makeUsers(nginx.url, 3);
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, cleaners);
    client = new PhreshClient({ url: nginx.url, ackTimeoutMs: 3000, reconnectDelayMaxMs: 1000 });
    await client.login(owner.email, owner.password);
    await client.connect();
    // From here on, the next commit on either node kills it: the accept's.
    await Promise.all(nodes.map(armFault));

    const accepted = await client.acceptOffer(cleaning.id, cleaners[1]!.username);
    expect(accepted).toMatchObject({
      cleaning_id: cleaning.id,
      user_id: cleaners[1]!.id,
      status: 'accepted',
    });
    const died = nodes.filter((n) => n.child.exitCode !== null || n.child.signalCode !== null);
    expect(died).toHaveLength(1);
    const log = await client.rest.events(cleaning.id, 0);
    expect(log.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });
});
