import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
// The docs copy is refreshed on request only, so a test run leaves the work tree clean.
const SCREENSHOT = fileURLToPath(
  new URL(process.env.UPDATE_DOCS_SCREENSHOT === '1' ? '../../docs/images/job-dashboard.png' : '../../test-results/job-dashboard.png', import.meta.url),
);
const COOKIE = 'vestline_dashboard';
const JOB = 'rate-limits.prune';

/** Generous for a slow CI machine; the test itself takes a few seconds. */
const TIMEOUT = 60_000;

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  [t, browser] = await Promise.all([
    startTestApp(),
    // The machine has no internet: these flags keep Chromium from trying to reach Google's services.
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
}, TIMEOUT);

afterAll(async () => {
  // The browser first: the dashboard keeps an event stream open that would hold the server's drain.
  await browser?.close();
  await t?.stop();
}, TIMEOUT);

describe('job dashboard in a browser', () => {
  it('signs a SUPER_ADMIN in and shows the Agendash job list', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));

      await page.goto(`${t.url}/admin/jobs/`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      await expect(page.title()).resolves.toBe('Vestline jobs: sign in');

      await page.fill('#email', ADMIN_EMAIL);
      await page.fill('#password', ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${t.url}/admin/jobs/`), page.click('button[type=submit]')]);
      // The session travels in the cookie; the URL carries no token.
      expect(page.url()).toBe(`${t.url}/admin/jobs/`);

      await page.locator('table tbody').getByText(JOB, { exact: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
      await expect(page.title()).resolves.toBe('Agendash');

      // The browser holds the cookie, HttpOnly, but scripts on the page cannot read it.
      const cookies = await context.cookies(`${t.url}/admin/jobs/`);
      const session = cookies.find((c) => c.name === COOKIE);
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin', secure: false });
      const visible = await page.evaluate<string>('document.cookie');
      expect(visible).not.toContain(COOKIE);
      expect(visible).not.toContain(session!.value);

      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, TIMEOUT);
});
