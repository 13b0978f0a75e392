import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNodePrimitives } from '@parley/primitives-node';
import { createNoblePrimitives } from '@parley/primitives-noble';
import {
  ProtocolError,
  parsePreKeySignalMessage,
  parseSignalMessage,
  type EncryptedMessage,
} from '@parley/protocol';
import { Party } from './party.js';

const backends = [createNodePrimitives(), createNoblePrimitives()];

function rejects(code: string) {
  return (e: unknown) => e instanceof ProtocolError && e.code === code;
}

for (const p of backends) {
  const name = `${p.backend}: `;

  test(`${name}first messages are PreKey messages until the reply, then Whisper`, async () => {
    const alice = new Party(p);
    const bob = new Party(p);
    await alice.connect(bob);
    const m1 = await alice.send(bob, 'one');
    const m2 = await alice.send(bob, 'two');
    assert.equal(m1.type, 3);
    assert.equal(m2.type, 3);
    const pk1 = parsePreKeySignalMessage(m1.serialized);
    const pk2 = parsePreKeySignalMessage(m2.serialized);
    assert.deepEqual(pk1.baseKey, pk2.baseKey);
    assert.equal(pk1.message.addresses?.length, 36);
    // Out of order: the second (after the one-time prekey is gone) first.
    assert.equal(await bob.receive(alice, m2), 'two');
    assert.equal(await bob.receive(alice, m1), 'one');
    const reply = await bob.send(alice, 'reply');
    assert.equal(reply.type, 2);
    assert.equal(await alice.receive(bob, reply), 'reply');
    const m3 = await alice.send(bob, 'three');
    assert.equal(m3.type, 2);
    assert.equal(parseSignalMessage(m3.serialized).addresses, undefined);
    assert.equal(await bob.receive(alice, m3), 'three');
  });

  test(`${name}ping-pong of 60 with DH steps, and bundles without a one-time prekey`, async () => {
    const alice = new Party(p);
    const bob = new Party(p);
    await alice.connect(bob, false);
    for (let i = 0; i < 60; i++) {
      const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
      assert.equal(await to.receive(from, await from.send(to, `m${i}`)), `m${i}`);
    }
  });

  test(`${name}replay is DUPLICATE_MESSAGE and changes nothing`, async () => {
    const alice = new Party(p);
    const bob = new Party(p);
    await alice.connect(bob);
    const m = await alice.send(bob, 'x');
    await bob.receive(alice, m);
    const before = bob.snapshot();
    await assert.rejects(bob.receive(alice, m), rejects('DUPLICATE_MESSAGE'));
    assert.equal(bob.snapshot(), before);
  });

  test(`${name}a flipped bit anywhere fails with a typed error and changes nothing`, async () => {
    const alice = new Party(p);
    const bob = new Party(p);
    await alice.connect(bob);
    await bob.receive(alice, await alice.send(bob, 'hello'));
    await alice.receive(bob, await bob.send(alice, 'hi'));
    const m = await alice.send(bob, 'secret');
    const before = bob.snapshot();
    for (let bit = 0; bit < m.serialized.length * 8; bit += 3) {
      const bytes = m.serialized.slice();
      bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      await assert.rejects(bob.receive(alice, { type: 2, serialized: bytes }), (e: unknown) => {
        assert.ok(e instanceof ProtocolError, String(e));
        return true;
      });
      assert.equal(bob.snapshot(), before);
    }
    assert.equal(await bob.receive(alice, m), 'secret');
  });

  test(`${name}simultaneous initiation converges through archived states`, async () => {
    const alice = new Party(p);
    const bob = new Party(p);
    await alice.connect(bob);
    await bob.connect(alice);
    const a1 = await alice.send(bob, 'a1');
    const b1 = await bob.send(alice, 'b1');
    assert.equal(await bob.receive(alice, a1), 'a1');
    assert.equal(await alice.receive(bob, b1), 'b1');
    // Both now hold two states; keep talking until one session wins on both sides.
    for (let i = 0; i < 6; i++) {
      assert.equal(await bob.receive(alice, await alice.send(bob, `a${i}`)), `a${i}`);
      assert.equal(await alice.receive(bob, await bob.send(alice, `b${i}`)), `b${i}`);
    }
  });

  test(`${name}reversed burst of 30 and a skip of 2,000`, async () => {
    const alice = new Party(p);
    const bob = new Party(p);
    await alice.connect(bob);
    await bob.receive(alice, await alice.send(bob, 'start'));
    await alice.receive(bob, await bob.send(alice, 'ok'));
    const burst: EncryptedMessage[] = [];
    for (let i = 0; i < 30; i++) burst.push(await alice.send(bob, `b${i}`));
    for (let i = 29; i >= 0; i--) {
      const m = burst[i];
      assert.ok(m);
      assert.equal(await bob.receive(alice, m), `b${i}`);
    }
    const skipped: EncryptedMessage[] = [];
    for (let i = 0; i < 2001; i++) skipped.push(await alice.send(bob, `s${i}`));
    const last = skipped[2000];
    const first = skipped[0];
    const second = skipped[1];
    assert.ok(last && first && second);
    assert.equal(await bob.receive(alice, last), 's2000');
    // 2,000 keys kept: s0..s1999 all decrypt; none is older than the window.
    assert.equal(await bob.receive(alice, first), 's0');
    assert.equal(await bob.receive(alice, second), 's1');
  });
}

test('node: a message encrypted to one party does not decrypt at another', async () => {
  const p = createNodePrimitives();
  const alice = new Party(p);
  const bob = new Party(p);
  const carol = new Party(p);
  await alice.connect(bob);
  await assert.rejects(
    carol.receive(alice, await alice.send(bob, 'x')),
    rejects('INVALID_PREKEY_ID'),
  );
});

/** A deterministic randomness source: SHA-256 in counter mode over a seed (test only). */
function seededRandom(seed: number): (length: number) => Uint8Array {
  const hash = createNodePrimitives();
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 32) {
      const block = hash.hash('sha256', Uint8Array.of(seed, counter >> 8, counter & 0xff, 0));
      counter++;
      out.set(block.subarray(0, Math.min(32, length - i)), i);
    }
    return out;
  };
}

test('noble with a seeded random source: two runs produce identical bytes (no hidden randomness or clock)', async () => {
  async function run(): Promise<string[]> {
    const p = createNoblePrimitives({ randomBytes: seededRandom(7) });
    const alice = new Party(p, '00000000-0000-4000-8000-00000000000a');
    const bob = new Party(p, '00000000-0000-4000-8000-00000000000b');
    const wire: string[] = [];
    await alice.connect(bob);
    for (let i = 0; i < 4; i++) {
      const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
      const m = await from.send(to, `m${i}`);
      wire.push(Buffer.from(m.serialized).toString('hex'));
      assert.equal(await to.receive(from, m), `m${i}`);
    }
    wire.push(alice.snapshot(), bob.snapshot());
    return wire;
  }
  const [first, second] = [await run(), await run()];
  assert.deepEqual(first, second);
  assert.equal(new Set(first).size, first.length, 'every message differs');
});
