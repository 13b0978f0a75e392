/**
 * Settings: read receipts off (the sender stops at Delivered), the passphrase lock (a wrong one
 * is refused; it survives a reload; removing it), the theme kept across a reload, About, and
 * wiping local data (back to the start; the device key is gone with it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expect } from './expect.js';
import {
  expectMessage,
  openConversation,
  register,
  send,
  startChat,
  waitOnline,
  UI_TIMEOUT_MS,
} from './flows.js';
import { openUser, type Server, withServerAndBrowser } from './harness.js';

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

async function openSettings(page: Page): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Settings' })
    .click();
  await page
    .getByRole('heading', { level: 2, name: 'Settings' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
}

test('read receipts off, passphrase lock, theme, about, wipe', { timeout: 600_000 }, async () => {
  const sam = await openUser(browser, server.base);
  const tom = await openUser(browser, server.base);
  await register(sam.page, 'ssam');
  await register(tom.page, 'stom');
  await waitOnline(sam.page);

  // tom turns read receipts off: sam's message stops at Delivered though tom reads it.
  await openSettings(tom.page);
  const receipts = tom.page.getByRole('switch', { name: 'Send read receipts' });
  assert.ok(await receipts.isChecked());
  await tom.page.getByText('Send read receipts', { exact: true }).click();
  await expect(async () => !(await receipts.isChecked()), 'the switch to turn off');
  await startChat(sam.page, 'stom');
  await send(sam.page, 'read me quietly');
  await openConversation(tom.page, 'ssam');
  await expectMessage(tom.page, 'read me quietly');
  await expectMessage(sam.page, 'read me quietly', 'Delivered');
  await sam.page.waitForTimeout(2_000);
  await expectMessage(sam.page, 'read me quietly', 'Delivered');

  // The theme is kept across a reload; About names the version.
  await openSettings(sam.page);
  await sam.page.getByText('High contrast', { exact: true }).click();
  await expect(
    async () => await sam.page.getByRole('radio', { name: 'High contrast' }).isChecked(),
    'High contrast to be chosen',
  );
  assert.equal(
    await sam.page.evaluate(() => document.documentElement.dataset['theme']),
    'contrast',
  );
  await sam.page.getByText(/^0\.1\.0$/).waitFor();
  await sam.page.getByText(/^3\.\d+\.\d+$/).waitFor();

  // A passphrase: the store opens only with it, also after a reload.
  await sam.page.getByLabel('New passphrase', { exact: true }).fill('short');
  await sam.page.getByLabel('Repeat the new passphrase').fill('short');
  await sam.page.getByRole('button', { name: 'Set passphrase' }).click();
  await sam.page.getByText('Use at least 8 characters.').waitFor({ timeout: UI_TIMEOUT_MS });
  await sam.page.getByLabel('New passphrase', { exact: true }).fill('correct horse battery');
  await sam.page.getByLabel('Repeat the new passphrase').fill('correct horse battery');
  await sam.page.getByRole('button', { name: 'Set passphrase' }).click();
  await sam.page
    .getByText('Passphrase set. Parley asks for it when it opens.')
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await sam.page.reload();
  await sam.page
    .getByRole('heading', { level: 1, name: 'Parley is locked' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  assert.equal(
    await sam.page.evaluate(() => document.documentElement.dataset['theme']),
    'contrast',
  );
  await sam.page.getByLabel('Passphrase', { exact: true }).fill('wrong horse battery');
  await sam.page.getByRole('button', { name: 'Unlock' }).click();
  await sam.page.getByText('That passphrase is not right.').waitFor({ timeout: UI_TIMEOUT_MS });
  await sam.page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery');
  await sam.page.getByRole('button', { name: 'Unlock' }).click();
  await sam.page.getByText('Signed in as ssam').waitFor({ timeout: UI_TIMEOUT_MS });
  await openConversation(sam.page, 'stom');
  await expectMessage(sam.page, 'read me quietly');

  // Removing the passphrase: a reload opens straight away.
  await openSettings(sam.page);
  await sam.page.getByLabel('Current passphrase').fill('correct horse battery');
  await sam.page.getByRole('button', { name: 'Remove passphrase' }).click();
  await sam.page.getByText('Passphrase removed.').waitFor({ timeout: UI_TIMEOUT_MS });
  await sam.page.reload();
  await sam.page.getByText('Signed in as ssam').waitFor({ timeout: UI_TIMEOUT_MS });

  // Wipe: back to the start, with no history, and the old store cannot come back.
  await openSettings(sam.page);
  await sam.page.getByRole('button', { name: 'Wipe local data' }).click();
  await sam.page
    .getByRole('alertdialog', { name: 'Wipe local data?' })
    .getByRole('button', { name: 'Wipe' })
    .click();
  await sam.page
    .getByRole('button', { name: 'Create account' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await sam.page.reload();
  await sam.page
    .getByRole('button', { name: 'Create account' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await register(sam.page, 'ssam2');
  assert.equal(
    await sam.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: /^stom/ })
      .count(),
    0,
  );

  assert.deepEqual(sam.problems.list, []);
  assert.deepEqual(tom.problems.list, []);
});
