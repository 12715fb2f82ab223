// The dashboard behind a proxy that refuses WebSocket upgrades: the page falls back to HTTP long-polling by
// itself, and every change still shows up live, without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { makeCleaning, makeOffers, makeUsers } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import {
  startWebSocketBlockingProxy,
  type WebSocketBlockingProxy,
} from '../helpers/websocket-blocking-proxy.ts';
import { launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import {
  confirmIn,
  isSameDocument,
  myOfferRow,
  ownerRow,
  signedIn,
  waitForStatus,
  type Person,
} from './dashboard-page.ts';

let browser: Browser;
let server: TestServer;
let proxy: WebSocketBlockingProxy;

beforeAll(async () => {
  await ensureDashboardBuilt();
  browser = await launchChromium();
  server = await startServer();
  proxy = await startWebSocketBlockingProxy(server.url);
});
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.close();
});

/** What a page logged, less the browser's own notes about the WebSocket the proxy refused. */
const unexpected = (person: Person) =>
  person.problems.filter((p) => !/WebSocket connection to .* failed/.test(p));

describe('the dashboard where WebSocket is blocked', () => {
  it('falls back to long-polling and shows an accept live on both sides', async () => {
    const [ownerUser, amyUser] = await makeUsers(server.url, 2);
    const cleaning = await makeCleaning(ownerUser!, { name: 'Behind the proxy' });
    await makeOffers(cleaning, [amyUser!]);
    const owner = await signedIn(browser, proxy.url, ownerUser!, 'owner');
    const amy = await signedIn(browser, proxy.url, amyUser!, 'cleaner');
    expect(proxy.stats.refusedUpgrades).toBeGreaterThanOrEqual(2);
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'pending');

    await ownerRow(owner.page, cleaning.id, amyUser!.username)
      .getByRole('button', { name: 'Accept' })
      .click();
    await confirmIn(owner.page, 'Accept offer');
    await waitForStatus(ownerRow(owner.page, cleaning.id, amyUser!.username), 'accepted');
    await waitForStatus(myOfferRow(amy.page, cleaning.id), 'accepted');

    for (const person of [owner, amy]) {
      expect(await isSameDocument(person.page)).toBe(true);
      expect(unexpected(person)).toEqual([]);
      await person.context.close();
    }
  });
});
