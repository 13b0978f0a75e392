/**
 * Every screen, in the light and the dark theme (and high contrast), at desktop and phone
 * sizes: axe-core reports zero violations, and a screenshot of each is saved under
 * artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, screenshot, type Violation } from './a11y.js';
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
import { DESKTOP, PHONE, openUser, type Server, withServerAndBrowser } from './harness.js';

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const THEMES = ['light', 'dark', 'contrast'] as const;
const found: { screen: string; theme: string; size: string; violation: Violation }[] = [];
let checked = 0;

/** Runs axe on the screen in every theme at both sizes and saves its screenshots. */
async function check(page: Page, screen: string, sizes = [DESKTOP, PHONE]): Promise<void> {
  for (const size of sizes) {
    await page.setViewportSize(size);
    const sizeName = size === PHONE ? 'phone' : 'desktop';
    for (const theme of THEMES) {
      await page.evaluate((t) => {
        document.documentElement.dataset['theme'] = t;
      }, theme);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
      for (const violation of await axeViolations(page))
        found.push({ screen, theme, size: sizeName, violation });
      checked++;
      if (theme !== 'contrast') await screenshot(page, `${screen}-${sizeName}-${theme}`);
    }
  }
  await page.setViewportSize(DESKTOP);
  await page.evaluate(() => {
    delete document.documentElement.dataset['theme'];
  });
}

async function settings(page: Page): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Settings' })
    .click();
  await page
    .getByRole('heading', { level: 2, name: 'Settings' })
    .waitFor({ timeout: UI_TIMEOUT_MS });
}

test(
  'every screen: zero axe violations in light, dark and high contrast, phone and desktop',
  { timeout: 900_000 },
  async () => {
    const alice = await openUser(browser, server.base);
    const bob = await openUser(browser, server.base);
    const linker = await openUser(browser, server.base);

    await check(alice.page, 'welcome-register');
    await alice.page.getByRole('tab', { name: 'Link this browser' }).click();
    await check(alice.page, 'welcome-link');
    await alice.page.getByRole('tab', { name: 'New account' }).click();

    await linker.page.getByRole('tab', { name: 'Link this browser' }).click();
    await linker.page.getByRole('button', { name: 'Show a link code' }).click();
    await linker.page
      .getByRole('img', { name: 'Link code as a QR code' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await check(linker.page, 'linking');

    await register(alice.page, 'axalice');
    await register(bob.page, 'axbob');
    await waitOnline(alice.page);
    await check(alice.page, 'chats-empty');

    await alice.page.getByRole('button', { name: 'New chat' }).click();
    await alice.page
      .getByRole('dialog', { name: 'New chat' })
      .getByRole('textbox', { name: 'Username' })
      .fill('axbob');
    await check(alice.page, 'new-chat', [DESKTOP]);
    await alice.page.keyboard.press('Escape');

    await startChat(alice.page, 'axbob');
    await send(alice.page, 'Hello! Are we still on for the walk on Saturday?');
    await openConversation(bob.page, 'axalice');
    await expectMessage(bob.page, 'Hello! Are we still on for the walk on Saturday?');
    await send(bob.page, 'Yes — meet at the station at nine.');
    await expectMessage(alice.page, 'Yes — meet at the station at nine.');
    await expectMessage(alice.page, 'Hello! Are we still on for the walk on Saturday?', 'Read');
    await check(alice.page, 'conversation');

    // A reply, a reaction, an edit, a delete and a file in one conversation.
    const station = message(alice.page, 'Yes — meet at the station at nine.').first();
    await station.getByRole('button', { name: 'Reply', exact: true }).click();
    await send(alice.page, 'Perfect, see you there.');
    await message(alice.page, 'Perfect, see you there.')
      .getByRole('button', { name: 'Reply to axbob: Yes — meet at the station at nine.' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await station.getByRole('button', { name: 'React', exact: true }).click();
    await station.getByRole('button', { name: 'React with 👍' }).click();
    await station.getByRole('button', { name: '👍 1: you' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const hello = message(alice.page, 'Hello! Are we still on for the walk on Saturday?').first();
    await hello.getByRole('button', { name: 'Edit' }).click();
    const box = alice.page.getByRole('textbox', { name: /^Message to / });
    await box.fill('Hello! Are we still on for the walk on Sunday?');
    await box.press('Enter');
    await message(alice.page, 'walk on Sunday?')
      .getByText('Edited', { exact: true })
      .click({ timeout: UI_TIMEOUT_MS });
    await send(alice.page, 'Sent by mistake');
    await message(alice.page, 'Sent by mistake')
      .getByRole('button', { name: 'Delete' })
      .click({ timeout: UI_TIMEOUT_MS });
    await alice.page
      .getByRole('alertdialog', { name: 'Delete this message for everyone?' })
      .getByRole('button', { name: 'Delete for everyone' })
      .click();
    await alice.page
      .getByRole('feed')
      .getByText('This message was deleted')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await alice.page.getByLabel('Attach files').setInputFiles({
      name: 'route.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('north gate, then the ridge\n'),
    });
    await send(alice.page, 'The route');
    await message(alice.page, 'The route')
      .getByRole('button', { name: /^Download route\.txt/ })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await station.getByRole('button', { name: 'Reply', exact: true }).click();
    await check(alice.page, 'conversation-features');
    await alice.page.getByRole('button', { name: 'Cancel the reply' }).click();

    await alice.page.getByRole('searchbox', { name: 'Search messages' }).fill('station');
    await alice.page
      .getByRole('region', { name: 'Search results' })
      .getByText('1 message found.')
      .waitFor();
    await check(alice.page, 'search');
    await alice.page.getByRole('searchbox', { name: 'Search messages' }).fill('');

    await alice.page.getByRole('button', { name: 'Safety number', exact: true }).click();
    await alice.page
      .getByRole('dialog', { name: 'Safety number with axbob' })
      .getByText('axbob is not verified.')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await check(alice.page, 'safety-number');
    await alice.page.keyboard.press('Escape');

    await alice.page.getByRole('button', { name: 'Disappearing messages: off' }).click();
    await alice.page
      .getByRole('dialog', { name: 'Disappearing messages' })
      .getByText('1 day', { exact: true })
      .click();
    await check(alice.page, 'disappearing-messages');
    await alice.page.keyboard.press('Escape');

    await alice.page.getByRole('button', { name: 'New group' }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'New group' });
    await dialog.getByRole('textbox', { name: 'Group name' }).fill('Walkers');
    await dialog.getByRole('textbox', { name: 'Members' }).fill('axbob');
    await check(alice.page, 'new-group', [DESKTOP]);
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await alice.page
      .getByRole('heading', { level: 2, name: 'Walkers' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await send(alice.page, 'Group for Saturday’s walk');
    await expectMessage(alice.page, 'Group for Saturday’s walk', 'Sent');
    await check(alice.page, 'group');
    await alice.page.getByRole('button', { name: 'Group info' }).click();
    await alice.page
      .getByRole('dialog', { name: 'Walkers' })
      .getByText('2 members')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await check(alice.page, 'group-info');
    await alice.page.keyboard.press('Escape');

    await settings(alice.page);
    await alice.page.getByText(/Device 1 \(this browser\)/).waitFor({ timeout: UI_TIMEOUT_MS });
    await check(alice.page, 'settings');
    await alice.page.getByRole('button', { name: 'Wipe local data' }).click();
    await alice.page.getByRole('alertdialog', { name: 'Wipe local data?' }).waitFor();
    await check(alice.page, 'confirm', [DESKTOP]);
    await alice.page.keyboard.press('Escape');

    // The locked screen: set a passphrase, lock.
    await alice.page.getByLabel('New passphrase', { exact: true }).fill('correct horse battery');
    await alice.page.getByLabel('Repeat the new passphrase').fill('correct horse battery');
    await alice.page.getByRole('button', { name: 'Set passphrase' }).click();
    await alice.page
      .getByText('Passphrase set. Parley asks for it when it opens.')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await alice.page.getByRole('button', { name: 'Lock now' }).click();
    await alice.page
      .getByRole('heading', { level: 1, name: 'Parley is locked' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await check(alice.page, 'locked');

    // The key-change warning (bob re-registers).
    await settings(bob.page);
    await bob.page.getByRole('button', { name: 'Delete account' }).click();
    await bob.page
      .getByRole('alertdialog', { name: 'Delete your account?' })
      .getByRole('button', { name: 'Delete account' })
      .click();
    await register(bob.page, 'axbob');
    await alice.page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery');
    await alice.page.getByRole('button', { name: 'Unlock' }).click();
    await alice.page.getByText('Signed in as axalice').waitFor({ timeout: UI_TIMEOUT_MS });
    await openConversation(alice.page, 'axbob');
    await alice.page
      .getByRole('alert')
      .filter({ hasText: 'axbob’s safety number changed' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await check(alice.page, 'key-changed');

    const summary = found.map(
      (f) =>
        `${f.screen} ${f.size} ${f.theme}: ${f.violation.id} (${f.violation.impact ?? ''}) ${f.violation.help} at ${f.violation.targets.join(', ')}`,
    );
    console.log(`axe: ${checked} checks, ${found.length} violations`);
    assert.deepEqual(summary, []);
    assert.ok(checked >= 40);
    assert.deepEqual(alice.problems.list, []);
    assert.deepEqual(bob.problems.list, []);
  },
);
