/**
 * Two people, each in a browser profile of their own, register on the relay that serves the
 * page and chat both ways, live: messages, delivery and read states, the conversation list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { expect } from './expect.js';
import { expectMessage, openConversation, register, send, startChat, waitOnline } from './flows.js';
import { openUser, type Server, withServerAndBrowser } from './harness.js';

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

test('two browser users register and chat both ways', { timeout: 300_000 }, async () => {
  const alice = await openUser(browser, server.base);
  const bob = await openUser(browser, server.base);
  await register(alice.page, 'alice');
  await register(bob.page, 'bob');
  await waitOnline(alice.page);
  await waitOnline(bob.page);

  await startChat(alice.page, 'bob');
  await send(alice.page, 'Hello Bob, this is Alice');
  await expectMessage(alice.page, 'Hello Bob, this is Alice');

  // Bob sees the conversation appear with one unread message, then opens it.
  const bobList = bob.page.getByRole('navigation', { name: 'Conversations' });
  await expect(
    async () =>
      (await bobList.getByRole('button', { name: /^alice\b/ }).textContent())?.includes(
        '1 unread',
      ) ?? false,
    'an unread count on bob’s conversation with alice',
  );
  await openConversation(bob.page, 'alice');
  await expectMessage(bob.page, 'Hello Bob, this is Alice');

  // Bob read it: Alice's message shows Read.
  await expectMessage(alice.page, 'Hello Bob, this is Alice', 'Read');

  await send(bob.page, 'Hi Alice! Got it.');
  await expectMessage(alice.page, 'Hi Alice! Got it.');
  await expectMessage(bob.page, 'Hi Alice! Got it.', 'Read');

  assert.deepEqual(alice.problems.list, []);
  assert.deepEqual(bob.problems.list, []);
});

test(
  'reload keeps keys and history; search finds a substring of an old message',
  { timeout: 300_000 },
  async () => {
    const carol = await openUser(browser, server.base);
    const dave = await openUser(browser, server.base);
    await register(carol.page, 'carol');
    await register(dave.page, 'dave');
    await waitOnline(carol.page);
    await startChat(carol.page, 'dave');
    await send(carol.page, 'The marmalade recipe needs Seville oranges');
    await expectMessage(carol.page, 'The marmalade recipe needs Seville oranges', 'Delivered');
    for (let i = 0; i < 5; i++) await send(carol.page, `filler message ${i}`);
    await expectMessage(carol.page, 'filler message 4');

    // Reload both: the same account, the same conversation and history, and it still works.
    await carol.page.reload();
    await dave.page.reload();
    await carol.page.getByText('Signed in as carol').waitFor();
    await dave.page.getByText('Signed in as dave').waitFor();
    await openConversation(carol.page, 'dave');
    await expectMessage(carol.page, 'The marmalade recipe needs Seville oranges');
    await openConversation(dave.page, 'carol');
    await expectMessage(dave.page, 'filler message 4');
    await send(dave.page, 'after the reload');
    await expectMessage(carol.page, 'after the reload');

    // Search: a substring from the middle of a word, in any case.
    const search = carol.page.getByRole('searchbox', { name: 'Search messages' });
    await search.fill('ARMALAD');
    const results = carol.page.getByRole('region', { name: 'Search results' });
    await results.getByText('1 message found.').waitFor();
    await results.getByRole('button', { name: /marmalade recipe/ }).click();
    await carol.page.getByRole('heading', { level: 2, name: 'dave' }).waitFor();
    await search.fill('no such words anywhere');
    await results.getByText('No messages found.').waitFor();

    assert.deepEqual(carol.problems.list, []);
    assert.deepEqual(dave.problems.list, []);
  },
);
