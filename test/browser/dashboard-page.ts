import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { ConnectionState, OfferStatus } from 'phresh-live/client';
import type { TestUser } from '../helpers/api.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WAIT_MS = 15_000;

/** One person at their own browser: a separate context (own storage, own socket). */
export type Person = {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors and console errors the page produced (CSP violations included). */
  problems: string[];
};

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Opens the dashboard in a fresh context at `view`, without signing in. */
export async function openDashboard(
  browser: Browser,
  baseUrl: string,
  view: 'owner' | 'cleaner',
  viewport = DESKTOP,
): Promise<Person> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A 4xx answer is the browser's note about a refused request the page handles (and shows); anything else,
    // a CSP violation say, is a problem.
    if (m.type() === 'error' && !/^Failed to load resource: .* status of 4\d\d/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${baseUrl}/#${view}`);
  return { page, context, problems };
}

/** Signs in through the form, waits until the page is live, and marks the document to detect any reload. */
export async function signIn(person: Person, user: Pick<TestUser, 'email' | 'password'>): Promise<void> {
  const { page } = person;
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await waitForConnection(page, 'live');
  await markDocument(page);
}

/** Opens the dashboard and signs in. */
export async function signedIn(
  browser: Browser,
  baseUrl: string,
  user: Pick<TestUser, 'email' | 'password'>,
  view: 'owner' | 'cleaner',
  viewport = DESKTOP,
): Promise<Person> {
  const person = await openDashboard(browser, baseUrl, view, viewport);
  await signIn(person, user);
  return person;
}

/** Tags the current document; `isSameDocument` is false after any reload or navigation. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { phreshMark: boolean }).phreshMark = true;
  });
}

export function isSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { phreshMark?: boolean }).phreshMark === true);
}

export async function waitForConnection(page: Page, state: ConnectionState): Promise<void> {
  await page.locator(`.connection[data-state="${state}"]`).waitFor();
}

/** The owner's card for a cleaning. */
export const ownerCard = (page: Page, cleaningId: number) =>
  page.locator(`[data-view="owner"] article.cleaning[data-cleaning-id="${cleaningId}"]`);

/** A row of the owner's offers table. */
export const ownerRow = (page: Page, cleaningId: number, username: string) =>
  ownerCard(page, cleaningId).locator(`tr[data-offerer="${username}"]`);

/** A job card on the cleaner's board. */
export const jobCard = (page: Page, cleaningId: number) =>
  page.locator(`[data-testid="job-board"] article.job[data-cleaning-id="${cleaningId}"]`);

/** A row of the cleaner's "my offers". */
export const myOfferRow = (page: Page, cleaningId: number) =>
  page.locator(`[data-testid="my-offers"] [data-cleaning-id="${cleaningId}"]`);

/** Waits until `row` shows `status`, and checks that this is the text a person reads there. */
export async function waitForStatus(row: Locator, status: OfferStatus): Promise<void> {
  const badge = row.locator(`.status[data-status="${status}"]`);
  await badge.waitFor();
  const text = await badge.textContent();
  if (text !== status) throw new Error(`the badge says "${text}" for status ${status}`);
}

/** Answers the open confirmation dialog with the button named `choice`, and waits until it is gone. */
export async function confirmIn(page: Page, choice: string): Promise<void> {
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: choice, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** On a phone, picks a list on the cleaner's sticky switcher ("Job board" or "My offers"). */
export async function showOnPhone(page: Page, list: 'Job board' | 'My offers'): Promise<void> {
  const button = page.locator('.switcher button', { hasText: list });
  await button.click();
  await page.locator(`.switcher button[aria-pressed="true"]`, { hasText: list }).waitFor();
}

/** The error shown under the field labelled `label`, once there is one. */
export async function fieldError(page: Page, label: string): Promise<string> {
  const error = page.locator('label.field', { has: page.getByLabel(label) }).locator('.field-error');
  await error.waitFor();
  return (await error.textContent()) ?? '';
}

/** Waits for an alert on the page that shows `detail`, and returns its whole text. */
export async function waitForAlert(page: Page, detail: string): Promise<string> {
  const alert = page.getByRole('alert').filter({ hasText: detail });
  await alert.first().waitFor();
  return (await alert.first().textContent()) ?? '';
}

/**
 * Saves a screenshot for the README under docs/ when UPDATE_SCREENSHOTS=1 (`npm run screenshots`), and under
 * test-results/ otherwise, so that an ordinary test run leaves the committed images alone.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const dir =
    process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs') : join(ROOT, 'test-results/screenshots');
  const path = join(dir, `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
  return path;
}
