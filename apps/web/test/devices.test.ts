/**
 * A second browser linked as a device of the first: it shows the link code (text and QR), the
 * primary approves it from Settings, and then it receives new messages and the copies of what
 * the other device sent; removing it from the primary shuts it out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  expectMessage,
  message,
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

test(
  'a linked browser receives new messages and its own sent copies; removal shuts it out',
  { timeout: 600_000 },
  async () => {
    const phone = await openUser(browser, server.base);
    const laptop = await openUser(browser, server.base);
    const bob = await openUser(browser, server.base);
    await register(phone.page, 'linda');
    await register(bob.page, 'lbob');
    await waitOnline(phone.page);

    // The new browser shows a link code, as text and as a QR code.
    await laptop.page.getByRole('tab', { name: 'Link this browser' }).click();
    await laptop.page.getByRole('button', { name: 'Show a link code' }).click();
    await laptop.page
      .getByRole('img', { name: 'Link code as a QR code' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    const code = await laptop.page.getByRole('textbox', { name: 'Link code' }).inputValue();
    assert.ok(code.length > 40, code);

    // The primary approves it in Settings, Devices.
    await openSettings(phone.page);
    await phone.page.getByRole('textbox', { name: 'Link code' }).fill(code);
    await phone.page.getByRole('button', { name: 'Approve the device' }).click();
    await phone.page.getByText('Device 2 is linked.').waitFor({ timeout: UI_TIMEOUT_MS });
    await laptop.page.getByText('Signed in as linda').waitFor({ timeout: UI_TIMEOUT_MS });
    await waitOnline(laptop.page);
    await phone.page.getByText(/Device 2, added/).waitFor({ timeout: UI_TIMEOUT_MS });

    // bob writes: both devices get it.
    await startChat(bob.page, 'linda');
    await send(bob.page, 'to every device of linda');
    await openConversation(laptop.page, 'lbob');
    await expectMessage(laptop.page, 'to every device of linda');
    await openConversation(phone.page, 'lbob');
    await expectMessage(phone.page, 'to every device of linda');

    // Each device sees what the other sent, as its own message.
    await send(phone.page, 'sent from the phone');
    await expectMessage(laptop.page, 'sent from the phone');
    assert.equal(
      await message(laptop.page, 'sent from the phone').getAttribute('data-direction'),
      'out',
    );
    await send(laptop.page, 'sent from the laptop');
    await expectMessage(bob.page, 'sent from the laptop');
    await expectMessage(phone.page, 'sent from the laptop');
    assert.equal(
      await message(phone.page, 'sent from the laptop').getAttribute('data-direction'),
      'out',
    );

    // The laptop is removed from the primary: bob's next message reaches only the phone.
    await openSettings(phone.page);
    await phone.page.getByRole('button', { name: 'Remove device 2' }).click();
    await phone.page
      .getByRole('alertdialog', { name: 'Remove device 2?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await phone.page
      .getByText(/Device 2, added/)
      .waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await send(bob.page, 'after the laptop was removed');
    await openConversation(phone.page, 'lbob');
    await expectMessage(phone.page, 'after the laptop was removed');
    await laptop.page.waitForTimeout(3_000);
    assert.equal(await message(laptop.page, 'after the laptop was removed').count(), 0);

    // The laptop is told, and stops: it no longer connects, and sending is refused.
    await laptop.page
      .getByText('Connection: This browser was removed from your account', { exact: true })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await laptop.page
      .getByText(/removed from your account by another of your devices/)
      .first()
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await send(laptop.page, 'sent after removal');
    await laptop.page
      .getByRole('alert')
      .filter({ hasText: /removed from your account, so it cannot send/ })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    // Still so after a reload (kept in the store).
    await laptop.page.reload();
    await laptop.page
      .getByText('Connection: This browser was removed from your account', { exact: true })
      .waitFor({ timeout: UI_TIMEOUT_MS });

    assert.deepEqual(phone.problems.list, []);
    assert.deepEqual(bob.problems.list, []);
    assert.deepEqual(laptop.problems.list, []);
  },
);
