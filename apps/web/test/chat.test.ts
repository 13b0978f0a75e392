/**
 * Two people, each in a browser profile of their own, register on the relay that serves the
 * page and chat both ways, live: messages, delivery and read states, the conversation list.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { expect } from './expect.js';
import { expectMessage, openConversation, register, send, startChat, waitOnline } from './flows.js';
import { ensureWebBuild, launchBrowser, openUser, startServer, type Server } from './harness.js';

let server: Server;
let browser: Browser;

before(async () => {
  server = await startServer({ webDir: await ensureWebBuild() });
  browser = await launchBrowser();
});

after(async () => {
  await (browser as Browser | undefined)?.close();
  await (server as Server | undefined)?.stop();
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
