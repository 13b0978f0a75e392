/**
 * Every flow with the keyboard alone: register, start a chat, send, move through the feed with
 * Page Up / Page Down, open a conversation from the list, check the safety number, create a
 * group, change the theme in Settings. No clicks on the keyboard user's page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { expect } from './expect.js';
import {
  expectMessage,
  message,
  openConversation,
  register,
  send,
  waitOnline,
  UI_TIMEOUT_MS,
} from './flows.js';
import { openUser, type Server, withServerAndBrowser } from './harness.js';
import { focusedName, tabTo } from './keyboard.js';

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

test('every flow completes with the keyboard alone', { timeout: 600_000 }, async () => {
  const bob = await openUser(browser, server.base);
  await register(bob.page, 'keybob');
  const kim = await openUser(browser, server.base);
  const page = kim.page;
  const keys = page.keyboard;

  // Register.
  await page.getByRole('textbox', { name: 'Username' }).waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Username$/);
  await keys.type('keykim');
  await keys.press('Enter');
  await page.getByText('Signed in as keykim').waitFor({ timeout: UI_TIMEOUT_MS });
  await waitOnline(page);

  // Start a chat and send.
  await tabTo(page, /^New chat$/);
  await keys.press('Enter');
  await page.getByRole('dialog', { name: 'New chat' }).waitFor();
  assert.equal(await focusedName(page), 'Username');
  await keys.type('keybob');
  await keys.press('Enter');
  await page.getByRole('heading', { level: 2, name: 'keybob' }).waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Message to keybob$/);
  for (const text of ['first by keyboard', 'second by keyboard', 'third by keyboard']) {
    await keys.type(text);
    await keys.press('Enter');
    await expectMessage(page, text);
  }

  // bob answers; kim moves through the feed with Page Up and Page Down.
  await openConversation(bob.page, 'keykim');
  await send(bob.page, 'answer for kim');
  await expectMessage(page, 'answer for kim');
  await tabTo(page, /^You /, true);
  const first = await page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'));
  await keys.press('PageUp');
  await expect(
    async () =>
      (await page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))) ===
      String(Number(first) - 1),
    'Page Up to move to the previous message',
  );
  await keys.press('PageDown');
  await expect(
    async () =>
      (await page.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))) === first,
    'Page Down to move to the next message',
  );

  // From that message (kim's last): react, edit it, reply to bob, delete the reply.
  const third = message(page, 'third by keyboard').first();
  await tabTo(page, /^React$/);
  await keys.press('Enter');
  await tabTo(page, /^React with 👍$/);
  await keys.press('Enter');
  await third.getByRole('button', { name: '👍 1: you' }).waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Edit$/);
  await keys.press('Enter');
  await expect(
    async () => (await focusedName(page)) === 'Message to keybob',
    'the composer to take the text to edit',
  );
  await keys.press('Control+A');
  await keys.type('third, edited by keyboard');
  await keys.press('Enter');
  await message(page, 'third, edited by keyboard')
    .getByText('Edited', { exact: true })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Reply$/, true);
  await keys.press('Enter');
  await page.getByRole('group', { name: 'Replying' }).waitFor({ timeout: UI_TIMEOUT_MS });
  await expect(
    async () => (await focusedName(page)) === 'Message to keybob',
    'the composer to have focus for the reply',
  );
  await keys.type('reply by keyboard');
  await keys.press('Enter');
  await message(page, 'reply by keyboard')
    .getByRole('button', { name: 'Reply to keybob: answer for kim' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Delete$/, true);
  await keys.press('Enter');
  await page
    .getByRole('alertdialog', { name: 'Delete this message for everyone?' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Delete for everyone$/);
  await keys.press('Enter');
  await page
    .getByRole('feed')
    .getByText('This message was deleted')
    .waitFor({ timeout: UI_TIMEOUT_MS });

  // The safety number dialog opens and closes; focus comes back.
  await tabTo(page, /^Safety number$/, true);
  await keys.press('Enter');
  const safety = page.getByRole('dialog', { name: 'Safety number with keybob' });
  await safety.getByText('keybob is not verified.').waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Mark as verified$/);
  await keys.press('Enter');
  await safety.getByText('You marked keybob as verified.').waitFor({ timeout: UI_TIMEOUT_MS });
  await keys.press('Escape');
  await safety.waitFor({ state: 'detached' });
  await expect(
    async () => (await focusedName(page)) === 'Safety number',
    'focus back on its button',
  );

  // The disappearing-message timer: set by keyboard (arrows choose), then off again.
  for (const [from, key, to] of [
    ['off', 'ArrowDown', '5 minutes'],
    ['5 minutes', 'ArrowUp', 'off'],
  ] as const) {
    await tabTo(page, new RegExp(`^Disappearing messages: ${from}$`), true);
    await keys.press('Enter');
    const timer = page.getByRole('dialog', { name: 'Disappearing messages' });
    await timer.waitFor({ timeout: UI_TIMEOUT_MS });
    await tabTo(page, /^Off$|^5 minutes$/);
    await keys.press(key);
    await tabTo(page, /^Set timer$/);
    await keys.press('Enter');
    await timer.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await page
      .getByRole('button', { name: `Disappearing messages: ${to}` })
      .waitFor({ timeout: UI_TIMEOUT_MS });
  }
  await page
    .getByRole('feed')
    .getByText('You set disappearing messages to 5 minutes.')
    .waitFor({ timeout: UI_TIMEOUT_MS });

  // A group, by keyboard.
  await tabTo(page, /^New group$/, true);
  await keys.press('Enter');
  await page.getByRole('dialog', { name: 'New group' }).waitFor();
  await keys.type('Keyboard club');
  await tabTo(page, /^Members$/);
  await keys.type('keybob');
  await keys.press('Enter');
  await page
    .getByRole('heading', { level: 2, name: 'Keyboard club' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Message to Keyboard club$/);
  await keys.type('hello club');
  await keys.press('Enter');
  await expectMessage(page, 'hello club');

  // Back to the person, from the conversation list.
  await tabTo(page, /^keybob/, true);
  await keys.press('Enter');
  await page.getByRole('heading', { level: 2, name: 'keybob' }).waitFor({ timeout: UI_TIMEOUT_MS });

  // Settings: the dark theme, with the arrow keys.
  await tabTo(page, /^Settings$/, true);
  await keys.press('Enter');
  await page
    .getByRole('heading', { level: 2, name: 'Settings' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
  await tabTo(page, /^Same as the system$/);
  await keys.press('ArrowDown');
  await keys.press('ArrowDown');
  await expect(
    async () => (await page.evaluate(() => document.documentElement.dataset['theme'])) === 'dark',
    'the dark theme',
  );
  await tabTo(page, /^Send read receipts$/);
  await keys.press('Space');
  await expect(
    async () => !(await page.getByRole('switch', { name: 'Send read receipts' }).isChecked()),
    'read receipts off',
  );

  assert.deepEqual(kim.problems.list, []);
  assert.deepEqual(bob.problems.list, []);
});
