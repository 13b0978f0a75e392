import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_CLOSE, encodePing, limits } from '@parley/api';
import { createMemoryStorage, openSqliteStorage } from '@parley/relay';
import { link, newRelay, randomKey, register, send, type TestDevice } from './support.js';
import { WsClient, sleep } from './ws-support.js';

const backends = {
  memory: () => createMemoryStorage(),
  sqlite: () => openSqliteStorage({ dataDir: mkdtempSync(join(tmpdir(), 'parley-ws-')) }),
};

for (const [backend, openStorage] of Object.entries(backends))
  describe(`WebSocket delivery (${backend})`, () => {
    let app: FastifyInstance;
    let base: string;
    let alice: TestDevice;
    let bob: TestDevice;
    const clients: WsClient[] = [];
    const connect = async (d: TestDevice): Promise<WsClient> => {
      const c = await WsClient.connect(base, d);
      clients.push(c);
      return c;
    };

    beforeEach(async () => {
      app = await newRelay({
        storage: openStorage(),
        limits: { heartbeatIntervalMs: 500, authTimeoutMs: 1_000 },
      });
      base = await app.listen({ host: '127.0.0.1', port: 0 });
      alice = await register(app, 'alice');
      bob = await register(app, 'bob');
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) await c.close();
      await app.close();
    });

    test('online: a send is pushed at once; the ack deletes it', async () => {
      const b = await connect(bob);
      await b.until(() => b.frames.some((f) => f.kind === 'queue-empty'), 'queue-empty');
      assert.equal((await send(app, alice, [bob], 'live-1', 'hi')).statusCode, 200);
      await b.until(() => b.messages.length === 1, 'message');
      assert.equal(b.messages[0]?.clientMessageId, 'live-1');
      assert.ok(Buffer.from(b.messages[0].content).toString('utf8').startsWith('hi'));
      b.ack(b.messages[0].seq);
      await sleep(50);
      const page = await app.inject({
        method: 'GET',
        url: '/v1/messages',
        headers: { authorization: bob.auth },
      });
      assert.equal(page.json<{ messages: unknown[] }>().messages.length, 0);
    });

    test('push frames of every WebSocket length encoding arrive intact (7, 16 and 64 bits)', async () => {
      const text = (n: number, c: string): string => c.repeat(n);
      const b = await connect(bob);
      await b.until(() => b.frames.some((f) => f.kind === 'queue-empty'), 'queue-empty');
      // One small envelope (a frame under 126 bytes), then one of about 1 KB (16-bit length).
      assert.equal((await send(app, alice, [bob], 'len-7', text(10, 'a'))).statusCode, 200);
      await b.until(() => b.messages.length === 1, 'small');
      assert.equal((await send(app, alice, [bob], 'len-16', text(1_000, 'b'))).statusCode, 200);
      await b.until(() => b.messages.length === 2, '1 KB');
      b.ackAll();
      await b.close();
      // Two 40 KB envelopes queued offline come in one push frame over 64 KiB (64-bit length).
      for (const id of ['len-64-a', 'len-64-b'])
        assert.equal((await send(app, alice, [bob], id, text(40_000, 'c'))).statusCode, 200);
      const again = await connect(bob);
      await again.until(() => again.messages.length === 2, 'two large');
      const all = [...b.messages, ...again.messages];
      assert.deepEqual(
        all.map((m) => m.clientMessageId),
        ['len-7', 'len-16', 'len-64-a', 'len-64-b'],
      );
      const expected = [text(10, 'a'), text(1_000, 'b'), text(40_000, 'c'), text(40_000, 'c')];
      all.forEach((m, i) => {
        assert.equal(
          Buffer.from(m.content).toString('utf8'),
          `${expected[i] ?? ''}:${bob.accountId}:${String(bob.deviceId)}`,
        );
      });
      assert.equal(again.frames.filter((f) => f.kind === 'push').length, 1, 'one push frame');
    });

    test('offline then online: the queue arrives in order, then queue-empty', async () => {
      for (let i = 0; i < 30; i++) await send(app, alice, [bob], `off-${i}`);
      const b = await connect(bob);
      await b.until(() => b.frames.some((f) => f.kind === 'queue-empty'), 'queue-empty');
      assert.deepEqual(
        b.messages.map((m) => m.clientMessageId),
        Array.from({ length: 30 }, (_, i) => `off-${i}`),
      );
      const emptyAt = b.frames.findIndex((f) => f.kind === 'queue-empty');
      assert.equal(emptyAt, b.frames.length - 1, 'queue-empty after the queued messages');
      assert.equal(
        b.frames.filter((f) => f.kind === 'push').length,
        1,
        'the backlog came in one push frame',
      );
    });

    test('reconnect in the middle of a burst: nothing lost, nothing acknowledged comes back', async () => {
      const total = 600;
      const sending = (async () => {
        for (let i = 0; i < total; i++) await send(app, alice, [bob], `burst-${i}`);
      })();
      const acked = new Set<string>();
      const delivered: string[] = [];
      for (let round = 0; round < 4; round++) {
        const b = await connect(bob);
        await b.until(
          () => b.messages.length >= 50 || b.frames.some((f) => f.kind === 'queue-empty'),
          'some',
        );
        const got = b.messages.map((m) => m.clientMessageId);
        for (const id of got) assert.ok(!acked.has(id), `acknowledged ${id} was pushed again`);
        delivered.push(...got);
        const half = b.messages.slice(0, Math.ceil(b.messages.length / 2));
        const lastOfHalf = half.at(-1);
        if (lastOfHalf !== undefined) b.ack(lastOfHalf.seq);
        await sleep(30);
        for (const m of half) acked.add(m.clientMessageId);
        await b.close();
      }
      await sending;
      const last = await connect(bob);
      let ackedUpTo = 0;
      const deadline = Date.now() + 10_000;
      while (acked.size + last.messages.length < total && Date.now() < deadline) {
        if (last.messages.length > ackedUpTo) last.ackAll();
        ackedUpTo = last.messages.length;
        await sleep(20);
      }
      for (const m of last.messages) assert.ok(!acked.has(m.clientMessageId));
      const all = new Set([...acked, ...last.messages.map((m) => m.clientMessageId)]);
      assert.equal(all.size, total, 'every message delivered');
      const ids = last.messages.map((m) => Number(m.clientMessageId.split('-')[1]));
      assert.deepEqual(
        ids,
        [...ids].sort((x, y) => x - y),
        'order kept',
      );
    });

    test('slow consumer: at most MAX_IN_FLIGHT_MESSAGES unacknowledged, more only after acks', async () => {
      for (let i = 0; i < limits.MAX_IN_FLIGHT_MESSAGES + 44; i++)
        await send(app, alice, [bob], `slow-${i}`);
      const b = await connect(bob);
      await b.until(() => b.messages.length === limits.MAX_IN_FLIGHT_MESSAGES, 'a full window');
      await sleep(150);
      assert.equal(b.messages.length, limits.MAX_IN_FLIGHT_MESSAGES, 'no more without acks');
      b.ack(b.messages[9]?.seq ?? 0);
      await b.until(() => b.messages.length === limits.MAX_IN_FLIGHT_MESSAGES + 10, 'ten more');
      await sleep(100);
      assert.equal(b.messages.length, limits.MAX_IN_FLIGHT_MESSAGES + 10);
    });

    test('sending over the socket: several sends per frame, results once durable, duplicates, DEVICE_MISMATCH', async () => {
      const a = await connect(alice);
      const b = await connect(bob);
      const dest = {
        accountId: bob.accountId,
        deviceId: 1,
        registrationId: bob.registrationId,
        type: 1,
        content: Uint8Array.of(0, 1, 2),
      };
      a.sendMany([
        { requestId: 7, clientMessageId: 'ws-1', destinations: [dest] },
        { requestId: 8, clientMessageId: 'ws-1', destinations: [dest] },
        { requestId: 9, clientMessageId: 'ws-2', destinations: [{ ...dest, deviceId: 2 }] },
      ]);
      await a.until(() => a.results.length === 3, 'three answers');
      const answers = new Map(a.results.map((r) => [r.requestId, r]));
      assert.equal(answers.get(7)?.status, 'stored');
      assert.equal(answers.get(8)?.status, 'duplicate');
      const third = answers.get(9);
      assert.ok(third?.status === 'error');
      assert.equal(third.error.code, 'DEVICE_MISMATCH');
      assert.deepEqual(third.error.details, {
        accounts: [{ accountId: bob.accountId, missing: [1], extra: [2], stale: [] }],
      });
      await b.until(() => b.messages.some((m) => m.clientMessageId === 'ws-1'), 'delivered');
      await sleep(50);
      assert.equal(b.messages.filter((m) => m.clientMessageId === 'ws-1').length, 1);
      assert.deepEqual([...(b.messages[0]?.content ?? [])], [0, 1, 2]);
      a.sendMany([
        { requestId: 10, clientMessageId: 'ws-3', destinations: [{ ...dest, deviceId: 1 }] },
        {
          requestId: 11,
          clientMessageId: 'ws-4',
          destinations: [{ ...dest, accountId: alice.accountId }],
        },
      ]);
      await a.until(() => a.results.length === 5, 'two more answers');
      assert.equal(a.results.find((r) => r.requestId === 10)?.status, 'stored');
      const self = a.results.find((r) => r.requestId === 11);
      assert.ok(self?.status === 'error' && self.error.code === 'INVALID_REQUEST');
      // Group envelope types (32–34) only come from the group routes: a send naming one is a
      // malformed frame, and nothing is stored.
      a.sendMany([
        { requestId: 12, clientMessageId: 'ws-5', destinations: [{ ...dest, type: 32 }] },
      ]);
      await a.until(() => a.closeCode !== undefined, 'closed');
      assert.equal(a.closeCode, WS_CLOSE.BAD_FRAME);
      await sleep(50);
      assert.ok(!b.messages.some((m) => m.clientMessageId === 'ws-5'));
    });

    test('two racing connections of one device leave exactly one open', async () => {
      for (let round = 0; round < 5; round++) {
        const x = await WsClient.open(base);
        const y = await WsClient.open(base);
        clients.push(x, y);
        x.auth(bob);
        y.auth(bob);
        await x.until(() => x.closeCode !== undefined || y.closeCode !== undefined, 'one closes');
        await sleep(50);
        assert.equal([x, y].filter((c) => c.closeCode === undefined).length, 1, `round ${round}`);
        const survivor = x.closeCode === undefined ? x : y;
        await survivor.until(() => survivor.frames.some((f) => f.kind === 'ready'), 'ready');
        await survivor.close();
      }
    });

    test('duplicate sends are delivered once', async () => {
      const b = await connect(bob);
      await Promise.all([
        send(app, alice, [bob], 'dup'),
        send(app, alice, [bob], 'dup'),
        send(app, alice, [bob], 'dup'),
      ]);
      await send(app, alice, [bob], 'after');
      await b.until(() => b.messages.some((m) => m.clientMessageId === 'after'), 'after');
      assert.deepEqual(
        b.messages.map((m) => m.clientMessageId),
        ['dup', 'after'],
      );
    });

    test('authentication: wrong secret, no auth in time, frames before auth are closed with 4001', async () => {
      const wrong = await WsClient.open(base);
      clients.push(wrong);
      wrong.auth({ ...bob, secret: alice.secret });
      await wrong.until(() => wrong.closeCode !== undefined, 'close');
      assert.equal(wrong.closeCode, WS_CLOSE.UNAUTHORIZED);
      const silent = await WsClient.open(base);
      clients.push(silent);
      await silent.until(() => silent.closeCode !== undefined, 'close');
      assert.equal(silent.closeCode, WS_CLOSE.UNAUTHORIZED);
      const early = await WsClient.open(base);
      clients.push(early);
      early.sendBytes(encodePing());
      await early.until(() => early.closeCode !== undefined, 'close');
      assert.equal(early.closeCode, WS_CLOSE.UNAUTHORIZED);
    });

    test('hostile frames: text, malformed, unknown, truncated and oversized frames are closed; others unaffected', async () => {
      const b = await connect(bob);
      for (const payload of [
        JSON.stringify({ type: 'ping' }),
        Buffer.from([]),
        Buffer.from([0x7f]),
        Buffer.from([0x02, 0, 0, 0]),
        Buffer.from([0x04, 0]),
        Buffer.alloc(limits.MAX_CLIENT_FRAME_BYTES + 1, 0x03),
      ]) {
        const c = await connect(alice);
        c.sendBytes(payload);
        await c.until(() => c.closeCode !== undefined, 'close');
        assert.ok(c.closeCode === WS_CLOSE.BAD_FRAME || c.closeCode === 1009, String(c.closeCode));
      }
      await send(app, alice, [bob], 'still-fine');
      await b.until(
        () => b.messages.some((m) => m.clientMessageId === 'still-fine'),
        'delivery continues',
      );
    });

    test('heartbeats, ping frames, keys-low, replacement and removal', async () => {
      const a = await connect(alice);
      await a.until(() => a.pings >= 2, 'two heartbeats');
      a.sendBytes(encodePing());
      await a.until(() => a.frames.some((f) => f.kind === 'pong'), 'pong');
      await app.inject({
        method: 'PUT',
        url: '/v1/keys',
        headers: { authorization: alice.auth },
        payload: { preKeys: [{ keyId: 1, publicKey: randomKey() }] },
      });
      await app.inject({
        method: 'GET',
        url: `/v1/keys/${alice.accountId}`,
        headers: { authorization: bob.auth },
      });
      await a.until(() => a.frames.some((f) => f.kind === 'keys-low'), 'keys-low');
      const again = await connect(alice);
      await a.until(() => a.closeCode !== undefined, 'replaced');
      assert.equal(a.closeCode, WS_CLOSE.REPLACED);
      assert.equal(again.closeCode, undefined);
      const second = await link(app, alice);
      const s = await connect(second);
      await app.inject({
        method: 'DELETE',
        url: `/v1/devices/${second.deviceId}`,
        headers: { authorization: alice.auth },
      });
      await s.until(() => s.closeCode !== undefined, 'removed');
      assert.equal(s.closeCode, WS_CLOSE.DEVICE_REMOVED);
    });

    test('shutdown closes connections with GOING_AWAY', async () => {
      const b = await connect(bob);
      const closing = app.close();
      await b.until(() => b.closeCode !== undefined, 'close');
      assert.equal(b.closeCode, WS_CLOSE.GOING_AWAY);
      await closing;
      app = await newRelay();
    });

    test('upgrade floods past the per-IP rate limit are refused with 429; other paths get 404', async () => {
      const limited = await newRelay({
        rateLimits: { ip: { perSecond: 1, burst: 3 }, account: { perSecond: 100, burst: 100 } },
      });
      const url = await limited.listen({ host: '127.0.0.1', port: 0 });
      try {
        const outcomes: string[] = [];
        for (let i = 0; i < 6; i++) {
          try {
            const c = await WsClient.open(url);
            outcomes.push('open');
            await c.close();
          } catch (error) {
            outcomes.push(String(error));
          }
        }
        assert.equal(outcomes.filter((o) => o === 'open').length, 3);
        assert.ok(
          outcomes.slice(3).every((o) => o.includes('429')),
          outcomes.join('; '),
        );
      } finally {
        await limited.close();
      }
      const wrongPath = await WsClient.open(base.replace(/$/, '/v1')).then(
        () => 'open',
        (error: unknown) => String(error),
      );
      assert.match(wrongPath, /404/);
    });
  });

test('a WebSocket send with expiresAt (SEND_EXPIRING) is delivered before it only, as over HTTP', async () => {
  let clock = 1_000_000;
  const app = await newRelay({ now: () => clock, storage: createMemoryStorage() });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  const a = await WsClient.connect(base, alice);
  const dest = {
    accountId: bob.accountId,
    deviceId: 1,
    registrationId: bob.registrationId,
    type: 1,
    content: Uint8Array.of(0, 1, 2),
  };
  a.sendMany([
    { requestId: 1, clientMessageId: 'brief', destinations: [dest], expiresAt: clock + 500 },
    { requestId: 2, clientMessageId: 'kept', destinations: [dest] },
  ]);
  await a.until(() => a.results.length === 2, 'two answers');
  assert.deepEqual(
    a.results.map((r) => r.status),
    ['stored', 'stored'],
  );
  const queued = async (): Promise<string[]> => {
    const page = await app.inject({
      method: 'GET',
      url: '/v1/messages',
      headers: { authorization: bob.auth },
    });
    return page
      .json<{ messages: { clientMessageId: string }[] }>()
      .messages.map((m) => m.clientMessageId);
  };
  assert.deepEqual(await queued(), ['brief', 'kept']);
  clock += 500;
  assert.deepEqual(await queued(), ['kept'], 'never delivered after it expired');
  await a.close();
  await app.close();
});
