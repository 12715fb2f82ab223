// The Chromium shipped in the @sparticuz/chromium npm package is what a machine without a system browser
// runs the browser tests on; this drives it even where Debian's Chromium is installed, so it cannot rot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.ts';
import { chromiumExecutable, launchChromium } from './chromium.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  await ensureDashboardBuilt();
  server = await startServer();
  browser = await launchChromium(chromiumExecutable({ configured: undefined, system: undefined }));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the packaged Chromium', () => {
  it('is unpacked from node_modules and runs headless, as root, without a system browser', () => {
    const { executablePath } = chromiumExecutable({ configured: undefined, system: undefined });
    expect(executablePath).toMatch(/node_modules\/\.cache\/packaged-chromium\/[\d.]+\/chromium$/);
    expect(browser.version()).toMatch(/^\d+\./);
  });

  it('renders the dashboard and runs its script', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });
});
