import { deepStrictEqual, ok, strictEqual, throws } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ParleyClient } from '../src/client.js';
import { RelayHttp } from '../src/http.js';
import {
  MAX_SEEN_GUIDS,
  SEEN_GUID_MAX_AGE_MS,
  SEEN_PRUNE_SLACK_MS,
  SEEN_PRUNE_TO,
} from '../src/limits.js';
import { records } from '../src/state.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 1);

test('the seen set forgets guids past the maximum age, in the transaction that adds one', () => {
  const db = new MemoryBackend();
  db.transact((w) => records.markSeen(w, 'old', T0));
  db.transact((w) => records.markSeen(w, 'mid', T0 + 10 * DAY));
  // Inside the window (and inside the slack past it) nothing is forgotten.
  db.transact((w) => records.markSeen(w, 'a', T0 + SEEN_GUID_MAX_AGE_MS + SEEN_PRUNE_SLACK_MS));
  ok(records.seen(db, 'old'));
  strictEqual(records.seenCount(db), 3);
  // A failed transaction neither adds nor prunes.
  const late = T0 + SEEN_GUID_MAX_AGE_MS + SEEN_PRUNE_SLACK_MS + DAY;
  throws(() =>
    db.transact((w) => {
      records.markSeen(w, 'b', late);
      throw new Error('crash before commit');
    }),
  );
  ok(records.seen(db, 'old') && !records.seen(db, 'b'));
  // Once the oldest is past the age plus the slack, adding prunes everything past the age.
  db.transact((w) => records.markSeen(w, 'b', late));
  ok(!records.seen(db, 'old'), 'the 32-day-old guid is gone');
  ok(records.seen(db, 'mid') && records.seen(db, 'a') && records.seen(db, 'b'));
  strictEqual(records.seenCount(db), 3);
});

test('the seen set is capped by count: past the cap the oldest go, down to SEEN_PRUNE_TO', () => {
  const db = new MemoryBackend();
  for (let i = 0; i < MAX_SEEN_GUIDS; i++) {
    db.transact((w) => records.markSeen(w, `g${String(i).padStart(6, '0')}`, T0 + i));
  }
  strictEqual(records.seenCount(db), MAX_SEEN_GUIDS);
  db.transact((w) => records.markSeen(w, 'newest', T0 + MAX_SEEN_GUIDS));
  strictEqual(records.seenCount(db), SEEN_PRUNE_TO);
  ok(!records.seen(db, 'g000000'));
  ok(records.seen(db, 'newest'));
  ok(records.seen(db, `g${String(MAX_SEEN_GUIDS - 1).padStart(6, '0')}`));
});

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

test('a re-delivered envelope inside the window is recognised; past it the guid is forgotten', async () => {
  const clock = { now: T0 };
  const bob = new ParleyClient({
    backend: new MemoryBackend(),
    primitives,
    relay: new RelayHttp(relay.base, nodeFetch),
    now: () => clock.now,
  });
  const alice = newClient(relay.base);
  await alice.register('alice_seen');
  await bob.register('bob_seen');
  await alice.send('bob_seen', 'once');
  await alice.send('bob_seen', 'twice');
  // Fetch without acknowledging, so the same envelopes can be handed over again.
  const raw = new RelayHttp(relay.base, nodeFetch);
  const { messages } = await raw.fetchMessages(bob.credentials());
  // Between the two texts, alice's profile key (sent after her first message to a contact).
  const [first, second] = [messages.at(0), messages.at(-1)];
  ok(
    first !== undefined && second !== undefined && messages.length >= 2,
    `fetched ${messages.length}`,
  );
  const texts = (events: readonly { type: string }[]) => events.map((e) => e.type);
  deepStrictEqual(texts(await bob.processEnvelopes([first])), ['message']);
  clock.now += SEEN_GUID_MAX_AGE_MS - DAY;
  deepStrictEqual(texts(await bob.processEnvelopes([first])), [], 'recognised at 29 days');
  // Past the window plus the slack, the next add prunes the first guid.
  clock.now = T0 + SEEN_GUID_MAX_AGE_MS + SEEN_PRUNE_SLACK_MS + DAY;
  deepStrictEqual(texts(await bob.processEnvelopes([second])), ['message']);
  deepStrictEqual(
    texts(await bob.processEnvelopes([first])),
    ['dropped'],
    'forgotten: processed again, and its keys are gone',
  );
});
