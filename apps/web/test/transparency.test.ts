/**
 * Key transparency in the web client (issue 13, "In the clients"), against a real relay running
 * its key transparency log beside it: the safety dialog says a contact's key is verified with
 * the log; the engine's monitoring runs by itself (no request asks for it) and its last run shows
 * in Settings. Axe checks the new text in the light and dark themes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { axeViolations } from './a11y.js';
import { register, startChat, waitOnline, UI_TIMEOUT_MS } from './flows.js';
import {
  engineRequest,
  ensureWebBuild,
  launchBrowser,
  openUser,
  startServer,
  type Server,
} from './harness.js';

let server: Server;
let browser: Browser;

before(async () => {
  const webDir = await ensureWebBuild();
  // The harness starts relays with `--kt off`; a later flag wins: the log runs beside the relay.
  server = await startServer({ webDir, args: ['--kt', 'spawn', '--kt-period', '200'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser.close();
  await server.stop();
});

async function openSettings(page: Page): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Settings' })
    .click();
  await page.getByRole('heading', { level: 3, name: 'Key transparency' }).waitFor({
    timeout: UI_TIMEOUT_MS,
  });
}

async function safetyStatus(page: Page): Promise<{ kt: string; text: string }> {
  await page.getByRole('button', { name: 'Safety number', exact: true }).click();
  const status = page
    .getByRole('dialog', { name: /^Safety number with / })
    .getByTestId('kt-status');
  await status.and(page.locator('[data-kt]:not([data-kt=""])')).waitFor({
    timeout: UI_TIMEOUT_MS,
  });
  return {
    kt: (await status.getAttribute('data-kt')) ?? '',
    text: (await status.textContent()) ?? '',
  };
}

async function themesClean(page: Page, screen: string): Promise<void> {
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => {
      document.documentElement.dataset['theme'] = t;
    }, theme);
    const found = await axeViolations(page);
    assert.deepEqual(
      found.map((v) => v.id),
      [],
      `${screen} (${theme}): ${JSON.stringify(found)}`,
    );
  }
}

test(
  'verified in the safety dialog; monitoring runs by itself and shows in Settings',
  { timeout: 600_000 },
  async () => {
    const alice = await openUser(browser, server.base);
    const bob = await openUser(browser, server.base);
    await register(alice.page, 'ktalice');
    await register(bob.page, 'ktbob');
    await waitOnline(alice.page);
    await startChat(alice.page, 'ktbob');

    // The contact, looked up through the log, is verified.
    const verified = await safetyStatus(alice.page);
    assert.equal(verified.kt, 'verified');
    assert.match(verified.text, /^Verified with the key transparency log/);
    await themesClean(alice.page, 'safety number with key transparency');
    await alice.page.getByRole('button', { name: 'Close' }).click();

    // Monitoring ran: the engine started it once a log was pinned (no request asked for a run).
    let status = await engineRequest(alice.page, 'ktStatus', {});
    for (let i = 0; status.lastRun === undefined && i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = await engineRequest(alice.page, 'ktStatus', {});
    }
    assert.equal(status.enabled, true);
    assert.ok(
      status.lastRun !== undefined,
      `no monitoring run: ${JSON.stringify(status)} ${alice.problems.list.join('; ')}`,
    );
    assert.equal(status.lastRun.error, undefined);
    assert.deepEqual(status.lastRun.failed, []);
    assert.ok((status.treeSize ?? 0) > 0);
    await openSettings(alice.page);
    await alice.page
      .getByTestId('kt-last-run')
      .getByText(/checked, all verified$/)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(
      (await alice.page.getByTestId('kt-log').textContent()) ?? '',
      /^pinned \(contact monitoring/,
    );
    await themesClean(alice.page, 'settings with key transparency');
  },
);
