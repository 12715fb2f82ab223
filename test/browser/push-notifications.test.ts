// The dashboard's service worker in a real Chromium. No push service is reachable here, so pushes go to the
// worker through the DevTools protocol (ServiceWorker.deliverPushMessage) with the payload the server encrypts,
// and what it shows is read back with registration.getNotifications() (through a stand-in notification center
// where the browser has none: see installNotificationCenter). The switch and the job a click leads to run in
// the dashboard as a person uses it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { PushPayload } from '../../src/contract/push.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { startPushService, type PushService } from '../helpers/push-service.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import {
  DESKTOP,
  isSameDocument,
  myOfferRow,
  ownerCard,
  signedIn,
  signIn,
  type Person,
} from './dashboard-page.ts';

let push: PushService;
let server: TestServer;
let browser: Browser;
const people: Person[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  push = await startPushService();
  server = await startServer({ env: push.env() });
  browser = await launchChromium();
});
afterEach(async () => {
  for (const person of people.splice(0)) await person.context.close();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await push?.close();
});

/** What a shown notification carries, as read from the registration. */
type Shown = {
  title: string;
  body: string;
  tag: string;
  data: { url: string; cleaning_id: number; seq: number };
};

/** The payload the server sends for an offer event (see src/contract/push.ts). */
function payload(cleaningId: number, seq: number, extra: Partial<PushPayload> = {}): PushPayload {
  return {
    event: {
      cleaning_id: cleaningId,
      seq,
      type: 'created',
      user_id: 1,
      offer: null,
      at: new Date().toISOString(),
    },
    title: `New offer on job ${cleaningId}`,
    body: `Event ${seq} on job ${cleaningId}`,
    url: `/#owner`,
    ...extra,
  };
}

/**
 * Where notifications go in a browser that cannot show any. The headless Chromium the tests run (the one in
 * @sparticuz/chromium) has no notification platform: there `Notification.permission` stays "denied" whatever is
 * granted, and `showNotification` throws. This stand-in takes the platform's place inside the worker, with its
 * rules: a notification replaces the one with the same tag, and `getNotifications({tag})` filters by tag. A
 * Chromium that can show notifications (CHROMIUM_PATH) keeps its own.
 */
function installNotificationCenter(): void {
  type Entry = { title: string; body: string; tag: string; data: unknown };
  const center = new Map<string, Entry>();
  let untagged = 0;
  const registration = ServiceWorkerRegistration.prototype as unknown as {
    showNotification(title: string, options?: NotificationOptions): Promise<void>;
    getNotifications(filter?: { tag?: string }): Promise<(Entry & { close(): void })[]>;
  };
  registration.showNotification = async (title, options = {}) => {
    const key = options.tag || `untagged-${++untagged}`;
    center.delete(key);
    center.set(key, { title, body: options.body ?? '', tag: options.tag ?? '', data: options.data ?? null });
  };
  registration.getNotifications = async (filter = {}) =>
    [...center.entries()]
      .filter(([, n]) => !filter.tag || n.tag === filter.tag)
      .map(([key, n]) => ({ ...n, close: () => void center.delete(key) }));
}

/** The worker's global scope, as far as these tests reach into it. */
type WorkerScope = { registration: ServiceWorkerRegistration };

/**
 * A signed-in dashboard with its service worker active and notifications allowed, and a second page of the same
 * origin that is not the dashboard (the API docs): the protocol session lives on that one, so that it outlives
 * the dashboard when a test closes it.
 */
async function dashboardWithWorker(user?: TestUser) {
  const person = await signedIn(browser, server.url, user ?? (await makeUser(server.url)), 'owner');
  people.push(person);
  const { context, page: app } = person;
  await context.grantPermissions(['notifications'], { origin: server.url });
  await app.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  if ((await worker.evaluate(() => Notification.permission)) !== 'granted')
    await worker.evaluate(installNotificationCenter);
  const docs = await context.newPage();
  await docs.goto(`${server.url}/docs`);
  const cdp: CDPSession = await context.newCDPSession(docs);
  const scope = `${server.url}/`;
  const registrationId = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const id = await registrationId;
  const shown = (): Promise<Shown[]> =>
    worker.evaluate(async () =>
      (await (self as unknown as WorkerScope).registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        data: n.data as Shown['data'],
      })),
    );
  return {
    app,
    docs,
    shown,
    deliver: (message: PushPayload) =>
      cdp.send('ServiceWorker.deliverPushMessage', {
        origin: server.url,
        registrationId: id,
        data: JSON.stringify(message),
      }),
    /** Waits until a notification for the cleaning shows, and returns it. */
    waitForShown: async (cleaningId: number): Promise<Shown> => {
      await expect
        .poll(async () => (await shown()).some((n) => n.data.cleaning_id === cleaningId), { timeout: 15_000 })
        .toBe(true);
      return (await shown()).find((n) => n.data.cleaning_id === cleaningId)!;
    },
    /** Closes the notifications of a cleaning, as a person dismissing them would. */
    dismiss: (cleaningId: number) =>
      worker.evaluate(async (tag) => {
        const registration = (self as unknown as WorkerScope).registration;
        for (const n of await registration.getNotifications({ tag })) n.close();
      }, `cleaning-${cleaningId}`),
  };
}

/**
 * Whether the worker has handled the event: it records every event it handles, shown or not (the store of
 * client/dashboard/service-worker/seen-events.ts). Opened only once the worker has created it, so that this
 * read never creates it first without its store.
 */
function handled(page: Page, cleaningId: number, seq: number): Promise<boolean> {
  return page.evaluate(async (key) => {
    if (!(await indexedDB.databases()).some((d) => d.name === 'phresh-push')) return false;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('phresh-push');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    try {
      if (!db.objectStoreNames.contains('seen')) return false;
      const found = await new Promise<unknown>((resolve, reject) => {
        const get = db.transaction('seen').objectStore('seen').get(key);
        get.onsuccess = () => resolve(get.result);
        get.onerror = () => reject(get.error);
      });
      return found !== undefined;
    } finally {
      db.close();
    }
  }, `${cleaningId}:${seq}`);
}

describe('the service worker', () => {
  it('shows nothing while the dashboard has the focus, and shows the event once the dashboard is closed', async () => {
    const worker = await dashboardWithWorker();
    // Headless Chromium reports its one open dashboard as the focused window.
    expect(await worker.app.evaluate(() => document.hasFocus())).toBe(true);
    await worker.deliver(payload(101, 1));
    await expect.poll(() => handled(worker.docs, 101, 1), { timeout: 15_000 }).toBe(true);
    expect(await worker.shown()).toEqual([]);

    // The API docs are on the same origin and focused too, but they are not the app.
    await worker.app.close();
    await worker.deliver(
      payload(102, 1, { title: 'Your offer on Spring clean was accepted', url: '/#cleaner' }),
    );
    const shown = await worker.waitForShown(102);
    expect(shown).toEqual({
      title: 'Your offer on Spring clean was accepted',
      body: 'Event 1 on job 102',
      tag: 'cleaning-102',
      data: { url: `${server.url}/#cleaner`, cleaning_id: 102, seq: 1 },
    });
    // The event handled while the dashboard had the focus stays unshown, and so does a late copy of it.
    await worker.deliver(payload(101, 1));
    await worker.deliver(payload(103, 1));
    await worker.waitForShown(103);
    expect((await worker.shown()).map((n) => n.tag).sort()).toEqual(['cleaning-102', 'cleaning-103']);
  });

  it('shows an event delivered twice once', async () => {
    const worker = await dashboardWithWorker();
    await worker.app.close();
    await worker.deliver(payload(201, 4));
    await worker.waitForShown(201);
    // Dismissed, so that a second showing would be seen; then the copy, then another event to know it was handled.
    await worker.dismiss(201);
    await worker.deliver(payload(201, 4));
    await worker.deliver(payload(202, 1));
    await worker.waitForShown(202);
    expect((await worker.shown()).map((n) => n.tag)).toEqual(['cleaning-202']);
  });

  it('keeps one notification per cleaning, the newest event’s, even when an older one comes late', async () => {
    const worker = await dashboardWithWorker();
    await worker.app.close();
    await worker.deliver(payload(301, 1));
    await worker.waitForShown(301);
    await worker.deliver(payload(301, 3, { body: 'third' }));
    await expect.poll(async () => (await worker.shown()).map((n) => n.body)).toEqual(['third']);
    await worker.deliver(payload(301, 2, { body: 'second, retried late' }));
    await worker.deliver(payload(302, 1));
    await worker.waitForShown(302);
    const forJob = (await worker.shown()).filter((n) => n.tag === 'cleaning-301');
    expect(forJob.map((n) => [n.body, n.data.seq])).toEqual([['third', 3]]);
  });

  it('opens only pages of the app: a link to another origin becomes the dashboard’s start page', async () => {
    const worker = await dashboardWithWorker();
    await worker.app.close();
    await worker.deliver(payload(401, 1, { url: 'https://elsewhere.example/phish' }));
    expect((await worker.waitForShown(401)).data.url).toBe(`${server.url}/`);
  });

  it('ignores a push that is not the contract’s payload', async () => {
    const worker = await dashboardWithWorker();
    await worker.app.close();
    const { title: _, ...untitled } = payload(501, 1);
    await worker.deliver(untitled as PushPayload);
    await worker.deliver(payload(502, 1));
    await worker.waitForShown(502);
    expect((await worker.shown()).map((n) => n.tag)).toEqual(['cleaning-502']);
  });
});

describe('from the server to the service worker', () => {
  it('shows the notification the server sent for an accepted offer, with its words and a link to the job', async () => {
    const [owner, cleaner] = await makeUsers(server.url, 2);
    const worker = await dashboardWithWorker(cleaner);
    // The browser here cannot subscribe; the local push service stands in for its push service.
    const subscription = push.subscribe();
    expect((await cleaner!.api.post('/api/push/subscriptions/', { json: { subscription } })).status).toBe(
      201,
    );
    await worker.app.close();
    const cleaning = await makeCleaning(owner!, { name: 'Spring clean' });
    await makeOffers(cleaning, [cleaner!]);
    await owner!.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner!.username}/`);
    await push.waitFor(
      (received) => received.some((r) => r.subscription === subscription.endpoint),
      15_000,
      'the accepted offer’s notification',
    );
    const [sent] = push.delivered(subscription.endpoint);
    await worker.deliver(sent!.payload);
    const shown = await worker.waitForShown(cleaning.id);
    expect(shown).toEqual({
      title: sent!.payload.title,
      body: 'Your offer on Spring clean was accepted',
      tag: `cleaning-${cleaning.id}`,
      data: {
        url: `${server.url}/?cleaning=${cleaning.id}`,
        cleaning_id: cleaning.id,
        seq: sent!.payload.event.seq,
      },
    });
  });
});

describe('the Enable notifications switch', () => {
  /** The Profile tab, with the switch ready (it waits for the service worker). */
  async function profileSwitch(person: Person) {
    await person.page.getByRole('tab', { name: 'Profile' }).click();
    const toggle = person.page.getByRole('switch', { name: 'Enable notifications' });
    await expect.poll(() => toggle.isEnabled()).toBe(true);
    expect(await toggle.isChecked()).toBe(false);
    return toggle;
  }

  it('says that this browser could not reach its push service, and stays off: nothing is registered', async () => {
    const person = await signedIn(browser, server.url, await makeUser(server.url), 'owner');
    people.push(person);
    await person.context.grantPermissions(['notifications'], { origin: server.url });
    const requests: string[] = [];
    person.page.on('request', (r) => {
      if (r.url().includes('/api/push/')) requests.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    const toggle = await profileSwitch(person);
    await toggle.click();
    const message = person.page.locator('#notifications-message');
    await expect
      .poll(() => message.textContent())
      .toBe(
        'This browser could not reach its push service, so notifications stay off. Try again later, or in another browser.',
      );
    expect(await toggle.isChecked()).toBe(false);
    expect(await toggle.isEnabled()).toBe(true);
    // It got the server's key, then the browser refused to subscribe: the server was never sent anything.
    expect(requests).toEqual(['GET /api/push/public-key/']);
  });

  it('says that notifications need the permission when the browser’s question goes unanswered, and stays off', async () => {
    const person = await signedIn(browser, server.url, await makeUser(server.url), 'owner');
    people.push(person);
    const requests: string[] = [];
    person.page.on('request', (r) => {
      if (r.url().includes('/api/push/')) requests.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    const toggle = await profileSwitch(person);
    await toggle.click();
    const message = person.page.locator('#notifications-message');
    await expect
      .poll(() => message.textContent())
      .toBe('Notifications stay off: they need your permission when the browser asks.');
    expect(await toggle.isChecked()).toBe(false);
    expect(await toggle.isEnabled()).toBe(true);
    expect(requests).toEqual([]);
  });
});

describe('a notification’s job', () => {
  /** An owner's job with a cleaner's offer on it. */
  async function jobWithOffer(): Promise<{ owner: TestUser; cleaner: TestUser; cleaningId: number }> {
    const [owner, cleaner] = await makeUsers(server.url, 2);
    await makeCleaning(owner!, { name: 'Hallway' });
    const cleaning = await makeCleaning(owner!, { name: 'Spring clean' });
    await makeOffers(cleaning, [cleaner!]);
    return { owner: owner!, cleaner: cleaner!, cleaningId: cleaning.id };
  }

  const focusedJob = (page: Page) =>
    page.evaluate(() => document.activeElement?.getAttribute('data-cleaning-id') ?? null);
  const selectedTab = (page: Page) => page.getByRole('tab', { selected: true }).textContent();

  it('opened by its link (/?cleaning=ID), shows the owner’s card or the cleaner’s offer, and leaves the address', async () => {
    const { owner, cleaner, cleaningId } = await jobWithOffer();
    for (const [user, tab] of [
      [owner, 'My cleanings'],
      [cleaner, 'Find work'],
    ] as const) {
      const context = await browser.newContext({ viewport: DESKTOP });
      const page = await context.newPage();
      const person: Person = { page, context, problems: [] };
      people.push(person);
      await page.goto(`${server.url}/?cleaning=${cleaningId}`);
      await signIn(person, user);
      await expect.poll(() => focusedJob(page)).toBe(String(cleaningId));
      expect(await selectedTab(page)).toBe(tab);
      const shown = user === owner ? ownerCard(page, cleaningId) : myOfferRow(page, cleaningId);
      expect(await shown.evaluate((e) => e === document.activeElement)).toBe(true);
      expect(new URL(page.url()).search).toBe('');
    }
  });

  it('is shown in place by an open dashboard when the service worker asks, as a click on it does', async () => {
    const { cleaner, cleaningId } = await jobWithOffer();
    const person = await signedIn(browser, server.url, cleaner, 'owner');
    people.push(person);
    await myOfferRow(person.page, cleaningId).waitFor({ state: 'attached' });
    const worker = person.context.serviceWorkers()[0] ?? (await person.context.waitForEvent('serviceworker'));
    await worker.evaluate(async (id) => {
      const scope = self as unknown as {
        clients: { matchAll(o: object): Promise<{ postMessage(m: unknown): void }[]> };
      };
      for (const window of await scope.clients.matchAll({ type: 'window', includeUncontrolled: true }))
        window.postMessage({ type: 'show-job', cleaning_id: id });
    }, cleaningId);
    await expect.poll(() => focusedJob(person.page)).toBe(String(cleaningId));
    expect(await selectedTab(person.page)).toBe('Find work');
    expect(await isSameDocument(person.page)).toBe(true);
  });
});
