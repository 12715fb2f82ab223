// The whole marketplace in a real browser: an owner and two cleaners, each in their own browser context,
// see every change live, without reloading, against a real server serving the built dashboard at `/`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api, makeUser, type TestUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import {
  DESKTOP,
  fieldError,
  isSameDocument,
  jobCard,
  markDocument,
  myOfferRow,
  openDashboard,
  ownerCard,
  ownerRow,
  PHONE,
  confirmIn,
  saveScreenshot,
  showOnPhone,
  signedIn,
  waitForAlert,
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
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the dashboard', () => {
  it('is served at / with a strict CSP, and loads without a single error', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
    expect(html.match(/<script/g)).toHaveLength(1);

    const visitor = await openDashboard(browser, server.url, 'owner');
    people.push(visitor);
    await visitor.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(visitor.problems).toEqual([]);
    await visitor.context.close();
  });

  it('lets an owner and two cleaners go through the whole flow, each seeing every change live', async () => {
    // Registered in the page itself; the cleaners have accounts already.
    const ownerAccount = { username: 'olivia', email: 'olivia@example.io', password: 'correct-horse-9' };
    const amyUser = await makeUser(server.url, { username: 'amy_cleans', email: 'amy@example.io' });
    const benUser = await makeUser(server.url, { username: 'ben_sparkle', email: 'ben@example.io' });

    const owner = await openDashboard(browser, server.url, 'owner');
    await owner.page.getByRole('tab', { name: 'Create account' }).click();
    await owner.page.getByLabel('Username').fill(ownerAccount.username);
    await owner.page.getByLabel('Email').fill(ownerAccount.email);
    await owner.page.getByLabel('Password').fill(ownerAccount.password);
    await owner.page.getByRole('button', { name: 'Create account', exact: true }).click();
    await waitForConnection(owner.page, 'live');
    await markDocument(owner.page);
    expect(await owner.page.getByTestId('username').textContent()).toBe('olivia');

    const amy = await signedIn(browser, server.url, amyUser, 'cleaner');
    // Ben uses a phone.
    const ben = await signedIn(browser, server.url, benUser, 'cleaner', PHONE);
    people.push(owner, amy, ben);

    // The owner posts a job; it appears on both boards without a reload.
    await owner.page.getByLabel('Job title').fill('Deep clean, two-room flat');
    await owner.page.getByLabel('Price (USD)').fill('120');
    await owner.page.getByLabel('Type').selectOption('full_clean');
    await owner.page.getByLabel('Details').fill('Kitchen and bathroom included. Supplies on site.');
    await owner.page.getByRole('button', { name: 'Post job' }).click();
    const card = owner.page.locator('[data-view="owner"] article.cleaning').first();
    await card.waitFor();
    const cleaningId = Number(await card.getAttribute('data-cleaning-id'));
    expect(await ownerCard(owner.page, cleaningId).locator('.card-title').textContent()).toBe(
      'Deep clean, two-room flat',
    );
    await jobCard(amy.page, cleaningId).waitFor();
    await jobCard(ben.page, cleaningId).waitFor();
    expect(await jobCard(amy.page, cleaningId).locator('.price').textContent()).toBe('$120.00');

    // Each cleaner offers; the owner's table shows each offer as it is made.
    await jobCard(amy.page, cleaningId).getByRole('button', { name: 'Make an offer' }).click();
    await waitForStatus(ownerRow(owner.page, cleaningId, 'amy_cleans'), 'pending');
    await waitForStatus(myOfferRow(amy.page, cleaningId), 'pending');
    await jobCard(ben.page, cleaningId).getByRole('button', { name: 'Make an offer' }).click();
    await waitForStatus(ownerRow(owner.page, cleaningId, 'ben_sparkle'), 'pending');
    await waitForStatus(jobCard(ben.page, cleaningId), 'pending');
    // On the phone, "My offers" is one tap away on the sticky switcher.
    await showOnPhone(ben.page, 'My offers');
    await waitForStatus(myOfferRow(ben.page, cleaningId), 'pending');

    // The owner accepts Amy, once sure: Amy sees "accepted", Ben "rejected", and the owner both.
    await ownerRow(owner.page, cleaningId, 'amy_cleans').getByRole('button', { name: 'Accept' }).click();
    await confirmIn(owner.page, 'Accept offer');
    await waitForStatus(myOfferRow(amy.page, cleaningId), 'accepted');
    await waitForStatus(myOfferRow(ben.page, cleaningId), 'rejected');
    await waitForStatus(ownerRow(owner.page, cleaningId, 'amy_cleans'), 'accepted');
    await waitForStatus(ownerRow(owner.page, cleaningId, 'ben_sparkle'), 'rejected');
    await ownerCard(owner.page, cleaningId).getByText('Assigned to amy_cleans').waitFor();
    expect(await myOfferRow(ben.page, cleaningId).getByRole('button').count()).toBe(0);
    // The job board hears that the job was assigned: Ben's card is marked taken, next to his rejected offer.
    await showOnPhone(ben.page, 'Job board');
    await waitForStatus(jobCard(ben.page, cleaningId), 'rejected');
    await ben.page.locator(`article.job.taken[data-cleaning-id="${cleaningId}"]`).waitFor();
    await myOfferRow(amy.page, cleaningId).getByRole('button', { name: 'Back out of job' }).waitFor();

    // A second job with an offer, for pictures that show more than one state.
    const second = await new Api(server.url).post('/api/users/login/token/', {
      form: { username: ownerAccount.email, password: ownerAccount.password },
    });
    const ownerApi = new Api(server.url, second.body.access_token);
    const windows = await ownerApi.post('/api/cleanings/', {
      json: { new_cleaning: { name: 'Window wash, 8 windows', price: 45, cleaning_type: 'spot_clean' } },
    });
    await jobCard(amy.page, windows.body.id).getByRole('button', { name: 'Make an offer' }).click();
    await waitForStatus(ownerRow(owner.page, windows.body.id, 'amy_cleans'), 'pending');
    await waitForStatus(myOfferRow(amy.page, windows.body.id), 'pending');
    await saveScreenshot(owner.page, 'owner-view');
    await saveScreenshot(amy.page, 'cleaner-view');
    await saveScreenshot(ben.page, 'cleaner-view-phone');
    await owner.page.setViewportSize(PHONE);
    await saveScreenshot(owner.page, 'owner-view-phone');
    await owner.page.setViewportSize(DESKTOP);

    // Amy backs out, once sure: her offer is cancelled, and Ben's rejected offer is pending again, on every page.
    await myOfferRow(amy.page, cleaningId).getByRole('button', { name: 'Back out of job' }).click();
    await confirmIn(amy.page, 'Back out of job');
    await waitForStatus(myOfferRow(amy.page, cleaningId), 'cancelled');
    await showOnPhone(ben.page, 'My offers');
    await waitForStatus(myOfferRow(ben.page, cleaningId), 'pending');
    await waitForStatus(ownerRow(owner.page, cleaningId, 'amy_cleans'), 'cancelled');
    await waitForStatus(ownerRow(owner.page, cleaningId, 'ben_sparkle'), 'pending');
    await myOfferRow(ben.page, cleaningId).getByRole('button', { name: 'Withdraw offer' }).waitFor();

    // Ben withdraws his offer on the phone: it leaves his list and the owner's table.
    await myOfferRow(ben.page, cleaningId).getByRole('button', { name: 'Withdraw offer' }).click();
    await myOfferRow(ben.page, cleaningId).waitFor({ state: 'detached' });
    await ownerRow(owner.page, cleaningId, 'ben_sparkle').waitFor({ state: 'detached' });
    await showOnPhone(ben.page, 'Job board');
    await jobCard(ben.page, cleaningId).getByRole('button', { name: 'Make an offer' }).waitFor();

    for (const person of [owner, amy, ben]) {
      expect(await isSameDocument(person.page)).toBe(true);
      expect(person.problems).toEqual([]);
    }
  });

  it('shows the server’s detail in the page when a command fails', async () => {
    const ownerUser = await makeUser(server.url);
    const [first, late] = [await makeUser(server.url), await makeUser(server.url)];
    const owner = await signedIn(browser, server.url, ownerUser, 'owner');
    people.push(owner);

    // A REST command's validation: shown at its field, in plain words.
    await owner.page.getByLabel('Job title').fill('Balcony');
    await owner.page.getByLabel('Price (USD)').fill('0');
    await owner.page.getByRole('button', { name: 'Post job' }).click();
    await expect.poll(() => owner.page.getByLabel('Price (USD)').getAttribute('aria-invalid')).toBe('true');
    expect(await fieldError(owner.page, 'Price (USD)')).toBe('Enter a price above $0.');

    // A socket command: an offer that arrives after the job was assigned cannot be accepted.
    const cleaning = await makeCleaningAs(ownerUser);
    await first.api.post(`/api/cleanings/${cleaning}/offers/`);
    await waitForStatus(ownerRow(owner.page, cleaning, first.username), 'pending');
    await ownerRow(owner.page, cleaning, first.username).getByRole('button', { name: 'Accept' }).click();
    await confirmIn(owner.page, 'Accept offer');
    await waitForStatus(ownerRow(owner.page, cleaning, first.username), 'accepted');
    await late.api.post(`/api/cleanings/${cleaning}/offers/`);
    await waitForStatus(ownerRow(owner.page, cleaning, late.username), 'pending');
    await ownerRow(owner.page, cleaning, late.username).getByRole('button', { name: 'Accept' }).click();
    await confirmIn(owner.page, 'Accept offer');
    expect(await waitForAlert(owner.page, 'That cleaning job already has an accepted offer.')).toContain(
      'Could not accept the offer',
    );
    await waitForStatus(ownerRow(owner.page, cleaning, late.username), 'pending');
    expect(owner.problems).toEqual([]);
  });
});

async function makeCleaningAs(owner: TestUser): Promise<number> {
  const res = await owner.api.post('/api/cleanings/', {
    json: { new_cleaning: { name: 'Terrace', price: 30, cleaning_type: 'dust_up' } },
  });
  expect(res.status).toBe(201);
  return res.body.id as number;
}
