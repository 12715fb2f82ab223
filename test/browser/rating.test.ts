// Completing a job in a real browser: the owner marks it done and rates the cleaner in a dialog, and the cleaner
// (on a phone) and the job board see it live, without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { makeCleaning, makeOffers, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import {
  confirmIn,
  DESKTOP,
  isSameDocument,
  jobCard,
  myOfferRow,
  ownerCard,
  ownerRow,
  PHONE,
  saveScreenshot,
  showOnPhone,
  signedIn,
  waitForConnection,
  waitForStatus,
  type Person,
} from './dashboard-page.ts';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  await ensureDashboardBuilt();
  server = await startServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** What went wrong in a page, apart from the browser's notes about the connection the test itself cut. */
const unexpected = (person: Person) =>
  person.problems.filter((p) => !/WebSocket connection to .* failed|ERR_INTERNET_DISCONNECTED/.test(p));

const ratingGroup = (page: Page, label: string) =>
  page.getByRole('dialog').getByRole('group', { name: new RegExp(`^${label} `) });

describe('marking a job done and rating the cleaner', () => {
  it('walks from posting to a rating the cleaner and the board see live', async () => {
    const ownerUser = await makeUser(server.url, { username: 'rosa_owner' });
    const cleanerUser = await makeUser(server.url, { username: 'mia_cleans' });
    const bystanderUser = await makeUser(server.url);
    const owner = await signedIn(browser, server.url, ownerUser, 'owner');
    // The cleaner uses a phone, 390 px wide.
    const cleaner = await signedIn(browser, server.url, cleanerUser, 'cleaner', PHONE);
    const bystander = await signedIn(browser, server.url, bystanderUser, 'cleaner');

    // The owner posts; the board shows it open.
    await owner.page.getByLabel('Job title').fill('Spring clean, three rooms');
    await owner.page.getByLabel('Price (USD)').fill('140');
    await owner.page.getByLabel('Type').selectOption('full_clean');
    await owner.page.getByRole('button', { name: 'Post job' }).click();
    const card = owner.page.locator('[data-view="owner"] article.cleaning').first();
    await card.waitFor();
    const cleaningId = Number(await card.getAttribute('data-cleaning-id'));
    for (const page of [cleaner.page, bystander.page])
      await jobCard(page, cleaningId)
        .locator('.board-state[data-state="open"]', { hasText: 'Open' })
        .waitFor();

    // The cleaner offers; the owner sees a newcomer with no track record, and accepts.
    await jobCard(cleaner.page, cleaningId).getByRole('button', { name: 'Make an offer' }).click();
    const row = ownerRow(owner.page, cleaningId, 'mia_cleans');
    await waitForStatus(row, 'pending');
    expect(await row.locator('.track-record').textContent()).toBe('No ratings yet');
    await row.getByRole('button', { name: 'Accept' }).click();
    await confirmIn(owner.page, 'Accept offer');
    await waitForStatus(row, 'accepted');
    await jobCard(bystander.page, cleaningId)
      .locator('.board-state[data-state="taken"]', { hasText: 'Taken' })
      .waitFor();

    // "Mark done and rate": an overall rating is required, and the server's 422 is shown at that rating.
    await row.getByRole('button', { name: 'Mark done and rate' }).click();
    const dialog = owner.page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').textContent()).toBe(
      'Mark “Spring clean, three rooms” done and rate mia_cleans',
    );
    // Offline, the dialog cannot send: its button waits for the connection, like every other.
    const send = dialog.getByRole('button', { name: 'Mark done and rate' });
    await owner.context.setOffline(true);
    await waitForConnection(owner.page, 'reconnecting');
    expect(await send.isDisabled()).toBe(true);
    await owner.context.setOffline(false);
    await waitForConnection(owner.page, 'live');
    expect(await send.isEnabled()).toBe(true);
    await send.click();
    const overall = ratingGroup(owner.page, 'Overall');
    await overall.locator('.field-error:not([hidden])').waitFor();
    expect(await overall.locator('.field-error').textContent()).toBe(
      'Choose an overall rating, from 0 to 5 stars.',
    );
    expect(await overall.getByRole('radio', { name: '0 stars' }).getAttribute('aria-invalid')).toBe('true');
    await waitForStatus(row, 'accepted');

    await overall.getByRole('radio', { name: '4 stars', exact: true }).check();
    // Choosing a rating answers the error: it goes.
    await overall.locator('.field-error').waitFor({ state: 'hidden' });
    expect(await overall.locator('[aria-invalid]').count()).toBe(0);
    await ratingGroup(owner.page, 'Professionalism').getByRole('radio', { name: '5 stars' }).check();
    expect(
      await ratingGroup(owner.page, 'Efficiency').getByRole('radio', { name: 'Not rated' }).isChecked(),
    ).toBe(true);
    await dialog.getByLabel('Headline').fill('Spotless kitchen');
    await dialog.getByLabel('Comment').fill('On time, friendly, and the oven shines.');
    await saveScreenshot(owner.page, 'owner-rates');
    // On a 390 px phone the dialog fits: each rating's stars on one line, nothing to scroll sideways.
    await owner.page.setViewportSize(PHONE);
    const fits = await dialog.evaluate((d) => ({
      sideways: d.scrollWidth - d.clientWidth,
      rows: [...d.querySelectorAll('.star-options')].map(
        (o) => new Set([...o.children].map((c) => (c as HTMLElement).offsetTop)).size,
      ),
    }));
    expect(fits).toEqual({ sideways: 0, rows: [1, 1, 1, 1] });
    await saveScreenshot(owner.page, 'owner-rates-phone');
    await owner.page.setViewportSize(DESKTOP);
    await confirmIn(owner.page, 'Mark done and rate');

    // The owner's row shows the rating given; the job can no longer be edited or deleted.
    await waitForStatus(row, 'completed');
    await row.locator('.evaluation-summary[data-rating="4"]').waitFor();
    await ownerCard(owner.page, cleaningId).getByText('Done by mia_cleans').waitFor();
    expect(await ownerCard(owner.page, cleaningId).getByRole('button', { name: 'Delete' }).isVisible()).toBe(
      false,
    );

    // The cleaner sees the job completed, and their rating, live.
    await showOnPhone(cleaner.page, 'My offers');
    const mine = myOfferRow(cleaner.page, cleaningId);
    await waitForStatus(mine, 'completed');
    await mine.locator('.evaluation-summary[data-rating="4"]').waitFor();
    expect(await mine.locator('.offer-rating').textContent()).toBe(
      'Your rating: ★★★★★4 of 5 starsSpotless kitchen',
    );
    expect(await isSameDocument(cleaner.page)).toBe(true);
    await saveScreenshot(cleaner.page, 'cleaner-completed');

    // The board shows it done, with no offer button.
    const done = jobCard(bystander.page, cleaningId);
    await done.locator('.board-state[data-state="done"]', { hasText: 'Done' }).waitFor();
    expect(await done.getByRole('button', { name: 'Make an offer' }).count()).toBe(0);
    await showOnPhone(cleaner.page, 'Job board');
    await jobCard(cleaner.page, cleaningId).locator('.board-state[data-state="done"]').waitFor();

    // The cleaner's next offer carries the track record to the next owner's table.
    const next = await makeCleaning(ownerUser, { name: 'Windows' });
    await makeOffers(next, [cleanerUser]);
    const nextRow = ownerRow(owner.page, next.id, 'mia_cleans');
    await waitForStatus(nextRow, 'pending');
    expect(await nextRow.locator('.track-record').textContent()).toBe('★★★★★Rated 4 of 5 4 · 1 rating');

    // After a reload the rating is still shown (read back once, since the offer no longer carries it).
    await cleaner.page.reload();
    await showOnPhone(cleaner.page, 'My offers');
    await myOfferRow(cleaner.page, cleaningId).locator('.evaluation-summary[data-rating="4"]').waitFor();

    for (const person of [owner, cleaner, bystander]) {
      expect(unexpected(person)).toEqual([]);
      await person.context.close();
    }
  });
});
