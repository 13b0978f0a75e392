/**
 * Trust in the web client: the safety-number screen (60 digits, QR, verified), a contact's key
 * changing (a blocking warning; nothing is sent until the new key is accepted), and the ghost
 * device refusals shown to the user — a device the relay added without the account's signature
 * gets no message, and a message from one is refused. The hostile side is a real SDK client and
 * the relay's real HTTP API.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBase64 } from '@parley/bytes';
import { MemoryBackend, ParleyClient, RelayHttp, type DeviceCredentials } from '@parley/client';
import { createNodePrimitives } from '@parley/primitives-node';
import type { Browser } from 'playwright-core';
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
import { openUser, type Server, withServerAndBrowser } from './harness.js';

let server: Server;
let browser: Browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

test(
  'safety number, then a key change blocks sending until accepted',
  { timeout: 600_000 },
  async () => {
    const alice = await openUser(browser, server.base);
    const bob = await openUser(browser, server.base);
    await register(alice.page, 'kalice');
    await register(bob.page, 'kbob');
    await waitOnline(alice.page);
    await startChat(alice.page, 'kbob');
    await send(alice.page, 'before the change');
    await openConversation(bob.page, 'kalice');
    await expectMessage(bob.page, 'before the change');

    // Both see the same 60 digits; alice marks bob verified.
    const digits = async (page: typeof alice.page): Promise<string> => {
      await page.getByRole('button', { name: 'Safety number', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: /^Safety number with / });
      const label = await dialog
        .getByLabel(/^Safety number: /)
        .getAttribute('aria-label', { timeout: UI_TIMEOUT_MS });
      await dialog.getByRole('img', { name: /as a QR code$/ }).waitFor();
      return (label ?? '').replace('Safety number: ', '');
    };
    const aliceSees = await digits(alice.page);
    const bobSees = await digits(bob.page);
    assert.match(aliceSees, /^(\d{5} ){11}\d{5}$/);
    assert.equal(aliceSees, bobSees);
    const aliceDialog = alice.page.getByRole('dialog', { name: 'Safety number with kbob' });
    await aliceDialog.getByRole('button', { name: 'Mark as verified' }).click();
    await aliceDialog.getByText('You marked kbob as verified.').waitFor({ timeout: UI_TIMEOUT_MS });
    await aliceDialog.getByRole('button', { name: 'Close' }).click();
    await bob.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

    // bob deletes his account and registers the name again: a new account key.
    await bob.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Settings' })
      .click();
    await bob.page.getByRole('button', { name: 'Delete account' }).click();
    await bob.page
      .getByRole('alertdialog', { name: 'Delete your account?' })
      .getByRole('button', { name: 'Delete account' })
      .click();
    await register(bob.page, 'kbob');

    // alice opens the conversation again: the change is noticed before anything is sent.
    await openConversation(alice.page, 'kbob');
    const warning = alice.page
      .getByRole('alert')
      .filter({ hasText: 'kbob’s safety number changed' });
    await warning.waitFor({ timeout: UI_TIMEOUT_MS });
    await alice.page.getByText(/kbob’s safety number changed\. Compare it/).waitFor();
    assert.ok(await alice.page.getByRole('textbox', { name: /^Message to / }).isDisabled());
    assert.ok(await alice.page.getByRole('button', { name: 'Send' }).isDisabled());
    const changed = await digits(alice.page);
    assert.notEqual(changed, aliceSees);
    const dialog = alice.page.getByRole('dialog', { name: 'Safety number with kbob' });
    await dialog.getByText('This is the new key’s number; you have not accepted it yet.').waitFor();
    await dialog.getByText('kbob is not verified.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    await warning.getByRole('button', { name: 'Accept the new key' }).click();
    await warning.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await alice.page.getByText('You accepted kbob’s new safety number.').waitFor();
    await send(alice.page, 'welcome back');
    await openConversation(bob.page, 'kalice');
    await expectMessage(bob.page, 'welcome back');
    assert.equal(await message(bob.page, 'before the change').count(), 0);

    assert.deepEqual(alice.problems.list, []);
    assert.deepEqual(bob.problems.list, []);
  },
);

test('ghost devices: refused both ways, and the user is told', { timeout: 300_000 }, async () => {
  const primitives = createNodePrimitives();
  const relay = new RelayHttp(server.base, (url, init) => fetch(url, init));
  const ghostOwner = new ParleyClient({ backend: new MemoryBackend(), primitives, relay });
  const owner = await ghostOwner.register('gbob');
  // Anyone holding gbob's device secret (or the relay itself) adds a device gbob never signed.
  const auth: DeviceCredentials = ghostOwner.credentials();
  const { linkToken } = await relay.linkToken(auth);
  const ghostSecret = toBase64(new Uint8Array(32).fill(7));
  const ghost = await relay.linkDevice({
    linkToken,
    device: {
      secret: ghostSecret,
      registrationId: 5,
      identityKey: toBase64(new Uint8Array(33).fill(5)),
    },
  });
  const ghostAuth: DeviceCredentials = {
    accountId: owner.accountId,
    deviceId: ghost.deviceId,
    secret: ghostSecret,
  };

  const alice = await openUser(browser, server.base);
  await register(alice.page, 'galice2');
  await waitOnline(alice.page);

  // Sending to gbob: the relay lists the ghost, no signed list has it, nothing is sent.
  await startChat(alice.page, 'gbob');
  await send(alice.page, 'for gbob only');
  const failed = message(alice.page, 'for gbob only');
  await failed.getByText('Not sent').waitFor({ timeout: UI_TIMEOUT_MS });
  await failed
    .getByText('The relay listed a device this contact did not sign. Nothing was sent.')
    .waitFor();
  assert.deepEqual(await ghostOwner.receive(), []);

  // The ghost writes to alice: refused, and a warning says so.
  const target = await relay.accountByUsername(ghostAuth, 'galice2');
  const bundle = await relay.bundles(ghostAuth, target.accountId, 1);
  await relay.send(ghostAuth, {
    clientMessageId: 'ghost-message-0001',
    destinations: [
      {
        accountId: target.accountId,
        deviceId: 1,
        registrationId: bundle.devices[0]?.registrationId ?? 0,
        type: 2,
        content: toBase64(new Uint8Array(64).fill(9)),
      },
    ],
  });
  const warnings = alice.page.getByRole('region', { name: 'Warnings' });
  await warnings
    .getByText(
      'A message from gbob was refused: the sending device is not in a signed device list.',
    )
    .waitFor({ timeout: UI_TIMEOUT_MS });
  assert.deepEqual(alice.problems.list, []);
});
