/**
 * The timeline across opens: a conversation longer than a page opens at its newest message
 * (scrolled to the end), scrolling to the top loads the older pages, switching to another
 * conversation and back starts at the newest again, and a conversation without messages says so
 * (and has no feed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { PAGE_SIZE } from '../src/ui/app-state.js';
import { expect } from './expect.js';
import {
  message,
  openConversation,
  register,
  startChat,
  UI_TIMEOUT_MS,
  waitOnline,
} from './flows.js';
import { engineRequest, openUser, type Server, withServerAndBrowser } from './harness.js';

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** More than a page, so the newest page is not the whole history. */
const SENT = PAGE_SIZE + 15;

/** True when the feed is scrolled to its end and its newest article is on screen. */
async function atNewest(page: Page, text: string): Promise<boolean> {
  return page.evaluate((newest) => {
    const feed = document.querySelector<HTMLElement>('[role="feed"]');
    if (feed === null) return false;
    const articles = [...feed.querySelectorAll('article')];
    const last = articles.find((a) => a.textContent.includes(newest));
    if (last === undefined) return false;
    const box = last.getBoundingClientRect();
    const view = feed.getBoundingClientRect();
    const end = feed.scrollTop + feed.clientHeight >= feed.scrollHeight - 8;
    return end && box.bottom <= view.bottom + 1 && box.top >= view.top - 1;
  }, text);
}

test(
  'a long conversation opens at its newest, loads older on scroll, and again after a switch',
  {
    timeout: 300_000,
  },
  async () => {
    const alice = await openUser(browser, server.base);
    const bob = await openUser(browser, server.base);
    const carol = await openUser(browser, server.base);
    await register(alice.page, 'alice');
    await register(bob.page, 'bob');
    await register(carol.page, 'carol');
    await waitOnline(alice.page);

    await startChat(alice.page, 'bob');
    for (let n = 0; n < SENT; n++)
      await engineRequest(alice.page, 'send', { conv: 'd:bob', text: `line ${n} of the story` });
    const newest = `line ${SENT - 1} of the story`;
    await message(alice.page, newest).waitFor({ timeout: UI_TIMEOUT_MS });

    // A conversation with nothing in it: the hint, and no feed.
    await startChat(alice.page, 'carol');
    await alice.page.getByText('No messages yet. Say hello.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await alice.page.getByRole('feed').count(), 0);

    // Opened from another conversation: at the newest, scrolled to the end.
    await openConversation(alice.page, 'bob');
    await expect(() => atNewest(alice.page, newest), 'bob’s conversation opens at its newest');
    assert.equal(await alice.page.getByText('No messages yet. Say hello.').count(), 0);

    // Scrolling to the top loads the older pages, down to the first message.
    await expect(async () => {
      await alice.page.evaluate(() => {
        const feed = document.querySelector<HTMLElement>('[role="feed"]');
        if (feed !== null) feed.scrollTop = 0;
      });
      return (await message(alice.page, 'line 0 of the story').count()) === 1;
    }, 'the oldest message after scrolling up');

    // Away and back: the newest again, not where the scrolling left it.
    await openConversation(alice.page, 'carol');
    await alice.page.getByText('No messages yet. Say hello.').waitFor({ timeout: UI_TIMEOUT_MS });
    await openConversation(alice.page, 'bob');
    await expect(() => atNewest(alice.page, newest), 'bob’s conversation at its newest again');

    assert.deepEqual(alice.problems.list, []);
  },
);
