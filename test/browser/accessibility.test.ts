// axe-core in Chromium on every screen of the dashboard, at desk and phone sizes: no serious or critical
// violation (contrast, names, roles, ARIA) may ship.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AxeResults } from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { makeCleaning, makeOffers, makeUsers, type TestUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import {
  DESKTOP,
  jobCard,
  myOfferRow,
  openDashboard,
  ownerRow,
  PHONE,
  showOnPhone,
  signedIn,
  waitForStatus,
} from './dashboard-page.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: TestServer;
let browser: Browser;
let owner: TestUser;
let cleaner: TestUser;
let cleaningId: number;
let other: TestUser;
let takenId: number;
let doneId: number;

beforeAll(async () => {
  await ensureDashboardBuilt();
  server = await startServer();
  browser = await launchChromium();
  const [o, c, x] = await makeUsers(server.url, 3);
  [owner, cleaner, other] = [o!, c!, x!];
  const cleaning = await makeCleaning(owner, { name: 'Two-room flat', description: 'Keys at the desk.' });
  const taken = await makeCleaning(owner, { name: 'Windows' });
  await makeOffers(cleaning, [cleaner]);
  await makeOffers(taken, [cleaner, other]);
  await owner.api.put(`/api/cleanings/${taken.id}/offers/${other.username}/`);
  await makeCleaning(other, { name: 'Balcony' });
  // A job done and rated, so that the cleaner's list and the board show a rating and "done".
  const done = await makeCleaning(owner, { name: 'Oven' });
  await makeOffers(done, [cleaner]);
  await owner.api.put(`/api/cleanings/${done.id}/offers/${cleaner.username}/`);
  const rated = await owner.api.post(`/api/users/${cleaner.username}/evaluations/${done.id}/`, {
    json: { evaluation_create: { overall_rating: 4, headline: 'Spotless' } },
  });
  expect(rated.status).toBe(201);
  cleaningId = cleaning.id;
  takenId = taken.id;
  doneId = done.id;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The serious and critical violations axe finds on the page as it is now, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP does not stand in the way.
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run(),
  );
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const SIZES = { desk: DESKTOP, phone: PHONE };

describe.each(Object.entries(SIZES))('on a %s', (_, size) => {
  it('the sign-in and create-account screens have no serious accessibility violation', async () => {
    const visitor = await openDashboard(browser, server.url, 'owner', size);
    await visitor.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await seriousViolations(visitor.page)).toEqual([]);
    await visitor.page.getByRole('tab', { name: 'Create account' }).click();
    expect(await seriousViolations(visitor.page)).toEqual([]);
    await visitor.context.close();
  });

  it('the owner’s view, with offers and a confirmation open, has no serious accessibility violation', async () => {
    const { page, context } = await signedIn(browser, server.url, owner, 'owner', size);
    await waitForStatus(ownerRow(page, cleaningId, cleaner.username), 'pending');
    expect(await seriousViolations(page)).toEqual([]);
    await ownerRow(page, cleaningId, cleaner.username).getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('dialog').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('the rating dialog, with an error shown at its rating, has no serious accessibility violation', async () => {
    const { page, context } = await signedIn(browser, server.url, owner, 'owner', size);
    const row = ownerRow(page, takenId, other.username);
    await waitForStatus(row, 'accepted');
    await waitForStatus(ownerRow(page, doneId, cleaner.username), 'completed');
    await row.getByRole('button', { name: 'Mark done and rate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Mark done and rate' }).click();
    await dialog.locator('.field-error:not([hidden])').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('the cleaner’s view has no serious accessibility violation', async () => {
    const { page, context } = await signedIn(browser, server.url, cleaner, 'cleaner', size);
    await jobCard(page, cleaningId).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    if (size === PHONE) await showOnPhone(page, 'My offers');
    await waitForStatus(myOfferRow(page, cleaningId), 'pending');
    await myOfferRow(page, doneId).locator('.evaluation-summary').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('the profile page and a public profile have no serious accessibility violation', async () => {
    const { page, context } = await signedIn(browser, server.url, cleaner, 'owner', size);
    await page.getByRole('tab', { name: 'Profile' }).click();
    await page
      .locator('[data-view="profile"] .profile-facts, [data-view="profile"] .profile-preview p')
      .first()
      .waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('tab', { name: 'Find work' }).click();
    await jobCard(page, cleaningId).getByRole('button', { name: owner.username }).click();
    await page.getByRole('dialog').getByText('No details shared yet.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});
