/**
 * The relay stops and starts again mid-conversation (SQLite on disk, same address): both
 * browsers show the connection going and coming back, a message written while it was down is
 * shown queued, then goes out once, and nothing is lost either way.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { expect } from './expect.js';
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
import {
  ensureWebBuild,
  launchBrowser,
  openUser,
  startServer,
  wholeTimeline,
  type Server,
} from './harness.js';

let server: Server | undefined;
let browser: Browser | undefined;

after(async () => {
  await browser?.close();
  await server?.stop();
});

test(
  'relay stopped and restarted mid-conversation: queued messages go out once',
  { timeout: 600_000 },
  async () => {
    const webDir = await ensureWebBuild();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-web-restart-'));
    server = await startServer({ webDir, dataDir });
    const port = server.port;
    browser = await launchBrowser();
    // While the relay is down the browser logs failed requests; those are expected here.
    const allowed = [
      /Failed to load resource: net::ERR_CONNECTION_REFUSED/,
      /WebSocket connection to .* failed/,
    ];
    const alice = await openUser(browser, server.base, undefined, allowed);
    const bob = await openUser(browser, server.base, undefined, allowed);
    await register(alice.page, 'ralice');
    await register(bob.page, 'rbob');
    await waitOnline(alice.page);
    await startChat(alice.page, 'rbob');
    await send(alice.page, 'before the outage');
    await openConversation(bob.page, 'ralice');
    await expectMessage(bob.page, 'before the outage');
    await send(bob.page, 'reply before the outage');
    await expectMessage(alice.page, 'reply before the outage');

    await server.stop();
    server = undefined;
    await alice.page
      .getByText(/^Connection: (Offline|Reconnecting…|Connecting…)$/)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await bob.page
      .getByText(/^Connection: (Offline|Reconnecting…|Connecting…)$/)
      .waitFor({ timeout: UI_TIMEOUT_MS });

    await send(alice.page, 'written while the relay was down');
    await expectMessage(alice.page, 'written while the relay was down', 'Queued');
    await send(bob.page, 'bob also wrote while it was down');
    await expectMessage(bob.page, 'bob also wrote while it was down', 'Queued');

    server = await startServer({ webDir, dataDir, port });
    await waitOnline(alice.page);
    await waitOnline(bob.page);
    await expectMessage(bob.page, 'written while the relay was down');
    await expectMessage(alice.page, 'bob also wrote while it was down');
    await expectMessage(alice.page, 'written while the relay was down', 'Read');
    await expectMessage(bob.page, 'bob also wrote while it was down', 'Read');
    await send(alice.page, 'after the outage');
    await expectMessage(bob.page, 'after the outage');

    // Exactly once on each side, nothing lost.
    await expect(async () => {
      const texts = (await wholeTimeline(bob.page, 'd:ralice')).map((m) => m.text);
      return texts.length === 5;
    }, 'bob’s five messages');
    assert.deepEqual(
      (await wholeTimeline(bob.page, 'd:ralice')).map((m) => m.text),
      [
        'before the outage',
        'reply before the outage',
        'written while the relay was down',
        'bob also wrote while it was down',
        'after the outage',
      ],
    );
    assert.equal(await message(bob.page, 'written while the relay was down').count(), 1);
    assert.deepEqual(alice.problems.list, []);
    assert.deepEqual(bob.problems.list, []);
  },
);
