// Cumulative acknowledgements (delivery protocol 2): acks out of range, from another device,
// repeated, after a reconnect in the middle of a push; sequence gaps never delete a message
// that was not pushed; and a seeded random interleaving of sends, acks and reconnects that
// loses nothing and never brings back an acknowledged message.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { WS_CLOSE } from '@parley/api';
import { createMemoryStorage, openSqliteStorage } from '@parley/relay';
import { newRelay, register, send, type TestDevice } from './support.js';
import { WsClient, sleep } from './ws-support.js';

const SEED = Number(process.env['PARLEY_ACK_SEED'] ?? Date.now() % 100_000);

/** mulberry32: a seeded generator, so a failing run can be replayed with PARLEY_ACK_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const backends = {
  memory: () => createMemoryStorage(),
  sqlite: () => openSqliteStorage({ dataDir: mkdtempSync(join(tmpdir(), 'parley-acks-')) }),
};

for (const [backend, openStorage] of Object.entries(backends))
  describe(`cumulative acknowledgements (${backend})`, () => {
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
    const depth = async (d: TestDevice): Promise<number> => {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/messages',
        headers: { authorization: d.auth },
      });
      return res.json<{ messages: unknown[] }>().messages.length;
    };
    const queueEmpty = (c: WsClient): Promise<void> =>
      c.until(() => c.frames.some((f) => f.kind === 'queue-empty'), 'queue-empty');

    beforeEach(async () => {
      app = await newRelay({ storage: openStorage() });
      base = await app.listen({ host: '127.0.0.1', port: 0 });
      alice = await register(app, 'alice');
      bob = await register(app, 'bob');
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) await c.close();
      await app.close();
    });

    test('an ack beyond what the connection was pushed closes it and deletes nothing', async () => {
      for (let i = 0; i < 3; i++) await send(app, alice, [bob], `m${i}`);
      const b = await connect(bob);
      await queueEmpty(b);
      const last = b.messages.at(-1)?.seq ?? 0;
      b.ack(last + 1);
      await b.until(() => b.closeCode !== undefined, 'close');
      assert.equal(b.closeCode, WS_CLOSE.BAD_FRAME);
      assert.match(b.closeReason, /ack beyond/);
      assert.equal(await depth(bob), 3, 'nothing deleted');
    });

    test("an ack only ever deletes the acknowledging device's own queue", async () => {
      for (let i = 0; i < 5; i++) await send(app, bob, [alice], `to-alice-${i}`);
      await send(app, alice, [bob], 'to-bob');
      const a = await connect(alice);
      const b = await connect(bob);
      await queueEmpty(a);
      await queueEmpty(b);
      // Bob acknowledges as far as he was pushed: alice's queue is untouched whatever the
      // numbers are.
      b.ackAll();
      await sleep(50);
      assert.equal(await depth(bob), 0);
      assert.equal(await depth(alice), 5, "alice's messages are still queued");
      assert.equal(a.closeCode, undefined);
      // Alice's highest sequence number sent on bob's connection is out of range there unless
      // bob was pushed that far; either way alice's queue stays.
      const aliceLast = a.messages.at(-1)?.seq ?? 0;
      b.ack(aliceLast);
      await sleep(50);
      assert.equal(await depth(alice), 5);
    });

    test('repeated and older acks change nothing and keep the connection', async () => {
      for (let i = 0; i < 6; i++) await send(app, alice, [bob], `m${i}`);
      const b = await connect(bob);
      await queueEmpty(b);
      const seqs = b.messages.map((m) => m.seq);
      b.ack(seqs[2] ?? 0);
      b.ack(seqs[2] ?? 0);
      b.ack(seqs[0] ?? 0);
      b.ack(0);
      await sleep(80);
      assert.equal(b.closeCode, undefined);
      assert.equal(await depth(bob), 3);
      b.ack(seqs[5] ?? 0);
      await sleep(80);
      assert.equal(await depth(bob), 0);
    });

    test('a reconnect in the middle of a push frame pushes again exactly the unacknowledged part', async () => {
      for (let i = 0; i < 10; i++) await send(app, alice, [bob], `m${i}`);
      const first = await connect(bob);
      await queueEmpty(first);
      assert.equal(first.frames.filter((f) => f.kind === 'push').length, 1, 'one push frame');
      first.ack(first.messages[3]?.seq ?? 0);
      await sleep(30);
      await first.close();
      const second = await connect(bob);
      await queueEmpty(second);
      assert.deepEqual(
        second.messages.map((m) => m.clientMessageId),
        ['m4', 'm5', 'm6', 'm7', 'm8', 'm9'],
      );
      assert.deepEqual(
        second.messages.map((m) => m.guid),
        first.messages.slice(4).map((m) => m.guid),
        'the same guids as before the reconnect',
      );
      // An ack of the old position (from before the reconnect) is a no-op here.
      second.ack(first.messages[2]?.seq ?? 0);
      second.ackAll();
      await sleep(50);
      assert.equal(second.closeCode, undefined);
      assert.equal(await depth(bob), 0);
    });

    test('gaps in the sequence never delete a message that was not pushed', async () => {
      for (let i = 0; i < 4; i++) await send(app, alice, [bob], `m${i}`);
      // A gap: m1 is acknowledged over HTTP by guid.
      const page = await app.inject({
        method: 'GET',
        url: '/v1/messages',
        headers: { authorization: bob.auth },
      });
      const guids = page.json<{ messages: { guid: string }[] }>().messages.map((m) => m.guid);
      await app.inject({
        method: 'POST',
        url: '/v1/messages/acks',
        headers: { authorization: bob.auth },
        payload: { guids: [guids[1]] },
      });
      const b = await connect(bob);
      await queueEmpty(b);
      assert.deepEqual(
        b.messages.map((m) => m.clientMessageId),
        ['m0', 'm2', 'm3'],
      );
      const pushed = b.messages.at(-1)?.seq ?? 0;
      // Committed after the push: a larger sequence number, not covered by the ack.
      await send(app, alice, [bob], 'later');
      b.ack(pushed);
      await b.until(() => b.messages.some((m) => m.clientMessageId === 'later'), 'later');
      // The range delete waits for the next group commit (its window, on a loaded machine more).
      for (let i = 0; i < 100 && (await depth(bob)) > 1; i++) await sleep(20);
      await sleep(50);
      assert.equal(await depth(bob), 1, 'the later message is still queued');
      assert.ok((b.messages.at(-1)?.seq ?? 0) > pushed);
    });

    test(`random sends, acks and reconnects: nothing lost, nothing acknowledged comes back (seed ${String(SEED)})`, async () => {
      const random = rng(SEED);
      const total = 300;
      const acked = new Set<string>();
      const seen = new Set<string>();
      let sent = 0;
      const sending = (async () => {
        while (sent < total) {
          await send(app, alice, [bob], `r${String(sent++)}`);
          if (random() < 0.2) await sleep(1);
        }
      })();
      while (acked.size < total) {
        const b = await connect(bob);
        const rounds = 1 + Math.floor(random() * 5);
        for (let r = 0; r < rounds; r++) {
          await sleep(Math.floor(random() * 15));
          for (const m of b.messages) {
            assert.ok(
              !acked.has(m.clientMessageId),
              `${m.clientMessageId} came back after its ack`,
            );
            seen.add(m.clientMessageId);
          }
          if (b.messages.length === 0) continue;
          // Acknowledge a random prefix of what arrived on this connection.
          const upTo = Math.floor(random() * b.messages.length);
          const m = b.messages[upTo];
          if (m === undefined) continue;
          b.ack(m.seq);
          for (const x of b.messages.slice(0, upTo + 1)) acked.add(x.clientMessageId);
          b.messages.splice(0, upTo + 1);
        }
        await sleep(10);
        await b.close();
        if (sent >= total && acked.size < total) {
          await sending;
        }
      }
      await sending;
      assert.equal(acked.size, total);
      assert.equal(seen.size, total);
      assert.equal(await depth(bob), 0);
    });
  });
