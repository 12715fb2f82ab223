// Both API docs in a real browser: /docs (Swagger UI, whose "Try it out" must work with the documented
// examples unchanged) and /docs/socket (the AsyncAPI document rendered on the server), under the real CSP.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium } from './chromium.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}${path}`);
  return { page, problems };
}

/** The README's pictures: under docs/ with UPDATE_SCREENSHOTS=1 (`npm run screenshots`), else test-results/. */
async function screenshot(page: Page, name: string): Promise<void> {
  const dir =
    process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs') : join(ROOT, 'test-results/screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

describe('the REST docs at /docs', () => {
  it('render every operation and a Schemas section, without a single error', async () => {
    const { page, problems } = await open('/docs');
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(20);
    const schemas = page.locator('section.models');
    await schemas.waitFor();
    expect(await schemas.textContent()).toMatch(/Schemas.*NewCleaning/s);
    await screenshot(page, 'api-docs');
    expect(problems).toEqual([]);
  });

  it('register a user with "Try it out" and the documented example, unchanged', async () => {
    const { page, problems } = await open('/docs');
    const register = page.locator('.opblock.opblock-post', {
      has: page.locator('.opblock-summary-path[data-path="/api/users/"]'),
    });
    await register.locator('.opblock-summary').click();
    await register.getByRole('button', { name: 'Try it out' }).click();
    expect(await register.locator('textarea.body-param__text').inputValue()).toContain('lucy@example.com');
    await register.getByRole('button', { name: 'Execute' }).click();
    const status = register.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('201');
    expect(problems).toEqual([]);
  });
});

describe('the socket docs at /docs/socket', () => {
  it('render every command, push and schema from the AsyncAPI document, without scripts or errors', async () => {
    const html = await (await fetch(`${server.url}/docs/socket`)).text();
    expect(html).not.toMatch(/<script/i);
    const { page, problems } = await open('/docs/socket');
    await expect(page.getByRole('heading', { name: /offer:accept/ }).count()).resolves.toBe(1);
    await expect(page.getByRole('heading', { name: /session:expired/ }).count()).resolves.toBe(1);
    expect(await page.locator('#schema-OfferEvent').textContent()).toContain('seq');
    expect(await page.locator('#offerAccept').textContent()).toContain('ALREADY_ACCEPTED');
    const background = await page
      .locator('section')
      .first()
      .evaluate((e) => getComputedStyle(e).borderRadius);
    expect(background).toBe('8px');
    await screenshot(page, 'socket-docs');
    expect(problems).toEqual([]);
  });
});
