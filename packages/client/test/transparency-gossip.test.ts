// Gossip of the log's signed heads inside end-to-end messages: a log operator showing two users
// two views (a split view: one signing key, two histories) is caught when their messages carry
// heads of one size with two roots; the fork is stored with both signed heads, sending stops
// with KT_FORK and changes nothing; a contact's forged head changes nothing and is no fork.
// Heads of different sizes are proven at the next monitoring run with the log's head-consistency
// proof: a log that showed one user another history is caught the same way (KT_FORK), a proof
// withheld or garbled leaves the head unproven (reported, never a success), and an honest growing
// log raises nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KtOperation } from '@parley/api';
import { fromBase64 } from '@parley/bytes';
import {
  compareHeadsWithProof,
  createSuite,
  decodeDistinguishedHead,
  decodeHeadConsistencyProof,
  encodeHeadConsistencyProof,
  verifyDistinguishedHead,
  type HeadState,
} from '@parley/keytrans';
import { ClientError } from '../src/errors.js';
import type { MemoryBackend } from '../src/storage.js';
import { KT_NAMESPACE, decodeState, encodeState } from '../src/transparency-store.js';
import type { KtTransport } from '../src/transparency-transport.js';
import { primitives } from './harness.js';
import { PERIOD_MS, ktClient, startSplitWorld, type SplitWorld } from './transparency-harness.js';

let world: SplitWorld;
before(async () => {
  world = await startSplitWorld();
});
after(async () => {
  await world.close();
});

const snapshot = (b: MemoryBackend, namespaces: readonly string[]) =>
  namespaces.map((ns) =>
    b.list(ns).map(([k, v]) => `${ns}/${k}=${Buffer.from(v).toString('hex')}`),
  );

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ClientError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const texts = (events: readonly { type: string }[]) =>
  events.flatMap((e) =>
    e.type === 'message' ? [(e as unknown as { message: { text: string } }).message.text] : [],
  );

test('split view: two users shown two logs under one key find the fork through gossip (KT_FORK, nothing changed)', async () => {
  const alice = ktClient(world.base);
  const bob = ktClient(world.base, { transport: () => world.otherTransport });
  await alice.client.register('split_alice');
  await bob.client.register('split_bob');
  await world.settle();
  // Freeze both logs at one size, so the two users' heads are comparable.
  world.pause(true);
  try {
    await bob.client.send('split_alice', 'from the second view');
    await alice.client.send('split_bob', 'from the first view');
    const aliceHead = alice.backend.get(KT_NAMESPACE, 'head');
    const bobHead = bob.backend.get(KT_NAMESPACE, 'head');
    assert.ok(aliceHead !== undefined && bobHead !== undefined);

    // The messages themselves are authentic and delivered; the heads they carry disagree.
    assert.deepEqual(texts(await alice.client.receive()), ['from the second view']);
    assert.deepEqual(texts(await bob.client.receive()), ['from the first view']);
    for (const [who, peer] of [
      [alice, 'split_bob'],
      [bob, 'split_alice'],
    ] as const) {
      const status = who.client.keyTransparencyStatus();
      const fork = status.fork;
      assert.ok(fork !== undefined, 'the fork is recorded');
      assert.equal(who.client.contactTransparency(peer), 'log forked');
      // The evidence: two heads of one size, both signed by the log, with different roots.
      const ctx = { suite: createSuite(primitives), config: world.log.config };
      const ours = decodeDistinguishedHead(fromBase64(fork.ours));
      const theirs = decodeDistinguishedHead(fromBase64(fork.theirs));
      assert.equal(ours.treeSize, fork.treeSize);
      assert.equal(theirs.treeSize, fork.treeSize);
      assert.notDeepEqual(ours.root, theirs.root);
      verifyDistinguishedHead(ctx, ours);
      verifyDistinguishedHead(ctx, theirs);
    }

    // From now on nothing is sent: the log is proven to lie. Nothing else changes.
    world.pause(false);
    await world.settle();
    const before = snapshot(alice.backend, ['keytrans', 'outbox', 'messages']);
    await rejectsWith(alice.client.send('split_bob', 'again'), 'KT_FORK');
    assert.deepEqual(snapshot(alice.backend, ['keytrans', 'outbox', 'messages']), before);
  } finally {
    world.pause(false);
  }
});

test('head equivocation seen by this device itself: a head contradicting a gossiped one is not adopted (KT_FORK)', async () => {
  // Carol's head-consistency queries are withheld, so only her own query can find the fork.
  const carol = ktClient(world.base, {
    transport: (inner) => ({
      config: (auth) => inner.config(auth),
      query: (auth, operation, body, what) =>
        operation === 'head-consistency'
          ? Promise.reject(new ClientError('KT_UNAVAILABLE', 'withheld'))
          : inner.query(auth, operation, body, what),
    }),
  });
  const dave = ktClient(world.base, { transport: () => world.otherTransport });
  await carol.client.register('eq_carol');
  await dave.client.register('eq_dave');
  await world.settle();
  // Carol looks Dave up (first view) before the size the test freezes at.
  await carol.client.send('eq_dave', 'hi');
  const carolSize = carol.client.keyTransparencyStatus().treeSize ?? 0;
  while (world.log.log.size <= carolSize) await new Promise((r) => setTimeout(r, PERIOD_MS));
  world.pause(true);
  try {
    // Dave's message carries the second view's head; Carol holds Dave's keys verified, so her
    // receive searches nothing: the head is kept for comparison, no fork yet.
    await dave.client.send('eq_carol', 'hello');
    assert.deepEqual(texts(await carol.client.receive()), ['hello']);
    assert.equal(carol.client.keyTransparencyStatus().fork, undefined);
    const headBefore = carol.backend.get(KT_NAMESPACE, 'head');
    const before = snapshot(carol.backend, ['outbox', 'messages']);
    // Carol's own monitoring at that size gets the first view's head: a fork, not adopted.
    await rejectsWith(carol.client.monitorKeyTransparency(), 'KT_FORK');
    assert.deepEqual(carol.backend.get(KT_NAMESPACE, 'head'), headBefore);
    assert.deepEqual(snapshot(carol.backend, ['outbox', 'messages']), before);
    const fork = carol.client.keyTransparencyStatus().fork;
    assert.ok(fork !== undefined);
    assert.equal(fork.from, undefined, "found by Carol's own query");
    assert.equal(fork.treeSize, world.log.log.size);
  } finally {
    world.pause(false);
  }
});

test('hostile account: a forged head in a message is ignored (no fork, no state), an honest one is kept', async () => {
  const erin = ktClient(world.base);
  const mallory = ktClient(world.base);
  await erin.client.register('forge_erin');
  await mallory.client.register('forge_mallory');
  await world.settle();
  await mallory.client.send('forge_erin', 'honest head');
  assert.deepEqual(texts(await erin.client.receive()), ['honest head']);
  const seen = erin.backend.list(KT_NAMESPACE).filter(([k]) => k.startsWith('seen:'));
  assert.ok(seen.length >= 1, "the contact's verified head is kept for comparison");

  // Mallory's modified client flips a bit of the log's signature in the head it gossips.
  const raw = mallory.backend.get(KT_NAMESPACE, 'head');
  assert.ok(raw !== undefined);
  const head = decodeState(raw) as { treeHead: { treeSize: number; signature: Uint8Array } };
  const signature = Uint8Array.from(head.treeHead.signature);
  signature[0] = (signature[0] ?? 0) ^ 1;
  mallory.backend.transact((w) => {
    w.put(
      KT_NAMESPACE,
      'head',
      encodeState({ ...head, treeHead: { ...head.treeHead, signature } }),
    );
  });
  const before = snapshot(erin.backend, ['keytrans']);
  await mallory.client.send('forge_erin', 'forged head');
  assert.deepEqual(texts(await erin.client.receive()), ['forged head']);
  assert.deepEqual(snapshot(erin.backend, ['keytrans']), before);
  assert.equal(erin.client.keyTransparencyStatus().fork, undefined);
});

/** A KT transport that counts (and may rewrite) the answers to head-consistency queries. */
function proofTap(inner: KtTransport) {
  const tap: {
    asked: number;
    rewrite: ((answer: Uint8Array) => Uint8Array) | undefined;
    transport: KtTransport;
  } = {
    asked: 0,
    rewrite: undefined,
    transport: {
      config: (auth) => inner.config(auth),
      async query(auth, operation: KtOperation, body, what) {
        const answer = await inner.query(auth, operation, body, what);
        if (operation !== 'head-consistency') return answer;
        tap.asked++;
        return tap.rewrite === undefined ? answer : tap.rewrite(answer);
      },
    } satisfies KtTransport,
  };
  return tap;
}

const treeSize = (b: MemoryBackend): number => {
  const raw = b.get(KT_NAMESPACE, 'head');
  assert.ok(raw !== undefined, 'a head is held');
  return (decodeState(raw) as HeadState).treeHead.treeSize;
};

async function growPast(size: number): Promise<void> {
  while (world.log.log.size <= size) await new Promise((r) => setTimeout(r, PERIOD_MS));
}

const seenHeads = (b: MemoryBackend) =>
  b
    .list(KT_NAMESPACE)
    .filter(([k]) => k.startsWith('seen:'))
    .map(([, v]) => decodeState(v) as { head: string; from?: string; checked?: number });

test("split view across sizes: the log's own consistency proof shows a gossiped head of another size is not in our history (KT_FORK at the next monitoring run, nothing changed)", async () => {
  let tap: ReturnType<typeof proofTap> | undefined;
  const alice = ktClient(world.base, {
    transport: (inner) => (tap = proofTap(inner)).transport,
  });
  const bob = ktClient(world.base, { transport: () => world.otherTransport });
  assert.ok(tap !== undefined, 'the tap is installed');
  await alice.client.register('sizes_alice');
  await bob.client.register('sizes_bob');
  await world.settle();
  // Alice pins the log and holds a head (a device with no log pinned yet ignores gossip); the log
  // grows past it, so no head of Alice's has the size of the one Bob gossips.
  await alice.client.monitorKeyTransparency();
  await growPast(treeSize(alice.backend));
  // Bob (second view) looks Alice up: his head has size b. The log grows before Alice looks Bob
  // up (first view) on receiving, so her head is larger: the two heads are of different sizes.
  await bob.client.send('sizes_alice', 'from the second view');
  await growPast(treeSize(bob.backend));
  assert.deepEqual(texts(await alice.client.receive()), ['from the second view']);
  const gossiped = seenHeads(alice.backend).find((h) => h.from !== undefined);
  assert.ok(gossiped !== undefined, "Bob's head is kept");
  assert.equal(gossiped.checked, undefined, 'not proven yet');
  const b = decodeDistinguishedHead(fromBase64(gossiped.head)).treeSize;
  const a = treeSize(alice.backend);
  assert.ok(a > b, `Alice's head (${a}) is larger than the gossiped one (${b})`);
  assert.equal(alice.client.keyTransparencyStatus().fork, undefined, 'not comparable yet');

  // A log that garbles the proof (here: one element too many) or withholds it cannot make the
  // head count as consistent: it stays unproven and the run reports it, with no fork and no
  // state but the run's record.
  tap.rewrite = (answer) =>
    encodeHeadConsistencyProof([...decodeHeadConsistencyProof(answer), new Uint8Array(32)]);
  const held = snapshot(alice.backend, ['outbox', 'messages']);
  const report = await alice.client.monitorKeyTransparency();
  const unproven = report.failed.filter((f) => f.label.startsWith(`head of size ${b} `));
  assert.deepEqual(
    unproven.map((f) => f.code),
    ['KT_PROOF_INVALID (PROOF_SHAPE)'],
  );
  assert.equal(alice.client.keyTransparencyStatus().fork, undefined);
  assert.ok(
    seenHeads(alice.backend).some((h) => h.from !== undefined && h.checked === undefined),
    "Bob's head is still unproven",
  );
  assert.deepEqual(snapshot(alice.backend, ['outbox', 'messages']), held);

  // The log's real proof: Bob's root is not the one the first view has at size b.
  tap.rewrite = undefined;
  const askedBefore = tap.asked;
  await rejectsWith(alice.client.monitorKeyTransparency(), 'KT_FORK');
  assert.ok(tap.asked > askedBefore, 'a head-consistency proof was fetched');
  const fork = alice.client.keyTransparencyStatus().fork;
  assert.ok(fork !== undefined, 'the fork is recorded');
  assert.equal(alice.client.contactTransparency('sizes_bob'), 'log forked');
  assert.equal(fork.treeSize, b);
  assert.ok(fork.from !== undefined, 'found through gossip');
  // The evidence checks out for anyone with the log's key: both heads are signed, and the log's
  // proof over the retained full subtrees of ours puts another root at size b.
  const ctx = { suite: createSuite(primitives), config: world.log.config };
  const ours = decodeDistinguishedHead(fromBase64(fork.ours));
  const theirs = decodeDistinguishedHead(fromBase64(fork.theirs));
  verifyDistinguishedHead(ctx, ours);
  verifyDistinguishedHead(ctx, theirs);
  assert.equal(theirs.treeSize, b);
  assert.ok(ours.treeSize > b, 'ours is the larger head');
  const evidence = fork.consistency;
  assert.ok(evidence !== undefined, 'the proof is kept');
  const own = {
    treeHead: { treeSize: ours.treeSize },
    fullSubtrees: evidence.fullSubtrees.map(fromBase64),
  } as unknown as HeadState;
  assert.equal(
    compareHeadsWithProof(ctx.suite, own, theirs, evidence.proof.map(fromBase64)),
    'fork',
  );

  // From now on nothing is sent; nothing else changes.
  const before = snapshot(alice.backend, ['keytrans', 'outbox', 'messages']);
  await rejectsWith(alice.client.send('sizes_bob', 'again'), 'KT_FORK');
  assert.deepEqual(snapshot(alice.backend, ['keytrans', 'outbox', 'messages']), before);
});

test('honest growing log: gossiped heads of other sizes are proven consistent once, nothing raised', async () => {
  let tap: ReturnType<typeof proofTap> | undefined;
  const frank = ktClient(world.base, {
    transport: (inner) => (tap = proofTap(inner)).transport,
  });
  const grace = ktClient(world.base);
  assert.ok(tap !== undefined, 'the tap is installed');
  await frank.client.register('grow_frank');
  await grace.client.register('grow_grace');
  await world.settle();
  await frank.client.monitorKeyTransparency();
  await growPast(treeSize(frank.backend));
  await grace.client.send('grow_frank', 'one');
  const g = treeSize(grace.backend);
  await growPast(g);
  assert.deepEqual(texts(await frank.client.receive()), ['one']);
  assert.ok(treeSize(frank.backend) > g, "Frank's head is larger");
  // Frank answers; Grace's head (older, from before his) is in his history and vice versa.
  await frank.client.send('grow_grace', 'two');
  assert.deepEqual(texts(await grace.client.receive()), ['two']);

  const first = await frank.client.monitorKeyTransparency();
  assert.deepEqual(first.failed, []);
  assert.ok(tap.asked >= 1, 'the head of another size was proven');
  assert.equal(frank.client.keyTransparencyStatus().fork, undefined);
  const proven = seenHeads(frank.backend).filter((h) => h.from !== undefined);
  assert.ok(proven.length >= 1, "Grace's head is kept");
  for (const h of proven) assert.ok(h.checked !== undefined, 'marked proven');
  // A head smaller than ours, once proven, stays proven: the next run asks nothing.
  const asked = tap.asked;
  const second = await frank.client.monitorKeyTransparency();
  assert.deepEqual(second.failed, []);
  assert.equal(tap.asked, asked);

  const graceReport = await grace.client.monitorKeyTransparency();
  assert.deepEqual(graceReport.failed, []);
  assert.equal(grace.client.keyTransparencyStatus().fork, undefined);
  await frank.client.send('grow_grace', 'three');
  assert.deepEqual(texts(await grace.client.receive()), ['three']);
});
