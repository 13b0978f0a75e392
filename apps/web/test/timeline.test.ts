/**
 * The timeline across opens: a conversation longer than a page opens at its newest message
 * (scrolled to the end), scrolling to the top loads the older pages, switching to another
 * conversation and back starts at the newest again, and a conversation without messages says so
 * (and has no feed). A conversation opened before draws from the page's memory at once, with what
 * changed while it was closed (an edit, a deletion, a new message), before the engine answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { FIRST_ROWS, PAGE_SIZE } from '../src/ui/app-state.js';
import { expect } from './expect.js';
import { tabTo } from './keyboard.js';
import {
  message,
  openConversation,
  register,
  startChat,
  UI_TIMEOUT_MS,
  waitOnline,
} from './flows.js';
import {
  engineRequest,
  openUser,
  type Server,
  wholeTimeline,
  withServerAndBrowser,
} from './harness.js';

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

    // Opened from another conversation: at the newest, scrolled to the end. The page's older
    // items are not drawn on the way (the list would draw its top rows first, then scroll).
    await alice.page.evaluate(() => {
      const w = window as unknown as { drawnFrom: number };
      w.drawnFrom = Infinity;
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of r.addedNodes)
            if (n instanceof Element)
              for (const a of n.matches('article') ? [n] : n.querySelectorAll('article'))
                w.drawnFrom = Math.min(w.drawnFrom, Number(a.getAttribute('aria-posinset')));
      }).observe(document.body, { childList: true, subtree: true });
    });
    await openConversation(alice.page, 'bob');
    await expect(() => atNewest(alice.page, newest), 'bob’s conversation opens at its newest');
    assert.equal(await alice.page.getByText('No messages yet. Say hello.').count(), 0);
    const drawnFrom = await alice.page.evaluate(
      () => (window as unknown as { drawnFrom: number }).drawnFrom,
    );
    assert.ok(drawnFrom > PAGE_SIZE - FIRST_ROWS, `message ${drawnFrom} of the page drawn`);
    // Positions count the whole page, drawn or not.
    const positions = (): Promise<number[]> =>
      alice.page
        .locator('article')
        .evaluateAll((all) => all.map((a) => Number(a.getAttribute('aria-posinset'))));
    assert.equal(Math.max(...(await positions())), PAGE_SIZE);

    // Page Up from the newest reaches the messages held back, one at a time.
    await alice.page.getByRole('textbox', { name: /^Message to / }).focus();
    await tabTo(alice.page, /^You /, true);
    const focused = (): Promise<number> =>
      alice.page.evaluate(() => Number(document.activeElement?.getAttribute('aria-posinset')));
    assert.equal(await focused(), PAGE_SIZE);
    for (let pos = PAGE_SIZE - 1; pos >= PAGE_SIZE - FIRST_ROWS - 1; pos--) {
      await alice.page.keyboard.press('PageUp');
      await expect(async () => (await focused()) === pos, `Page Up to message ${pos}`);
    }

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

    // Focusing the topmost drawn message from script scrolls the list, which moves that row in
    // the page as it draws the rows above (a moved element loses the focus): it stays on it.
    await alice.page.evaluate(() => {
      const feed = document.querySelector<HTMLElement>('[role="feed"]');
      if (feed !== null) feed.scrollTop = 260;
    });
    // (Longer than FOCUS_PRESS_MS after the click that opened it.)
    await alice.page.waitForTimeout(600);
    const top = await alice.page.evaluate(() => {
      const drawn = [...document.querySelectorAll<HTMLElement>('[role="feed"] article')];
      drawn.sort(
        (x, y) => Number(x.getAttribute('aria-posinset')) - Number(y.getAttribute('aria-posinset')),
      );
      const a = drawn[0];
      a?.focus();
      return a?.getAttribute('aria-labelledby') ?? '';
    });
    assert.notEqual(top, '');
    const focusedId = (): Promise<string | null | undefined> =>
      alice.page.evaluate(() => document.activeElement?.getAttribute('aria-labelledby'));
    await alice.page.waitForTimeout(1000);
    const drawnAbove = await alice.page.evaluate((id) => {
      const mine = document.getElementById(id)?.closest('article');
      const pos = Number(mine?.getAttribute('aria-posinset') ?? '0');
      return [...document.querySelectorAll('[role="feed"] article')].filter(
        (a) => Number(a.getAttribute('aria-posinset')) < pos,
      ).length;
    }, top);
    assert.ok(drawnAbove > 0, 'rows above the focused message drawn');
    assert.equal(await focusedId(), top, 'the focus stays on the message');

    assert.deepEqual(alice.problems.list, []);
  },
);

/** Keeps the page's timeline requests from reaching the engine (counted in `heldTimelines`). */
async function holdTimelineRequests(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { heldTimelines: number };
    w.heldTimelines = 0;
    const proto = BroadcastChannel.prototype;
    const post = Object.getOwnPropertyDescriptor(proto, 'postMessage')?.value as (
      this: BroadcastChannel,
      m: unknown,
    ) => void;
    proto.postMessage = function (this: BroadcastChannel, m: unknown) {
      const r = m as { kind?: string; request?: { type?: string } };
      if (r.kind === 'request' && r.request?.type === 'timeline') w.heldTimelines++;
      else post.call(this, m);
    };
  });
}

test(
  'a conversation opened again shows what changed while it was closed, before the engine answers',
  { timeout: 300_000 },
  async () => {
    const dave = await openUser(browser, server.base);
    const erin = await openUser(browser, server.base);
    const fay = await openUser(browser, server.base);
    await register(dave.page, 'dave');
    await register(erin.page, 'erin');
    await register(fay.page, 'fay');
    await waitOnline(dave.page);
    await startChat(dave.page, 'erin');
    for (const text of ['keep me', 'edit me', 'delete me'])
      await engineRequest(dave.page, 'send', { conv: 'd:erin', text });
    await message(dave.page, 'delete me').waitFor({ timeout: UI_TIMEOUT_MS });
    const ids = new Map((await wholeTimeline(dave.page, 'd:erin')).map((i) => [i.text, i.id]));

    // Closed (another one open); then changed (the engine tells every tab, as for another
    // tab's change).
    await startChat(dave.page, 'fay');
    await dave.page.getByText('No messages yet. Say hello.').waitFor({ timeout: UI_TIMEOUT_MS });
    await engineRequest(dave.page, 'edit', {
      conv: 'd:erin',
      id: ids.get('edit me') ?? '',
      text: 'edited while closed',
    });
    await engineRequest(dave.page, 'deleteMessage', {
      conv: 'd:erin',
      id: ids.get('delete me') ?? '',
    });
    await engineRequest(dave.page, 'send', { conv: 'd:erin', text: 'new while closed' });
    // The list's last message comes after the items it follows, so all of them are in.
    await dave.page
      .getByRole('navigation', { name: 'Conversations' })
      .getByText('new while closed')
      .waitFor({ timeout: UI_TIMEOUT_MS });

    await holdTimelineRequests(dave.page);
    await openConversation(dave.page, 'erin');
    await message(dave.page, 'new while closed').waitFor({ timeout: UI_TIMEOUT_MS });
    await message(dave.page, 'edited while closed').waitFor({ timeout: UI_TIMEOUT_MS });
    await message(dave.page, 'keep me').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await message(dave.page, 'delete me').count(), 0);
    assert.equal(await dave.page.getByRole('feed').getByRole('article').count(), 4);
    assert.ok(
      await dave.page.evaluate(
        () => (window as unknown as { heldTimelines: number }).heldTimelines > 0,
      ),
      'the engine was not asked: the page came from memory',
    );
    assert.deepEqual(dave.problems.list, []);
  },
);

test(
  'a conversation pointed at is asked for ahead of the click, and a message after that shows',
  { timeout: 300_000 },
  async () => {
    const gil = await openUser(browser, server.base);
    const hal = await openUser(browser, server.base);
    await register(gil.page, 'gil');
    await register(hal.page, 'hal');
    await waitOnline(gil.page);
    await waitOnline(hal.page);
    // Hal writes first: the conversation is in Gil's list, never opened in Gil's tab.
    await startChat(hal.page, 'gil');
    await engineRequest(hal.page, 'send', { conv: 'd:gil', text: 'before the pointer' });
    const list = gil.page.getByRole('navigation', { name: 'Conversations' });
    await list.getByText('before the pointer').waitFor({ timeout: UI_TIMEOUT_MS });

    // Count the tab's timeline requests (passed on to the engine).
    await gil.page.evaluate(() => {
      const w = window as unknown as { timelines: number };
      w.timelines = 0;
      const proto = BroadcastChannel.prototype;
      const post = Object.getOwnPropertyDescriptor(proto, 'postMessage')?.value as (
        this: BroadcastChannel,
        m: unknown,
      ) => void;
      proto.postMessage = function (this: BroadcastChannel, m: unknown) {
        const r = m as { kind?: string; request?: { type?: string } };
        if (r.kind === 'request' && r.request?.type === 'timeline') w.timelines++;
        post.call(this, m);
      };
    });
    const row = list.getByRole('button', { name: /^hal\b/ });
    await row.hover();
    await gil.page.waitForFunction(
      () => (window as unknown as { timelines: number }).timelines > 0,
      null,
      { timeout: UI_TIMEOUT_MS },
    );
    // Time for the answer to come back (the page keeps it).
    await gil.page.waitForTimeout(1000);

    // A new message after the page was fetched ahead: it joins the kept page.
    await engineRequest(hal.page, 'send', { conv: 'd:gil', text: 'after the pointer' });
    await list.getByText('after the pointer').waitFor({ timeout: UI_TIMEOUT_MS });

    // The engine answers no more pages: the open draws from what the pointer fetched.
    await holdTimelineRequests(gil.page);
    await row.click();
    await message(gil.page, 'before the pointer').waitFor({ timeout: UI_TIMEOUT_MS });
    await message(gil.page, 'after the pointer').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await gil.page.getByRole('feed').getByRole('article').count(), 2);
    assert.deepEqual(gil.problems.list, []);
  },
);
