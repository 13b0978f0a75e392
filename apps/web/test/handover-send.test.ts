/**
 * A send cut off by the engine's hand-over: one tab sends while another tab's worker is the
 * engine, and that tab is closed at once, so the request dies with its engine (before the
 * store, or after). The sending tab retries with the new engine, which sends only if the old
 * one had not stored the message: every message shows exactly once on both sides, none is
 * lost, and no error reaches the person.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expect } from './expect.js';
import { openConversation, register, send, startChat, waitOnline, UI_TIMEOUT_MS } from './flows.js';
import {
  openTab,
  openUser,
  wholeTimeline,
  type PageProblems,
  type Server,
  withServerAndBrowser,
} from './harness.js';

const ROUNDS = 4;

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const leads = async (page: Page): Promise<boolean> =>
  (await page.evaluate(() => document.documentElement.dataset['leader'])) === 'true';

test(
  'a send cut off by the hand-over shows once and arrives once',
  { timeout: 600_000 },
  async () => {
    const alice = await openUser(browser, server.base);
    const bob = await openUser(browser, server.base);
    await register(alice.page, 'hoalice');
    await register(bob.page, 'hobob');
    await waitOnline(alice.page);
    await startChat(alice.page, 'hobob');

    // The first tab leads; the sender is always another tab.
    assert.ok(await leads(alice.page));
    let leader: { page: Page; problems: PageProblems } = {
      page: alice.page,
      problems: alice.problems,
    };
    const problems: PageProblems[] = [bob.problems];
    const texts: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sender = await openTab(alice);
      problems.push(sender.problems);
      await sender.page.getByText('Signed in as hoalice').waitFor({ timeout: UI_TIMEOUT_MS });
      await openConversation(sender.page, 'hobob');
      assert.equal(await leads(sender.page), false);
      const text = `cut off ${round}`;
      texts.push(text);
      // Send, and close the engine's tab without waiting for anything.
      await send(sender.page, text);
      await leader.page.close();
      await expect(
        async () =>
          (await leads(sender.page)) &&
          (await sender.page.evaluate(() => document.documentElement.dataset['phase'])) === 'ready',
        'the sender tab to lead',
      );
      leader = sender;
    }

    // Exactly once each on alice's side, and each reaches bob once.
    await expect(
      async () =>
        (await wholeTimeline(leader.page, 'd:hobob')).filter((m) => m.direction === 'out').length >=
        ROUNDS,
      'every message stored',
    );
    const ours = (await wholeTimeline(leader.page, 'd:hobob'))
      .filter((m) => m.direction === 'out')
      .map((m) => m.text);
    assert.deepEqual([...ours].sort(), [...texts].sort());
    await expect(
      async () =>
        (await wholeTimeline(bob.page, 'd:hoalice')).filter((m) => m.direction === 'in').length >=
        ROUNDS,
      'bob to receive every message',
      120_000,
    );
    await bob.page.waitForTimeout(2_000);
    const theirs = (await wholeTimeline(bob.page, 'd:hoalice'))
      .filter((m) => m.direction === 'in')
      .map((m) => m.text);
    assert.deepEqual([...theirs].sort(), [...texts].sort());
    // Nothing asked the person to try again.
    assert.equal(
      await leader.page
        .getByRole('alert')
        .filter({ hasText: /Try again/ })
        .count(),
      0,
    );
    for (const p of problems) assert.deepEqual(p.list, []);
  },
);
