// Notices (job-board changes, closed sessions) are kept only as long as a deaf node could need them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Em } from '../../src/db/orm.ts';
import { pruneIntervalMs } from '../../src/events/notice-retention.ts';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/wait.ts';

const RETENTION_SECONDS = 30;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { NOTICE_RETENTION_SECONDS: String(RETENTION_SECONDS) } });
});
afterAll(() => server?.close());

const noticeIds = async () =>
  (await (server.app.orm.em.fork() as Em).execute<{ id: string }[]>('select id from notices')).map(
    (r) => r.id,
  );

it('deletes notices older than NOTICE_RETENTION_SECONDS and keeps the newer ones', async () => {
  const owner = await makeUser(server.url);
  await makeCleaning(owner);
  const recent = await noticeIds();
  expect(recent).toHaveLength(1);

  const stale: string[] = [randomUUID(), randomUUID()];
  for (const [i, id] of stale.entries()) {
    await (server.app.orm.em.fork() as Em).execute(
      `insert into notices (id, type, data, at) values (?, 'cleaning:deleted', '{"cleaning_id": 1}', now() - make_interval(secs => ?))`,
      [id, RETENTION_SECONDS + 60 * (i + 1)],
    );
  }
  expect(await noticeIds()).toEqual(expect.arrayContaining(stale));

  await until(
    async () => (await noticeIds()).every((id) => !stale.includes(id)),
    pruneIntervalMs(RETENTION_SECONDS) * 3,
    'stale notices pruned within a prune interval',
  );
  expect(await noticeIds()).toEqual(recent);
});
