/**
 * Notifications while a tab is open: off by default (nothing is shown), turned on from
 * Settings (the browser's permission, granted here through the Playwright context, is asked by
 * the switch), then a message arriving while its conversation is not on screen shows one
 * notification with the sender and the text; clicking it opens the conversation. A profile
 * whose browser refuses the permission keeps the switch off and says why.
 *
 * The page's `Notification` is wrapped (by an init script) only to record what was shown: the
 * real constructor still runs, so chromium's own checks (permission, options) apply.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expect } from './expect.js';
import { register, send, startChat, waitOnline, UI_TIMEOUT_MS } from './flows.js';
import { watch, type Server, withServerAndBrowser } from './harness.js';

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** Plain JavaScript (the test loader's helpers do not exist in the page). */
const RECORD_NOTIFICATIONS = `
(function () {
  var Real = window.Notification;
  if (typeof Real !== 'function') return;
  window.shownNotifications = [];
  function Recorded(title, options) {
    var n = new Real(title, options);
    window.shownNotifications.push({ title: title, body: options && options.body, tag: options && options.tag });
    window.lastNotification = n;
    return n;
  }
  Object.defineProperty(Recorded, 'permission', { get: function () { return Real.permission; } });
  Recorded.requestPermission = function () { return Real.requestPermission.apply(Real, arguments); };
  Recorded.prototype = Real.prototype;
  window.Notification = Recorded;
})();
`;

interface Shown {
  readonly title: string;
  readonly body?: string;
  readonly tag?: string;
}

const shown = (page: Page): Promise<Shown[]> =>
  page.evaluate(
    () => (window as unknown as { shownNotifications?: Shown[] }).shownNotifications ?? [],
  );

async function openSettings(page: Page): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Settings' })
    .click();
  await page
    .getByRole('heading', { level: 2, name: 'Settings' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
}

async function person(
  permissions: string[],
): Promise<{ page: Page; problems: { list: string[] } }> {
  const context = await browser.newContext({ baseURL: server.base, permissions });
  await context.addInitScript({ content: RECORD_NOTIFICATIONS });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto('/');
  return { page, problems };
}

test(
  'notifications: off by default, on from Settings, one per new message',
  { timeout: 600_000 },
  async () => {
    const nina = await person(['notifications']);
    const omar = await person([]);
    await register(nina.page, 'nnina');
    await register(omar.page, 'nomar');
    await waitOnline(nina.page);
    await waitOnline(omar.page);

    // Off by default: a message arrives and nothing is shown.
    await startChat(omar.page, 'nnina');
    await send(omar.page, 'before notifications');
    await nina.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /^nomar\b/ })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await shown(nina.page), []);

    // On from Settings; the permission is granted (by the context), so the switch turns on.
    await openSettings(nina.page);
    const toggle = nina.page.getByRole('switch', { name: 'Notify me of new messages' });
    assert.equal(await toggle.isChecked(), false);
    await nina.page.getByText('Notify me of new messages', { exact: true }).click();
    await expect(() => toggle.isChecked(), 'the notifications switch to turn on');

    // Nina is on the Settings screen: the conversation is not on screen, so she is notified.
    await send(omar.page, 'ping with a notification');
    await expect(
      async () => (await shown(nina.page)).some((n) => n.body === 'ping with a notification'),
      'a notification for the new message',
    );
    const list = await shown(nina.page);
    const [only] = list;
    assert.ok(only !== undefined && list.length === 1, JSON.stringify(list));
    assert.equal(only.title, 'nomar');
    assert.ok((only.tag ?? '') !== '', 'tagged by message, so tabs replace it, not repeat it');

    // Clicking it opens the conversation.
    await nina.page.evaluate(() => {
      const n = (window as unknown as { lastNotification?: Notification }).lastNotification;
      n?.dispatchEvent(new Event('click'));
    });
    await nina.page
      .getByRole('heading', { level: 2, name: 'nomar' })
      .waitFor({ timeout: UI_TIMEOUT_MS });

    // Still on after a reload (kept in this browser).
    await nina.page.reload();
    await openSettings(nina.page);
    await expect(
      () => nina.page.getByRole('switch', { name: 'Notify me of new messages' }).isChecked(),
      'the switch to stay on after a reload',
    );

    // Omar's browser refuses the permission: the switch stays off and says so.
    await openSettings(omar.page);
    const refused = omar.page.getByRole('switch', { name: 'Notify me of new messages' });
    await omar.page.getByText('Notify me of new messages', { exact: true }).click();
    await omar.page
      .getByText(/This browser blocks notifications from Parley/)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await refused.isChecked(), false);

    assert.deepEqual(nina.problems.list, []);
    assert.deepEqual(omar.problems.list, []);
  },
);
