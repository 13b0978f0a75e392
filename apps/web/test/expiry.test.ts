/**
 * Disappearing messages between the web client and the `parley` command on one relay: a timer
 * the CLI sets reaches the web page, and a message sent under it shows, then goes when its time
 * is up: from the page, from the web search, from the conversation list and from the browser's
 * store (the engine no longer finds its record, also after a reload).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { directId } from '../src/engine/protocol.js';
import { parleyOk, receiveUntil } from './cli-process.js';
import { expect } from './expect.js';
import {
  createGroup,
  expectMessage,
  openConversation,
  message,
  register,
  send,
  startChat,
  waitOnline,
  UI_TIMEOUT_MS,
} from './flows.js';
import {
  engineRequest,
  openUser,
  wholeTimeline,
  type Server,
  withServerAndBrowser,
} from './harness.js';

/**
 * The timer the CLI sets (seconds). The SDK allows 1 s, but a message must reach the page
 * before its time is up (one that arrives expired is never stored), and this machine is shared
 * and slow: long enough for the page to show it, short enough to wait for.
 */
const TIMER_SECONDS = 20;

let server: Server;
let browser: Browser;
let homes: string;

withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
  homes = mkdtempSync(join(tmpdir(), 'parley-web-expiry-'));
});

async function searchTexts(page: Page, query: string): Promise<string[]> {
  const hits = await engineRequest(page, 'search', { query, limit: 50 });
  return hits.map((h) => h.item.text);
}

/**
 * Whether the engine finds a stored record for message `id`: reacting to it reads the record
 * from the store and refuses a message that is not there (before anything is sent).
 */
async function storeHas(page: Page, conv: string, id: string): Promise<boolean> {
  try {
    await engineRequest(page, 'react', { conv, id, emoji: '👍', remove: true });
    return true;
  } catch (error) {
    assert.match((error as Error).message, /\bINVALID_INPUT\b/);
    return false;
  }
}

test(
  'a message under a timer the CLI set leaves the page, the search and the store when it expires',
  { timeout: 600_000 },
  async () => {
    const bobHome = join(homes, 'bob');
    await parleyOk(server.base, bobHome, 'register', 'xbob');
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'xweb');
    await waitOnline(page);
    await startChat(page, 'xbob');
    const conv = directId('xbob');
    await send(page, 'web says hello');
    await receiveUntil(server.base, bobHome, /xweb: web says hello/);

    await parleyOk(server.base, bobHome, 'timer', 'xweb', `${TIMER_SECONDS}s`);
    const out = await parleyOk(server.base, bobHome, 'send', 'xweb', 'this line disappears');
    const id = out.trim().split('\n').at(-1)?.trim() ?? '';
    assert.match(id, /^[\w-]{8,}$/, out);
    const sentAt = Date.now();

    await expectMessage(page, 'this line disappears');
    // The change shows as a line in the timeline, and in the header.
    await page
      .getByRole('feed')
      .getByText(`xbob set disappearing messages to ${TIMER_SECONDS} seconds.`)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await page
      .getByRole('button', { name: `Disappearing messages: ${TIMER_SECONDS} seconds` })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await searchTexts(page, 'line disappears'), ['this line disappears']);
    assert.equal(await storeHas(page, conv, id), true);
    const searchBox = page.getByRole('searchbox', { name: 'Search messages' });
    await searchBox.fill('line disappears');
    const results = page.getByRole('region', { name: 'Search results' });
    await results.getByText('this line disappears').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.ok(
      Date.now() - sentAt < TIMER_SECONDS * 1000,
      'the check ran before the message expired',
    );

    // Its time runs out: the engine's timer deletes it everywhere, without a reload.
    await message(page, 'this line disappears').waitFor({
      state: 'detached',
      timeout: TIMER_SECONDS * 1000 + UI_TIMEOUT_MS,
    });
    assert.ok(Date.now() - sentAt >= (TIMER_SECONDS - 2) * 1000, 'not gone before its time');
    // The search results on screen drop it too.
    await results
      .getByText('this line disappears')
      .waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await searchBox.fill('');
    await expect(
      async () => !(await page.content()).includes('line disappears'),
      'the expired text to leave the page',
    );
    assert.deepEqual(await searchTexts(page, 'line disappears'), []);
    assert.equal(await storeHas(page, conv, id), false);
    const timeline = await wholeTimeline(page, conv);
    assert.ok(!timeline.some((i) => i.id === id));
    assert.ok(timeline.some((i) => i.text === 'web says hello'));
    const summary = (await engineRequest(page, 'conversations', {})).find((c) => c.id === conv);
    assert.equal(summary?.lastText, 'web says hello');

    // A reload rebuilds everything from the store: still gone.
    await page.reload();
    await waitOnline(page);
    await openConversation(page, 'xbob');
    assert.equal(await storeHas(page, conv, id), false);
    assert.deepEqual(await searchTexts(page, 'line disappears'), []);
    const again = (await engineRequest(page, 'conversations', {})).find((c) => c.id === conv);
    assert.equal(again?.lastText, 'web says hello');

    // The web user sets another timer from the header; the CLI gets the change.
    await page
      .getByRole('button', { name: `Disappearing messages: ${TIMER_SECONDS} seconds` })
      .click({ timeout: UI_TIMEOUT_MS });
    const dialog = page.getByRole('dialog', { name: 'Disappearing messages' });
    await dialog.getByText('1 hour', { exact: true }).click();
    assert.ok(await dialog.getByRole('radio', { name: '1 hour' }).isChecked());
    await dialog.getByRole('button', { name: 'Set timer' }).click();
    await dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await page
      .getByRole('button', { name: 'Disappearing messages: 1 hour' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await page
      .getByRole('feed')
      .getByText('You set disappearing messages to 1 hour.')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await receiveUntil(server.base, bobHome, /xweb set disappearing messages to 1h/);
    assert.match(
      await parleyOk(server.base, bobHome, 'timer', 'xweb'),
      /disappearing messages: 1h/,
    );

    assert.deepEqual(web.problems.list, []);
  },
);

test(
  'in a group: a timer the CLI set expires its message in the web page and store; the web sets one',
  { timeout: 600_000 },
  async () => {
    const daveHome = join(homes, 'dave');
    await parleyOk(server.base, daveHome, 'register', 'vdave');
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'vweb');
    await waitOnline(page);
    await createGroup(page, 'Vanish', 'vdave');
    await receiveUntil(server.base, daveHome, /\[Vanish\] vdave joined, added by vweb/);
    const conv = (await engineRequest(page, 'conversations', {})).find(
      (c) => c.title === 'Vanish',
    )?.id;
    assert.ok(conv !== undefined);

    await parleyOk(server.base, daveHome, 'timer', '--group', 'Vanish', `${TIMER_SECONDS}s`);
    const out = await parleyOk(
      server.base,
      daveHome,
      'send',
      '--group',
      'Vanish',
      'group line vanishes',
    );
    const id = out.trim().split('\n').at(-1)?.trim() ?? '';
    assert.match(id, /^[\w-]{8,}$/, out);
    await expectMessage(page, 'group line vanishes');
    await page
      .getByRole('feed')
      .getByText(`vdave set disappearing messages to ${TIMER_SECONDS} seconds.`)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await searchTexts(page, 'line vanishes'), ['group line vanishes']);

    await message(page, 'group line vanishes').waitFor({
      state: 'detached',
      timeout: TIMER_SECONDS * 1000 + UI_TIMEOUT_MS,
    });
    assert.deepEqual(await searchTexts(page, 'line vanishes'), []);
    assert.equal(await storeHas(page, conv, id), false);
    assert.ok(!(await wholeTimeline(page, conv)).some((i) => i.id === id));

    await page
      .getByRole('button', { name: `Disappearing messages: ${TIMER_SECONDS} seconds` })
      .click({ timeout: UI_TIMEOUT_MS });
    const dialog = page.getByRole('dialog', { name: 'Disappearing messages' });
    await dialog.getByText('5 minutes', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Set timer' }).click();
    await dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await page
      .getByRole('button', { name: 'Disappearing messages: 5 minutes' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await receiveUntil(server.base, daveHome, /vweb set disappearing messages to 5m/);

    assert.deepEqual(web.problems.list, []);
  },
);
