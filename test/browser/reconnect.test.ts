// A page that loses its connection shows it, and once back shows what changed meanwhile, by itself, without a
// reload: whether the server went away (stopped, then started again on the same port) or the page went offline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api, makeCleaning, makeOffers, makeUsers } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';
import { freePort } from '../sdk/sdk-clients.ts';
import { launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import {
  confirmIn,
  isSameDocument,
  jobCard,
  myOfferRow,
  ownerRow,
  signedIn,
  waitForAlert,
  waitForConnection,
  waitForStatus,
  type Person,
} from './dashboard-page.ts';

const OFFLINE_TEXT = 'You are offline. Actions are paused until the connection is back.';

let browser: Browser;
let db: TestDatabase;
let env: Record<string, string>;
let node: ServerProcess;

beforeAll(async () => {
  await ensureDashboardBuilt();
  browser = await launchChromium();
  db = await createTestDatabase();
  env = testEnv(db, { PORT: String(await freePort()) });
  node = await startServerProcess(env);
});
afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await db?.drop();
});

/**
 * What a page logged, less the browser's own notes about connections that could not be made while it was cut
 * off: a WebSocket, and the long-polling requests of the transport fallback; and a 503 from the node while it
 * drains (SIGTERM), which refuses a new session so that the client tries again (README, rolling restarts).
 */
const unexpected = (person: Person) =>
  person.problems.filter(
    (p) =>
      !/WebSocket connection to .* failed|ERR_INTERNET_DISCONNECTED|Failed to load resource: net::ERR_CONNECTION_REFUSED|Failed to load resource: the server responded with a status of 503/.test(
        p,
      ),
  );

describe('when the connection drops', () => {
  it('shows "reconnecting" while the server is down, then the changes made meanwhile, without a reload', async () => {
    const [ownerUser, amyUser, benUser, otherOwner] = await makeUsers(node.url, 4);
    const cleaning = await makeCleaning(ownerUser!, { name: 'Stairwell and hall' });
    await makeOffers(cleaning, [amyUser!]);
    const owner = await signedIn(browser, node.url, ownerUser!, 'owner');
    const amy = await signedIn(browser, node.url, amyUser!, 'cleaner');
    await waitForStatus(ownerRow(owner.page, cleaning.id, amyUser!.username), 'pending');
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'pending');

    await node.stop();
    await waitForConnection(owner.page, 'reconnecting');
    await waitForConnection(amy.page, 'reconnecting');
    // Nothing that would send can be clicked meanwhile.
    const accept = ownerRow(owner.page, cleaning.id, amyUser!.username).getByRole('button', {
      name: 'Accept',
    });
    expect(await accept.isDisabled()).toBe(true);
    expect(await owner.page.getByRole('button', { name: 'Post job' }).isDisabled()).toBe(true);

    // Meanwhile, through another node on the same database: the owner accepts Amy, Ben offers late, and a new
    // job is posted.
    const side = await startServerProcess(testEnv(db));
    let newJob: number;
    try {
      const api = (token: string) => new Api(side.url, token);
      const accepted = await api(ownerUser!.token).put(
        `/api/cleanings/${cleaning.id}/offers/${amyUser!.username}/`,
      );
      expect(accepted.status).toBe(200);
      expect((await api(benUser!.token).post(`/api/cleanings/${cleaning.id}/offers/`)).status).toBe(201);
      const posted = await api(otherOwner!.token).post('/api/cleanings/', {
        json: { new_cleaning: { name: 'Posted while you were away', price: 55, cleaning_type: 'dust_up' } },
      });
      expect(posted.status).toBe(201);
      newJob = posted.body.id;
    } finally {
      await side.stop();
    }
    // The pages still show the old state: nothing reached them.
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'pending');
    expect(await jobCard(amy.page, newJob).count()).toBe(0);

    node = await startServerProcess(env);
    await waitForConnection(owner.page, 'live');
    await waitForConnection(amy.page, 'live');
    expect(await owner.page.getByRole('button', { name: 'Post job' }).isEnabled()).toBe(true);
    await waitForStatus(ownerRow(owner.page, cleaning.id, amyUser!.username), 'accepted');
    await waitForStatus(ownerRow(owner.page, cleaning.id, benUser!.username), 'pending');
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'accepted');
    await jobCard(amy.page, newJob).waitFor();

    for (const person of [owner, amy]) {
      expect(await isSameDocument(person.page)).toBe(true);
      expect(unexpected(person)).toEqual([]);
      await person.context.close();
    }
  });

  it('catches up after the page itself was offline, and says so when a command is tried meanwhile', async () => {
    const [ownerUser, amyUser, benUser] = await makeUsers(node.url, 3);
    const cleaning = await makeCleaning(ownerUser!, { name: 'Attic' });
    await makeOffers(cleaning, [amyUser!, benUser!]);
    const owner = await signedIn(browser, node.url, ownerUser!, 'owner');
    const amy = await signedIn(browser, node.url, amyUser!, 'cleaner');
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'pending');

    await amy.context.setOffline(true);
    await waitForConnection(amy.page, 'reconnecting');
    await ownerRow(owner.page, cleaning.id, benUser!.username)
      .getByRole('button', { name: 'Accept' })
      .click();
    await confirmIn(owner.page, 'Accept offer');
    await waitForStatus(ownerRow(owner.page, cleaning.id, amyUser!.username), 'rejected');

    // Amy's page cannot know yet, and says so in one sentence: her buttons wait for the connection.
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'pending');
    const withdraw = myOfferRow(amy.page, cleaning.id).getByRole('button', { name: 'Withdraw offer' });
    expect(await withdraw.isDisabled()).toBe(true);
    expect(await amy.page.locator('.offline-notice').textContent()).toBe(OFFLINE_TEXT);
    // A click that raced the drop still fails in the same words.
    await withdraw.evaluate((button) => ((button as HTMLButtonElement).disabled = false));
    await withdraw.click();
    expect(await waitForAlert(amy.page, OFFLINE_TEXT)).toContain('Could not withdraw the offer');

    await amy.context.setOffline(false);
    await waitForConnection(amy.page, 'live');
    // Once the badge is green, nothing on the page says otherwise.
    expect(await amy.page.locator('.offline-notice').isVisible()).toBe(false);
    expect(await amy.page.getByRole('alert').count()).toBe(0);
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'rejected');
    expect(await myOfferRow(amy.page, cleaning.id).getByRole('button').count()).toBe(0);
    expect(await isSameDocument(amy.page)).toBe(true);
    expect(unexpected(amy)).toEqual([]);
    expect(unexpected(owner)).toEqual([]);
    await owner.context.close();
    await amy.context.close();
  });
});
