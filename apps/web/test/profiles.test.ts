/**
 * Profiles and typing indicators between the web client and the `parley` command on one relay:
 * a CLI contact's name and avatar show in the conversation list, the header (with the username
 * beside the name) and as a group sender, and a change reaches the page without a reload; the
 * web user's name and picture, set in Settings, stay after a reload and reach the CLI; a hostile
 * name is shown as bounded text only; typing shows in the page when the CLI types, reaches the
 * CLI when the web user types with indicators on, and is never sent while they are off.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  MAX_AVATAR_BYTES,
  MAX_PROFILE_NAME_CHARS,
  PROFILE_REFRESH_MS,
} from '../src/engine/limits.js';
import { axeViolations } from './a11y.js';
import { parleyOk, receiveEvents, receiveUntil, type CliEvent } from './cli-process.js';
import { png } from './png.js';
import { expect } from './expect.js';
import {
  createGroup,
  expectMessage,
  message,
  register,
  send,
  startChat,
  waitOnline,
  UI_TIMEOUT_MS,
} from './flows.js';
import { openUser, type Server, withServerAndBrowser } from './harness.js';

let server: Server;
let browser: Browser;
let homes: string;

withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
  homes = mkdtempSync(join(tmpdir(), 'parley-web-profiles-'));
});

/** Every `parley --json receive` event until one satisfies `wanted` (that one included). */
const cliReceive = (home: string, wanted: (e: CliEvent) => boolean): Promise<CliEvent[]> =>
  receiveEvents(server.base, home, wanted);

/** An opaque RGB PNG `width` × `height`, written to `path`. */
function writePng(path: string, width: number, height: number): string {
  writeFileSync(path, png(width, height));
  return path;
}

const list = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
const header = (page: Page) => page.locator('.conversation-header');

/** The src of the avatar image inside `scope` once it has loaded (a decoded blob: image). */
async function avatarSrc(scope: ReturnType<Page['locator']>): Promise<string> {
  const img = scope.locator('img.avatar').first();
  await img.waitFor({ timeout: UI_TIMEOUT_MS });
  await expect(
    () =>
      img.evaluate(
        (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
      ),
    'the avatar to decode',
  );
  return (await img.getAttribute('src')) ?? '';
}

test(
  'a CLI contact’s name and avatar show in the list, the header and as a group sender; a change arrives without a reload',
  { timeout: 600_000 },
  async () => {
    const bobHome = join(homes, 'bob');
    await parleyOk(server.base, bobHome, 'register', 'pbob');
    const avatar = writePng(join(homes, 'bob.png'), 64, 64);
    await parleyOk(
      server.base,
      bobHome,
      'profile',
      'set',
      '--name',
      'Bob Builder',
      '--avatar',
      avatar,
    );
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'pweb');
    await waitOnline(page);
    await startChat(page, 'pbob');
    await send(page, 'hi bob');
    await receiveUntil(server.base, bobHome, /hi bob/);
    // Bob's first message carries his profile key; the engine reads his profile then.
    await parleyOk(server.base, bobHome, 'send', 'pweb', 'hello from bob');
    await expectMessage(page, 'hello from bob');

    const item = list(page).getByRole('button', { name: /^Bob Builder\b/ });
    await item.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await avatarSrc(item), /^blob:/);
    // The header shows the name, and the username beside it.
    await page
      .getByRole('heading', { level: 2, name: 'Bob Builder (pbob)' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await avatarSrc(header(page)), /^blob:/);
    assert.deepEqual(await axeViolations(page), [], 'axe, with a name and an avatar');
    assert.equal(
      (await message(page, 'hello from bob').first().locator('.sender').textContent())?.trim(),
      'Bob Builder (pbob)',
    );

    // In a group, Bob's messages carry his name as their sender.
    await createGroup(page, 'Builders', 'pbob');
    await receiveUntil(server.base, bobHome, /\[Builders\] pbob joined/);
    await parleyOk(server.base, bobHome, 'send', '--group', 'Builders', 'bob in the group');
    await expectMessage(page, 'bob in the group');
    assert.equal(
      (await message(page, 'bob in the group').first().locator('.sender').textContent())?.trim(),
      'Bob Builder (pbob)',
    );

    // Bob changes his name: his next message brings it to the open page, no reload.
    await parleyOk(server.base, bobHome, 'profile', 'set', '--name', 'Robert');
    await new Promise((r) => setTimeout(r, PROFILE_REFRESH_MS));
    await parleyOk(server.base, bobHome, 'send', 'pweb', 'call me Robert');
    await list(page)
      .getByRole('button', { name: /^Robert\b/ })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(
      await list(page)
        .getByRole('button', { name: /^Bob Builder\b/ })
        .count(),
      0,
    );
    assert.deepEqual(web.problems.list, []);
  },
);

test(
  'the web user sets a name and picture in Settings: kept after a reload, seen by the CLI',
  { timeout: 600_000 },
  async () => {
    const carolHome = join(homes, 'carol');
    await parleyOk(server.base, carolHome, 'register', 'pcarol');
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'pwendy');
    await waitOnline(page);

    await page.getByRole('button', { name: 'Settings' }).click();
    const name = page.getByRole('textbox', { name: 'Display name' });
    await name.waitFor({ timeout: UI_TIMEOUT_MS });
    await name.fill('Wendy Web');
    // A large photo: the engine makes it a small JPEG.
    await page.locator('#profile-avatar').setInputFiles(writePng(join(homes, 'w.png'), 1200, 900));
    await page
      .getByRole('img', { name: 'Your profile picture' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved' }).waitFor({
      timeout: UI_TIMEOUT_MS,
    });

    await page.reload();
    await waitOnline(page);
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(
      async () =>
        (await page.getByRole('textbox', { name: 'Display name' }).inputValue()) === 'Wendy Web',
      'the saved name after a reload',
    );
    const picture = page.getByRole('img', { name: 'Your profile picture' });
    await picture.waitFor({ timeout: UI_TIMEOUT_MS });

    // Carol hears from Wendy (the message carries Wendy's profile key): the CLI shows the name.
    await page.getByRole('button', { name: 'Chats' }).click();
    await startChat(page, 'pcarol');
    await send(page, 'hello carol');
    const events = await cliReceive(carolHome, (e) => e.message?.['text'] === 'hello carol');
    const hello = events.find((e) => e.message?.['text'] === 'hello carol');
    assert.equal(hello?.['senderName'], 'Wendy Web');
    const shown = JSON.parse(
      await parleyOk(server.base, carolHome, '--json', 'profile', 'show', 'pwendy'),
    ) as { name?: string; avatar?: { contentType: string; bytes: number } };
    assert.equal(shown.name, 'Wendy Web');
    assert.equal(shown.avatar?.contentType, 'image/jpeg');
    assert.ok(shown.avatar.bytes > 0 && shown.avatar.bytes <= MAX_AVATAR_BYTES);

    // An empty name is refused with the form's error, and nothing changes. (The editor has
    // read the saved profile first, so the blank name is what Save sends.)
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(
      async () =>
        (await page.getByRole('textbox', { name: 'Display name' }).inputValue()) === 'Wendy Web',
      'the saved name shown again in Settings',
    );
    await page.getByRole('textbox', { name: 'Display name' }).fill('   ');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('alert').filter({ hasText: /name/ }).waitFor({ timeout: UI_TIMEOUT_MS });
    const again = JSON.parse(
      await parleyOk(server.base, carolHome, '--json', 'profile', 'show', 'pwendy'),
    ) as { name?: string };
    assert.equal(again.name, 'Wendy Web');
    assert.deepEqual(web.problems.list, []);
  },
);

test(
  'a hostile display name shows as bounded text, without markup or bidi overrides, beside the username',
  { timeout: 600_000 },
  async () => {
    const malHome = join(homes, 'mal');
    await parleyOk(server.base, malHome, 'register', 'pmal');
    // Markup, a right-to-left override, and as long as the SDK allows, with no space to wrap.
    const hostile = `<img src=x onerror="window.pwned=1"><b>x</b>\u202e${'W'.repeat(64)}`.slice(
      0,
      MAX_PROFILE_NAME_CHARS,
    );
    await parleyOk(server.base, malHome, 'profile', 'set', '--name', hostile);
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'pvictim');
    await waitOnline(page);
    await startChat(page, 'pmal');
    await send(page, 'who are you');
    await receiveUntil(server.base, malHome, /who are you/);
    await parleyOk(server.base, malHome, 'send', 'pvictim', 'trust me');
    await expectMessage(page, 'trust me');

    const shownName = hostile.replace('\u202e', '');
    const title = page.locator('#conversation-title');
    await expect(
      async () =>
        ((await title.textContent()) ?? '').includes('(pmal)') &&
        ((await title.textContent()) ?? '').startsWith('<img'),
      'the hostile name in the header',
    );
    assert.equal(await title.textContent(), `${shownName} (pmal)`);
    // Text only: no element came from the name, no script ran.
    assert.equal(await title.locator('img, b').count(), 0);
    assert.equal(await list(page).locator('.title b, .title img:not(.avatar)').count(), 0);
    assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined);
    // Bounded: the list item and the header stay within their boxes.
    const fits = (selector: string) =>
      page.evaluate((s) => {
        const el = document.querySelector(s);
        return el !== null && el.scrollWidth <= el.clientWidth + 1;
      }, selector);
    assert.ok(await fits('.sidebar'), 'the list does not overflow');
    assert.ok(await fits('.conversation-header'), 'the header does not overflow');
    assert.deepEqual(web.problems.list, []);
  },
);

test(
  'typing: the CLI’s shows in the page and goes after 15 s; the web user’s reaches the CLI only when on',
  { timeout: 600_000 },
  async () => {
    const danHome = join(homes, 'dan');
    await parleyOk(server.base, danHome, 'register', 'pdan');
    await parleyOk(server.base, danHome, 'settings', 'typing', 'on');
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'ptina');
    await waitOnline(page);
    await startChat(page, 'pdan');

    // Off (the default): typing sends nothing; the message after it arrives alone.
    const box = page.getByRole('textbox', { name: /^Message to / });
    await box.pressSequentially('not telling', { delay: 20 });
    await box.press('Enter');
    const quiet = await cliReceive(danHome, (e) => e.message?.['text'] === 'not telling');
    assert.deepEqual(
      quiet.filter((e) => e.type === 'typing'),
      [],
    );

    // On: typing reaches the CLI before the message.
    await page.getByRole('button', { name: 'Settings' }).click();
    const toggle = page.getByRole('switch', { name: 'Typing indicators' });
    await toggle.waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText('Typing indicators', { exact: true }).click();
    await expect(async () => await toggle.isChecked(), 'typing indicators on');
    await page.getByRole('button', { name: 'Chats' }).click();
    await list(page)
      .getByRole('button', { name: /^pdan\b/ })
      .click();
    await box.pressSequentially('now you see', { delay: 20 });
    await box.press('Enter');
    const seen = await cliReceive(danHome, (e) => e.message?.['text'] === 'now you see');
    const typing = seen.find((e) => e.type === 'typing');
    assert.equal(typing?.['from'], 'ptina');
    assert.equal(typing['started'], true);

    // The CLI types: the page says so in its polite live region, and stops after the SDK's 15 s.
    await parleyOk(server.base, danHome, 'typing', 'ptina');
    const region = page.locator('.typing[aria-live="polite"]');
    await expect(
      async () => (await region.textContent()) === 'pdan is typing…',
      'the typing indicator',
    );
    const shownAt = Date.now();
    assert.deepEqual(await axeViolations(page), [], 'axe, with the typing indicator');
    await expect(async () => (await region.textContent()) === '', 'the indicator to go');
    const shownFor = Date.now() - shownAt;
    assert.ok(shownFor > 5_000 && shownFor < 25_000, `shown for ${String(shownFor)} ms`);
    assert.deepEqual(web.problems.list, []);
  },
);
