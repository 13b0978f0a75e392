// Gossip of the log's signed heads inside end-to-end messages: a log operator showing two users
// two views (a split view: one signing key, two histories) is caught when their messages carry
// heads of one size with two roots; the fork is stored with both signed heads, sending stops
// with KT_FORK and changes nothing; a contact's forged head changes nothing and is no fork.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fromBase64 } from '@parley/bytes';
import { createSuite, decodeDistinguishedHead, verifyDistinguishedHead } from '@parley/keytrans';
import { ClientError } from '../src/errors.js';
import type { MemoryBackend } from '../src/storage.js';
import { KT_NAMESPACE, decodeState, encodeState } from '../src/transparency-store.js';
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
  const carol = ktClient(world.base);
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
