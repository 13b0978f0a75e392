import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createMemoryStorage, relayLimits } from '@parley/relay';
import {
  b64,
  destinations,
  errorCode,
  link,
  newRelay,
  register,
  send,
  type TestDevice,
} from './support.js';

interface Page {
  messages: {
    guid: string;
    clientMessageId: string;
    content: string;
    senderAccountId: string;
    senderDeviceId: number;
  }[];
  more: boolean;
}

const fetchPage = async (app: FastifyInstance, d: TestDevice): Promise<Page> =>
  (
    await app.inject({ method: 'GET', url: '/v1/messages', headers: { authorization: d.auth } })
  ).json<Page>();
const ack = (app: FastifyInstance, d: TestDevice, guids: string[]) =>
  app.inject({
    method: 'POST',
    url: '/v1/messages/acks',
    headers: { authorization: d.auth },
    payload: { guids },
  });

describe('messages', () => {
  test('a send to every device of the recipient and our other devices is queued for each, fetched, and deleted on ack', async () => {
    const app = await newRelay();
    const alice = await register(app, 'alice');
    const alice2 = await link(app, alice);
    const bob = await register(app, 'bob');
    const bob2 = await link(app, bob);
    const res = await send(app, alice, [bob, bob2, alice2], 'm-1', 'hello');
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ duplicate: boolean }>().duplicate, false);
    for (const d of [bob, bob2, alice2]) {
      const page = await fetchPage(app, d);
      assert.equal(page.messages.length, 1);
      const m = page.messages[0];
      assert.equal(m?.clientMessageId, 'm-1');
      assert.equal(m.senderAccountId, alice.accountId);
      assert.equal(m.senderDeviceId, 1);
      assert.equal(m.content, b64(Buffer.from(`hello:${d.accountId}:${d.deviceId}`)));
      assert.equal((await ack(app, d, [m.guid])).statusCode, 204);
      assert.equal((await fetchPage(app, d)).messages.length, 0, 'deleted on ack');
    }
    await app.close();
  });

  test('DEVICE_MISMATCH (409) lists missing, extra and stale devices per account; nothing is stored', async () => {
    const app = await newRelay();
    const alice = await register(app, 'alice');
    const alice2 = await link(app, alice);
    const bob = await register(app, 'bob');
    const bob2 = await link(app, bob);
    const dests = [
      ...destinations([bob]),
      { ...destinations([bob2])[0], registrationId: (bob2.registrationId + 1) % 16000 },
      { ...destinations([bob])[0], deviceId: 5 },
    ];
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { authorization: alice.auth },
      payload: {
        clientMessageId: 'x',
        destinations: [...dests, ...destinations([alice]).map((d) => ({ ...d, deviceId: 3 }))],
      },
    });
    assert.equal(res.statusCode, 409);
    const body = res.json<{ error: { code: string; details: { accounts: unknown[] } } }>();
    assert.equal(body.error.code, 'DEVICE_MISMATCH');
    assert.deepEqual(body.error.details.accounts, [
      { accountId: bob.accountId, missing: [], extra: [5], stale: [2] },
      { accountId: alice.accountId, missing: [2], extra: [3], stale: [] },
    ]);
    assert.equal((await fetchPage(app, bob)).messages.length, 0);
    assert.equal((await fetchPage(app, alice2)).messages.length, 0);
    const missingOnly = await send(app, alice, [bob], 'y');
    assert.deepEqual(missingOnly.json<{ error: { details: unknown } }>().error.details, {
      accounts: [{ accountId: bob.accountId, missing: [2], extra: [], stale: [] }],
    });
    await app.close();
  });

  test('idempotent by client message id: a retried send is acknowledged again and stored once', async () => {
    const app = await newRelay();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    const first = await send(app, alice, [bob], 'same-id');
    const retries = await Promise.all([
      send(app, alice, [bob], 'same-id'),
      send(app, alice, [bob], 'same-id'),
    ]);
    for (const r of retries) {
      assert.equal(r.statusCode, 200);
      assert.equal(r.json<{ duplicate: boolean }>().duplicate, true);
      assert.equal(
        r.json<{ serverTimestamp: number }>().serverTimestamp,
        first.json<{ serverTimestamp: number }>().serverTimestamp,
      );
    }
    assert.equal((await fetchPage(app, bob)).messages.length, 1);
    await app.close();
  });

  test('per-sender order is kept in the recipient queue', async () => {
    const app = await newRelay();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    for (let i = 0; i < 20; i++)
      assert.equal((await send(app, alice, [bob], `o-${i}`)).statusCode, 200);
    const page = await fetchPage(app, bob);
    assert.deepEqual(
      page.messages.map((m) => m.clientMessageId),
      Array.from({ length: 20 }, (_, i) => `o-${i}`),
    );
    await app.close();
  });

  test('QUEUE_FULL (503) at the queue depth bound; nothing stored for any device of that send', async () => {
    const app = await newRelay({ limits: { maxQueueDepth: 3 } });
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    for (let i = 0; i < 3; i++)
      assert.equal((await send(app, alice, [bob], `q-${i}`)).statusCode, 200);
    const full = await send(app, alice, [bob], 'q-3');
    assert.equal(full.statusCode, 503);
    assert.equal(errorCode(full), 'QUEUE_FULL');
    const page = await fetchPage(app, bob);
    assert.equal(page.messages.length, 3);
    await ack(app, bob, [page.messages[0]?.guid ?? '']);
    assert.equal(
      (await send(app, alice, [bob], 'q-3')).statusCode,
      200,
      'an ack makes room; the id was not burnt',
    );
    await app.close();
  });

  test('messages older than the age bound are swept; the default bound is 30 days', async () => {
    assert.equal(relayLimits.MAX_MESSAGE_AGE_MS, 30 * 24 * 60 * 60 * 1000);
    let clock = 1_000_000;
    const app = await newRelay({ now: () => clock, limits: { maxMessageAgeMs: 1000 } });
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    await send(app, alice, [bob], 'old');
    clock += 600;
    await send(app, alice, [bob], 'young');
    clock += 600;
    await app.sweep();
    assert.deepEqual(
      (await fetchPage(app, bob)).messages.map((m) => m.clientMessageId),
      ['young'],
    );
    await app.close();
  });

  test('a disappearing message is delivered before its expiresAt only, then swept unread', async () => {
    let clock = 1_000_000;
    const storage = createMemoryStorage();
    const app = await newRelay({ now: () => clock, storage });
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { authorization: alice.auth },
      payload: {
        clientMessageId: 'brief',
        destinations: destinations([bob]),
        expiresAt: clock + 500,
      },
    });
    assert.equal(res.statusCode, 200);
    await send(app, alice, [bob], 'kept');
    assert.deepEqual(
      (await fetchPage(app, bob)).messages.map((m) => m.clientMessageId),
      ['brief', 'kept'],
    );
    clock += 500;
    assert.deepEqual(
      (await fetchPage(app, bob)).messages.map((m) => m.clientMessageId),
      ['kept'],
      'never delivered after it expired',
    );
    await app.sweep();
    assert.equal(await storage.reader.messages.depth(bob.accountId, 1), 1, 'swept');
    await app.close();
  });

  test('fetch pages at MAX_MESSAGES_PER_FETCH with `more`; acking unknown ids is harmless', async () => {
    const app = await newRelay();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    for (let i = 0; i < 260; i++) await send(app, alice, [bob], `p-${i}`);
    const page = await fetchPage(app, bob);
    assert.equal(page.messages.length, 256);
    assert.equal(page.more, true);
    assert.equal((await ack(app, bob, ['not-a-real-guid'])).statusCode, 204);
    await app.close();
  });

  test('sending: ACCOUNT_NOT_FOUND for an unknown recipient; INVALID_REQUEST for duplicates, self, and too many', async () => {
    const app = await newRelay();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    const ghost = { ...bob, accountId: 'no-such-account' };
    const unknown = await send(app, alice, [ghost], 'u');
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorCode(unknown), 'ACCOUNT_NOT_FOUND');
    assert.equal(errorCode(await send(app, alice, [bob, bob], 'd')), 'INVALID_REQUEST');
    assert.equal(errorCode(await send(app, alice, [alice], 's')), 'INVALID_REQUEST');
    const huge = await send(
      app,
      alice,
      Array.from({ length: 13 }, () => bob),
      'h',
    );
    assert.equal(errorCode(huge), 'INVALID_REQUEST');
    const empty = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { authorization: alice.auth },
      payload: { clientMessageId: 'e', destinations: [] },
    });
    assert.equal(errorCode(empty), 'INVALID_REQUEST');
    await app.close();
  });
});
