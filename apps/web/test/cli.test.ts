/**
 * The web client and the `parley` command on one relay: a browser and the CLI chat both ways,
 * and a group of a browser, the CLI and a second browser, with members added and removed —
 * every change shown in the browsers with who made it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { parleyOk, receiveUntil } from './cli-process.js';
import {
  createGroup,
  expectMessage,
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
let homes: string;

withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
  homes = mkdtempSync(join(tmpdir(), 'parley-web-cli-'));
});

test('a browser and the CLI chat both ways', { timeout: 300_000 }, async () => {
  const cliHome = join(homes, 'bob');
  await parleyOk(server.base, cliHome, 'register', 'termbob');
  const alice = await openUser(browser, server.base);
  await register(alice.page, 'webalice');
  await waitOnline(alice.page);

  await startChat(alice.page, 'termbob');
  await send(alice.page, 'hello from the browser');
  await receiveUntil(server.base, cliHome, /webalice: hello from the browser/);
  // `receive` printed it, so the CLI sent a read receipt.
  await expectMessage(alice.page, 'hello from the browser', 'Read');

  await parleyOk(server.base, cliHome, 'send', 'webalice', 'hello from the terminal');
  await expectMessage(alice.page, 'hello from the terminal');
  assert.deepEqual(alice.problems.list, []);
});

test(
  'a group of a browser, the CLI and a second browser: add and remove',
  { timeout: 600_000 },
  async () => {
    const frankHome = join(homes, 'frank');
    await parleyOk(server.base, frankHome, 'register', 'frank');
    const alice = await openUser(browser, server.base);
    const erin = await openUser(browser, server.base);
    await register(alice.page, 'galice');
    await register(erin.page, 'gerin');
    await waitOnline(alice.page);
    await waitOnline(erin.page);

    // alice creates the group with frank (CLI).
    await createGroup(alice.page, 'Book club', 'frank');
    await alice.page
      .getByText('You created the group “Book club”.')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await receiveUntil(server.base, frankHome, /\[Book club\] frank joined, added by galice/);

    // frank writes from the terminal; alice reads it.
    await parleyOk(server.base, frankHome, 'send', '--group', 'Book club', 'hi from the terminal');
    await expectMessage(alice.page, 'hi from the terminal');

    // alice adds erin (a second browser): erin sees the group, who added her, and writes.
    await alice.page.getByRole('button', { name: 'Group info' }).click();
    const info = alice.page.getByRole('dialog', { name: 'Book club' });
    await info.getByRole('textbox', { name: 'Add people' }).fill('gerin');
    await info.getByRole('button', { name: 'Add', exact: true }).click();
    await info.getByText('gerin, 1 device').waitFor({ timeout: UI_TIMEOUT_MS });
    await info.getByRole('button', { name: 'Close' }).click();
    await alice.page.getByText('You added gerin.').waitFor({ timeout: UI_TIMEOUT_MS });
    await openConversation(erin.page, 'Book club');
    await erin.page.getByText('galice added you to the group.').waitFor({ timeout: UI_TIMEOUT_MS });
    await send(erin.page, 'erin is here');
    await expectMessage(alice.page, 'erin is here');
    await receiveUntil(server.base, frankHome, /\[Book club\] gerin: erin is here/);

    // alice removes frank: everyone's timeline says so; frank no longer gets the group's messages.
    await alice.page.getByRole('button', { name: 'Group info' }).click();
    await info.getByRole('button', { name: 'Remove frank' }).click();
    await info.getByText('2 members').waitFor({ timeout: UI_TIMEOUT_MS });
    await info.getByRole('button', { name: 'Close' }).click();
    await alice.page.getByText('You removed frank.').waitFor({ timeout: UI_TIMEOUT_MS });
    await erin.page.getByText('galice removed frank.').waitFor({ timeout: UI_TIMEOUT_MS });
    await receiveUntil(server.base, frankHome, /\[Book club\] galice removed frank/);
    await send(alice.page, 'frank has left us');
    await expectMessage(erin.page, 'frank has left us');
    const after = await parleyOk(server.base, frankHome, 'receive', '--wait', '3');
    assert.ok(!after.includes('frank has left us'), after);

    assert.deepEqual(alice.problems.list, []);
    assert.deepEqual(erin.problems.list, []);
  },
);
