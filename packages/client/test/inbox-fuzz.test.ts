// No envelope can stop another: random and hostile envelopes (garbage, bit-flipped and
// replayed copies of genuine ones, every envelope type, real and made-up senders and group ids)
// fed into `processEnvelopes` between genuine ones. Every genuine message is shown exactly
// once and nothing throws out of the page. Seeded; `PROPERTY_RUNS=500` runs longer.
import { deepStrictEqual, ok } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { GROUP_MESSAGE_TYPES, type Envelope } from '@parley/api';
import { fromBase64, toBase64, toBase64Url } from '@parley/bytes';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import { RelayHttp } from '../src/http.js';
import { newClient, nodeFetch, startRelay, type TestRelay } from './harness.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 25);

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

function shown(events: readonly ClientEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'message' ? [e.message.text] : e.type === 'group-message' ? [e.message.text] : [],
  );
}

/** A hostile envelope built from the genuine ones of this round and random choices. */
const hostileEnvelope = (genuine: readonly Envelope[], ids: readonly string[]) =>
  fc.oneof(
    // Garbage of any type from any sender.
    fc.record({
      guid: fc.stringMatching(/^[A-Za-z0-9_-]{20,43}$/),
      senderAccountId: fc.oneof(fc.constantFrom(...ids), fc.uuid()),
      senderDeviceId: fc.integer({ min: 0, max: 8 }),
      clientMessageId: fc.string({ maxLength: 40 }),
      type: fc.oneof(
        fc.constantFrom(1, 2, 3, ...Object.values(GROUP_MESSAGE_TYPES)),
        fc.integer({ min: -5, max: 300 }),
      ),
      content: fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map(toBase64),
        fc.string({ maxLength: 50 }),
      ),
      serverTimestamp: fc.nat(),
    }),
    // A genuine envelope replayed under a new guid, or with its content bit-flipped.
    fc
      .record({
        index: fc.nat({ max: genuine.length - 1 }),
        flip: fc.option(fc.nat(), { nil: undefined }),
        guid: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        sender: fc.option(fc.constantFrom(...ids), { nil: undefined }),
      })
      .map(({ index, flip, guid, sender }) => {
        const g = genuine[index] as Envelope;
        const bytes = fromBase64(g.content);
        if (flip !== undefined && bytes.length > 0) {
          const at = flip % bytes.length;
          bytes.set([(bytes[at] ?? 0) ^ (1 << (flip % 8))], at);
        }
        return {
          ...g,
          guid,
          content: toBase64(bytes),
          ...(sender !== undefined && { senderAccountId: sender }),
        };
      }),
    // Not an envelope at all.
    fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string())),
  );

test('random and hostile envelopes between genuine ones: each genuine one shown once, nothing throws', async () => {
  const alice: ParleyClient = newClient(relay.base);
  const bob: ParleyClient = newClient(relay.base);
  const mallory: ParleyClient = newClient(relay.base);
  const a = await alice.register('fzalice');
  const b = await bob.register('fzbob');
  const m = await mallory.register('fzmallory');
  const { groupId } = await bob.createGroup('fuzz', ['fzalice']);
  await alice.receive();
  const http = new RelayHttp(relay.base, nodeFetch);
  const ids = [a.accountId, b.accountId, m.accountId, toBase64Url(new Uint8Array(16))];
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.infiniteStream(fc.nat()), async (noise) => {
      round++;
      const sent = [`direct ${round}a`, `direct ${round}b`, `group ${round}`];
      await bob.send('fzalice', sent[0] ?? '');
      await bob.send('fzalice', sent[1] ?? '');
      await bob.sendToGroup(groupId, sent[2] ?? '');
      const page = await http.fetchMessages(alice.credentials());
      const genuine = page.messages as Envelope[];
      const hostile = fc.sample(hostileEnvelope(genuine, ids), {
        numRuns: 12,
        seed: round,
      });
      // Interleave: a few hostile envelopes before, between and after the genuine ones.
      const it = noise[Symbol.iterator]();
      const mixed: unknown[] = [];
      const next = (): number => (it.next().value as number | undefined) ?? 0;
      for (const h of hostile) {
        if (genuine.length > 0 && next() % 3 === 0) mixed.push(genuine.shift());
        mixed.push(h);
      }
      mixed.push(...genuine);
      const events = await alice.processEnvelopes(mixed);
      const texts = shown(events).filter((t) => sent.includes(t));
      deepStrictEqual([...texts].sort(), [...sent].sort());
      const guids = mixed.flatMap((x) => {
        const g = (x as { guid?: unknown } | null)?.guid;
        return typeof g === 'string' && /^[A-Za-z0-9_-]+$/.test(g) && g.length <= 64 ? [g] : [];
      });
      await http.ack(alice.credentials(), guids.slice(0, 100));
      // Receipts and anything else alice queued go out; bob drains his queue.
      await alice.flushOutbox();
      await bob.receive();
    }),
    { numRuns: RUNS, seed: 10 },
  );
  ok(round >= RUNS);
  // Alice still talks to both.
  await alice.send('fzbob', 'after the storm');
  ok(shown(await bob.receive()).includes('after the storm'));
  await alice.sendToGroup(groupId, 'group after the storm');
  ok(shown(await bob.receive()).includes('group after the storm'));
});
