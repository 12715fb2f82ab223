// What a person meets around the live core, in a real browser: long words on a phone, slow answers, refused
// input, dangerous buttons, editing and deleting jobs, profiles, the tab title, and keyboard use.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Route } from 'playwright-core';
import { makeCleaning, makeOffers, makeUser, makeUsers } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import {
  confirmIn,
  fieldError,
  jobCard,
  myOfferRow,
  openDashboard,
  ownerCard,
  ownerRow,
  PHONE,
  showOnPhone,
  signedIn,
  signIn,
  waitForConnection,
  waitForStatus,
  type Person,
} from './dashboard-page.ts';

let server: TestServer;
let browser: Browser;
const people: Person[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  server = await startServer();
  browser = await launchChromium();
});
// Whatever happens in a test, the pages it opened logged no error of their own.
afterEach(async () => {
  const opened = people.splice(0);
  for (const person of opened) await person.context.close();
  expect(opened.flatMap((p) => p.problems)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens and signs in, and has the person closed after the file. */
async function person(...args: Parameters<typeof signedIn>): Promise<Person> {
  const p = await signedIn(...args);
  people.push(p);
  return p;
}

/** Holds every request matching `url` until `release()`, as a slow network would. */
async function holdRequests(page: Page, url: string): Promise<{ release(): void; held(): number }> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let count = 0;
  await page.route(url, async (route: Route) => {
    count++;
    await gate;
    await route.continue();
  });
  return { release: open, held: () => count };
}

const horizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('the dashboard around the live core', () => {
  it('wraps a 140-character word on a 390 px phone instead of widening the page', async () => {
    const [owner, cleaner] = await makeUsers(server.url, 2);
    const word = 'Spotless'.repeat(17) + 'Home';
    expect(word).toHaveLength(140);
    const cleaning = await makeCleaning(owner!, { name: word, description: word });
    await makeOffers(cleaning, [cleaner!]);

    const ownerPage = await person(browser, server.url, owner!, 'owner', PHONE);
    await waitForStatus(ownerRow(ownerPage.page, cleaning.id, cleaner!.username), 'pending');
    expect(await horizontalOverflow(ownerPage.page)).toBe(0);

    const cleanerPage = await person(browser, server.url, cleaner!, 'cleaner', PHONE);
    await jobCard(cleanerPage.page, cleaning.id).waitFor();
    expect(await horizontalOverflow(cleanerPage.page)).toBe(0);
    await showOnPhone(cleanerPage.page, 'My offers');
    await waitForStatus(myOfferRow(cleanerPage.page, cleaning.id), 'pending');
    expect(await horizontalOverflow(cleanerPage.page)).toBe(0);
    // The username stays in view on the phone.
    expect(await cleanerPage.page.getByTestId('username').isVisible()).toBe(true);
  });

  it('shows loading placeholders while the lists are slow, and an empty state only once they loaded empty', async () => {
    const user = await makeUser(server.url);
    const visitor = await openDashboard(browser, server.url, 'owner');
    people.push(visitor);
    const { page } = visitor;
    const lists = [
      await holdRequests(page, '**/api/cleanings/'),
      await holdRequests(page, '**/api/feed/cleanings/**'),
      await holdRequests(page, '**/api/users/me/offers/'),
    ];
    await signIn(visitor, user);
    const owner = page.locator('[data-view="owner"]');
    const cleaner = page.locator('[data-view="cleaner"]');
    await owner.getByTestId('loading').waitFor();
    await expect.poll(() => lists.every((l) => l.held() > 0)).toBe(true);
    const noJobs = owner.getByText('You have not posted any jobs yet');
    expect(await noJobs.isVisible()).toBe(false);
    await page.getByRole('tab', { name: 'Find work' }).click();
    // The tab shows its panel on the next render: wait for it, while the lists are still held.
    await cleaner.getByTestId('loading').first().waitFor();
    expect(lists.every((l) => l.held() > 0)).toBe(true);
    expect(await cleaner.getByText('No jobs on the board yet').isVisible()).toBe(false);
    expect(await cleaner.getByText('No offers yet').isVisible()).toBe(false);

    for (const list of lists) list.release();
    await cleaner.getByText('No offers yet').waitFor();
    await cleaner.getByTestId('loading').first().waitFor({ state: 'hidden' });
    await page.getByRole('tab', { name: 'My cleanings' }).click();
    await noJobs.waitFor();
    expect(await owner.getByTestId('loading').isVisible()).toBe(false);

    // Resuming a session says it is loading, instead of a blank page.
    const again = await visitor.context.newPage();
    const me = await holdRequests(again, '**/api/users/me/');
    await again.goto(`${server.url}/#owner`);
    await again.getByRole('status').filter({ hasText: 'Loading Phresh Live…' }).waitFor();
    me.release();
    await waitForConnection(again, 'live');
  });

  it('says a list could not be loaded, rather than that it is empty, and loads it on "Try again"', async () => {
    const user = await makeUser(server.url);
    const visitor = await openDashboard(browser, server.url, 'owner');
    let refused = 0;
    await visitor.page.route('**/api/cleanings/', (route) =>
      refused++ === 0 ? route.abort('connectionreset') : route.continue(),
    );
    await signIn(visitor, user);
    const owner = visitor.page.locator('[data-view="owner"]');
    await owner.getByText('Your jobs could not be loaded.').waitFor();
    expect(await owner.getByText('You have not posted any jobs yet').isVisible()).toBe(false);
    await owner.getByRole('button', { name: 'Try again' }).click();
    await owner.getByText('You have not posted any jobs yet').waitFor();
    expect(await owner.getByText('Your jobs could not be loaded.').isVisible()).toBe(false);
    // The browser's own note about the refused request is the only thing it logged.
    expect(visitor.problems.filter((p) => !/ERR_CONNECTION_RESET/.test(p))).toEqual([]);
    await visitor.context.close();
  });

  it('shows a refused price at its field in plain words, and says how to write cents', async () => {
    const user = await makeUser(server.url);
    const { page } = await person(browser, server.url, user, 'owner');
    await page.getByLabel('Job title').fill('Balcony');
    await page.getByLabel('Price (USD)').fill('80,50');
    await page.getByRole('button', { name: 'Post job' }).click();
    expect(await fieldError(page, 'Price (USD)')).toBe('Use a dot for cents, like 80.50 (not 80,50).');
    expect(await page.getByLabel('Price (USD)').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('price');
    expect(await page.getByRole('alert').count()).toBe(0);

    await page.getByLabel('Price (USD)').fill('80.50');
    await page.getByRole('button', { name: 'Post job' }).click();
    await page.locator('[data-view="owner"] article.cleaning', { hasText: 'Balcony' }).waitFor();
    expect(await page.getByLabel('Price (USD)').getAttribute('aria-invalid')).toBe(null);
  });

  it('shows the password rule before and at the field when an account is refused', async () => {
    const visitor = await openDashboard(browser, server.url, 'owner');
    people.push(visitor);
    const { page } = visitor;
    await page.getByRole('tab', { name: 'Create account' }).click();
    expect(await page.getByText('At least 7 characters').isVisible()).toBe(true);
    await page.getByLabel('Username').fill('x');
    await page.getByLabel('Email').fill('someone@example.io');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account', exact: true }).click();
    expect(await fieldError(page, 'Password')).toBe('Use at least 7 characters.');
    expect(await fieldError(page, 'Username')).toBe('Use at least 3 characters.');
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe(null);
  });

  it('asks before accepting an offer, and "Not yet" leaves every offer pending', async () => {
    const [owner, amy, ben] = await makeUsers(server.url, 3);
    const cleaning = await makeCleaning(owner!, { name: 'Garage' });
    await makeOffers(cleaning, [amy!, ben!]);
    const { page } = await person(browser, server.url, owner!, 'owner');
    await waitForStatus(ownerRow(page, cleaning.id, ben!.username), 'pending');

    await ownerRow(page, cleaning.id, amy!.username).getByRole('button', { name: 'Accept' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('the other pending offer is declined at once');
    await confirmIn(page, 'Not yet');
    // Escape is "no" as well.
    await ownerRow(page, cleaning.id, amy!.username).getByRole('button', { name: 'Accept' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    const offers = await owner!.api.get(`/api/cleanings/${cleaning.id}/offers/`);
    expect(offers.body.map((o: { status: string }) => o.status)).toEqual(['pending', 'pending']);
    await waitForStatus(ownerRow(page, cleaning.id, amy!.username), 'pending');
    expect(
      await ownerRow(page, cleaning.id, amy!.username).getByRole('button', { name: 'Accept' }).isEnabled(),
    ).toBe(true);
  });

  it('lets an owner edit and delete a job, and a cleaner’s board follows live', async () => {
    const [owner, cleaner] = await makeUsers(server.url, 2);
    const cleaning = await makeCleaning(owner!, { name: 'Kitchen', price: 40 });
    const ownerPage = (await person(browser, server.url, owner!, 'owner')).page;
    const cleanerPage = (await person(browser, server.url, cleaner!, 'cleaner')).page;
    await jobCard(cleanerPage, cleaning.id).waitFor();

    const card = ownerCard(ownerPage, cleaning.id);
    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByLabel('Job title').fill('Kitchen and pantry');
    await card.getByLabel('Price (USD)').fill('64.5');
    await card.getByRole('button', { name: 'Save changes' }).click();
    await card.locator('.card-title', { hasText: 'Kitchen and pantry' }).waitFor();
    await jobCard(cleanerPage, cleaning.id)
      .locator('.card-title', { hasText: 'Kitchen and pantry' })
      .waitFor();
    expect(await jobCard(cleanerPage, cleaning.id).locator('.price').textContent()).toBe('$64.50');

    await card.getByRole('button', { name: 'Delete' }).click();
    await confirmIn(ownerPage, 'Delete job');
    await card.waitFor({ state: 'detached' });
    await jobCard(cleanerPage, cleaning.id).waitFor({ state: 'detached' });
    expect((await owner!.api.get(`/api/cleanings/${cleaning.id}/`)).status).toBe(404);
  });

  it('puts an alert above the list on a phone, instead of over it', async () => {
    const owner = await makeUser(server.url);
    const cleanings = [
      await makeCleaning(owner, { name: 'Hall' }),
      await makeCleaning(owner, { name: 'Stairs' }),
    ];
    const { page } = await person(browser, server.url, owner, 'owner', PHONE);
    await ownerCard(page, cleanings[1]!.id).waitFor();
    // The server refuses the delete (as it would for a job deleted elsewhere a moment before).
    await page.route(`**/api/cleanings/${cleanings[1]!.id}/`, (route) =>
      route.fulfill({ status: 404, json: { detail: 'Cleaning not found.' } }),
    );
    await ownerCard(page, cleanings[1]!.id).getByRole('button', { name: 'Delete' }).click();
    await confirmIn(page, 'Delete job');
    const alert = page.getByRole('alert').filter({ hasText: 'Could not delete the job' });
    await alert.waitFor();
    const overlaps = await page.evaluate(() => {
      const a = document.querySelector('.alert')!.getBoundingClientRect();
      return [...document.querySelectorAll('.card')].filter((card) => {
        const c = card.getBoundingClientRect();
        return a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom;
      }).length;
    });
    expect(overlaps).toBe(0);
  });

  it('counts what changed in the tab title while the tab is in the background', async () => {
    const [owner, cleaner] = await makeUsers(server.url, 2);
    const { page } = await person(browser, server.url, cleaner!, 'cleaner');
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((s) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    expect(await page.title()).toBe('Phresh Live');
    await setVisibility('hidden');
    const first = await makeCleaning(owner!, { name: 'Porch' });
    const second = await makeCleaning(owner!, { name: 'Shed' });
    await jobCard(page, second.id).waitFor();
    await jobCard(page, first.id).waitFor();
    await expect.poll(() => page.title()).toBe('(2) Phresh Live');
    expect(await page.getByTestId('announcer').textContent()).toMatch(
      /^New job on the board: “(Porch|Shed)”\.$/,
    );
    await setVisibility('visible');
    expect(await page.title()).toBe('Phresh Live');
  });

  it('moves between views with the arrow keys as WAI-ARIA tabs do, announces only changes, and honours reduced motion', async () => {
    const user = await makeUser(server.url);
    const { page } = await person(browser, server.url, user, 'owner');
    expect(
      await page.locator('[aria-live]').evaluateAll((els) => els.map((e) => e.id || e.className)),
    ).toEqual([]);
    const tab = (name: string) => page.getByRole('tab', { name });
    await tab('My cleanings').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => tab('Find work').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Find work');
    await expect.poll(() => page.getByRole('tabpanel').getAttribute('data-view')).toBe('cleaner');
    await page.keyboard.press('End');
    await expect.poll(() => page.getByRole('tabpanel').getAttribute('data-view')).toBe('profile');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByRole('tabpanel').getAttribute('data-view')).toBe('owner');
    await expect.poll(() => tab('My cleanings').getAttribute('tabindex')).toBe('0');
    await expect.poll(() => tab('Find work').getAttribute('tabindex')).toBe('-1');

    // The flash of a changed row and the pulsing badge stop for those who asked for less motion.
    const flashLasts = () =>
      page.evaluate(() => {
        const row = document.createElement('div');
        row.className = 'offer-item changed';
        document.body.append(row);
        const seconds = parseFloat(getComputedStyle(row).animationDuration);
        row.remove();
        return seconds;
      });
    expect(await flashLasts()).toBeGreaterThan(1);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await flashLasts()).toBeLessThan(0.01);
  });

  it('edits your profile, shows other people’s, and deactivates an account', async () => {
    const [owner, amy] = await makeUsers(server.url, 2);
    await amy!.api.put('/api/profiles/me/', {
      json: { profile_update: { full_name: 'Amy Cleans', bio: 'Ten years of spotless flats.' } },
    });
    const cleaning = await makeCleaning(owner!, { name: 'Loft' });
    await makeOffers(cleaning, [amy!]);
    const { page } = await person(browser, server.url, owner!, 'owner');

    // Another user's public profile, from their offer.
    await ownerRow(page, cleaning.id, amy!.username).getByRole('button', { name: amy!.username }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Ten years of spotless flats.').waitFor();
    expect(await dialog.textContent()).toContain('Amy Cleans');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Your own: a refused field is shown at the field; a saved one in what others see.
    await page.getByTestId('username').click();
    const profile = page.locator('[data-view="profile"]');
    await profile.getByText('No details shared yet.').waitFor();
    await profile.getByLabel('Full name').fill('Olivia Owner');
    await profile.getByLabel('Picture URL').fill('my picture');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    expect(await fieldError(page, 'Picture URL')).toBe(
      'Enter a web address, like https://example.com/me.jpg.',
    );
    await profile.getByLabel('Picture URL').fill('');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await profile.getByText('Saved.').waitFor();
    await profile.locator('.profile-preview').getByText('Olivia Owner').waitFor();
    expect(await profile.locator('.profile-preview .avatar').textContent()).toBe(owner!.username[0]);
    expect((await owner!.api.get('/api/profiles/me/')).body.full_name).toBe('Olivia Owner');

    // Deactivation asks first, then signs out for good.
    await profile.getByRole('button', { name: 'Deactivate account' }).click();
    await confirmIn(page, 'Keep my account');
    expect((await owner!.api.get('/api/users/me/')).status).toBe(200);
    await profile.getByRole('button', { name: 'Deactivate account' }).click();
    await confirmIn(page, 'Deactivate account');
    await page.getByRole('heading', { name: 'Your account is deactivated' }).waitFor();
    expect((await owner!.api.get('/api/users/me/')).status).not.toBe(200);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });
});
