/**
 * @parley/protocol against libsignal-client 0.103.0 (issue 3's interop list), in process,
 * through the same PeerParty interface the JSON-lines peers serve.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtoReader, toHex } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { createNodePrimitives } from '@parley/primitives-node';
import type { PeerParty } from '@parley/interop-peer/peer-protocol';
import { OurParty } from '@parley/interop-peer/our-party';
import { ProtocolError, addressesBinding, parsePreKeySignalMessage } from '@parley/protocol';
import { backends } from './backends.js';
import { LibsignalPeerParty } from './libsignal-peer-party.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

type Message = { type: 2 | 3; ciphertext: Uint8Array };

async function send(from: PeerParty, to: PeerParty, text: string): Promise<Message> {
  return from.encrypt(to.address, enc(text));
}

async function receive(to: PeerParty, from: PeerParty, m: Message): Promise<string> {
  return dec(await to.decrypt(from.address, m.type, m.ciphertext));
}

async function roundTrip(from: PeerParty, to: PeerParty, text: string): Promise<void> {
  assert.equal(await receive(to, from, await send(from, to, text)), text);
}

/** `initiator` starts a session from `responder`'s bundle; one exchange each way. */
async function establish(initiator: PeerParty, responder: PeerParty, oneTime = true) {
  await initiator.processBundle(await responder.bundle(oneTime));
  await roundTrip(initiator, responder, 'hello');
  await roundTrip(responder, initiator, 'hello back');
}

function snapshot(party: OurParty): string {
  const s = party.stores;
  return JSON.stringify({
    sessions: [...s.sessions.records].map(([k, v]) => [k, toHex(v)]),
    preKeys: [...s.preKeys.records.keys()],
    kyber: [...s.kyberPreKeys.records.keys()],
  });
}

/**
 * The bit range of a PreKeySignalMessage's `registration_id` field (tag and varint). The
 * protocol does not authenticate it (libsignal accepts a changed one too), so a flip there is
 * not a modification the receiver can detect.
 */
function registrationIdBits(bytes: Uint8Array): [number, number] {
  const inner = parsePreKeySignalMessage(bytes).message.serialized;
  const end = toHex(bytes).indexOf(toHex(inner)) / 2 + inner.length;
  assert.equal(bytes[end], 0x28, 'field 5 follows the inner message');
  let last = end + 1;
  while ((bytes[last] ?? 0) >= 0x80) last++;
  return [end * 8, (last + 1) * 8];
}

function pairs(p: Primitives): [string, () => [PeerParty, PeerParty]][] {
  return [
    ['ours → libsignal', () => [OurParty.create(p), new LibsignalPeerParty()]],
    ['libsignal → ours', () => [new LibsignalPeerParty(), OurParty.create(p)]],
  ];
}

const node = createNodePrimitives();

for (const p of backends) {
  for (const [direction, make] of pairs(p)) {
    const name = `${p.backend}: ${direction}: `;

    test(`${name}session from a bundle with and without a one-time prekey, messages both ways`, async () => {
      for (const oneTime of [true, false]) {
        const [a, b] = make();
        await a.processBundle(await b.bundle(oneTime));
        const first = await send(a, b, 'first');
        assert.equal(first.type, 3);
        assert.equal(parsePreKeySignalMessage(first.ciphertext).preKeyId !== undefined, oneTime);
        assert.equal(await receive(b, a, first), 'first');
        const reply = await send(b, a, 'reply');
        assert.equal(reply.type, 2);
        assert.equal(await receive(a, b, reply), 'reply');
        await roundTrip(a, b, 'after reply');
        assert.equal(await a.hasSession(b.address), true);
        assert.equal(await b.hasSession(a.address), true);
      }
    });

    test(`${name}PreKey messages delivered out of order`, async () => {
      const [a, b] = make();
      await a.processBundle(await b.bundle(true));
      const ms = [await send(a, b, 'p0'), await send(a, b, 'p1'), await send(a, b, 'p2')];
      assert.deepEqual(
        ms.map((m) => m.type),
        [3, 3, 3],
      );
      for (const i of [2, 0, 1]) {
        const m = ms[i];
        assert.ok(m);
        assert.equal(await receive(b, a, m), `p${i}`);
      }
      await roundTrip(b, a, 'ack');
    });

    test(`${name}ping-pong of 100 (DH steps, archived chains) and a reversed burst of 30`, async () => {
      const [a, b] = make();
      await establish(a, b);
      for (let i = 0; i < 100; i++) {
        if (i % 2 === 0) await roundTrip(a, b, `ping ${i}`);
        else await roundTrip(b, a, `pong ${i}`);
      }
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const burst: Message[] = [];
        for (let i = 0; i < 30; i++) burst.push(await send(from, to, `burst ${i}`));
        for (let i = 29; i >= 0; i--) {
          const m = burst[i];
          assert.ok(m);
          assert.equal(await receive(to, from, m), `burst ${i}`);
        }
      }
    });

    test(`${name}simultaneous initiation converges`, async () => {
      const [a, b] = make();
      const [bundleA, bundleB] = [await a.bundle(true), await b.bundle(true)];
      await a.processBundle(bundleB);
      await b.processBundle(bundleA);
      const fromA = await send(a, b, 'a first');
      const fromB = await send(b, a, 'b first');
      assert.deepEqual([fromA.type, fromB.type], [3, 3]);
      assert.equal(await receive(b, a, fromA), 'a first');
      assert.equal(await receive(a, b, fromB), 'b first');
      for (let i = 0; i < 6; i++) {
        await roundTrip(a, b, `a ${i}`);
        await roundTrip(b, a, `b ${i}`);
      }
      assert.equal((await send(a, b, 'settled')).type, 2);
    });

    test(`${name}replay is rejected on both sides`, async () => {
      const [a, b] = make();
      await establish(a, b);
      const m = await send(a, b, 'once');
      assert.equal(await receive(b, a, m), 'once');
      await assert.rejects(receive(b, a, m));
      const n = await send(b, a, 'once back');
      assert.equal(await receive(a, b, n), 'once back');
      await assert.rejects(receive(a, b, n));
    });
  }

  test(`${p.backend}: a flipped bit anywhere in a libsignal message is rejected with no state change`, async () => {
    const lib = new LibsignalPeerParty();
    const ours = OurParty.create(p);
    await lib.processBundle(await ours.bundle(true));
    for (const stage of ['prekey', 'whisper']) {
      if (stage === 'whisper') await roundTrip(ours, lib, 'reply');
      const m = await send(lib, ours, stage);
      const before = snapshot(ours);
      const bits = m.ciphertext.length * 8;
      const step = stage === 'prekey' ? 7 : 1;
      const [skipFrom, skipTo] = m.type === 3 ? registrationIdBits(m.ciphertext) : [0, 0];
      for (let bit = 0; bit < bits; bit += step) {
        if (bit >= skipFrom && bit < skipTo) continue;
        const bytes = m.ciphertext.slice();
        bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        await assert.rejects(ours.decrypt(lib.address, m.type, bytes), (e: unknown) => {
          assert.ok(e instanceof ProtocolError, `bit ${bit}: ${String(e)}`);
          return true;
        });
        assert.equal(snapshot(ours), before, `bit ${bit} changed state`);
      }
      assert.equal(await receive(ours, lib, m), stage);
    }
  });
}

test('wire layout: both sides write fields in ascending order and the same SPQR framing', async () => {
  const tags = (bytes: Uint8Array): number[] =>
    [...new ProtoReader(bytes.subarray(1))].map((f) => f.fieldNumber);
  for (const [a, b] of [
    [OurParty.create(node), new LibsignalPeerParty()],
    [new LibsignalPeerParty(), OurParty.create(node)],
  ] as const) {
    await a.processBundle(await b.bundle(true));
    const first = await send(a, b, 'first');
    assert.deepEqual(tags(first.ciphertext), [1, 2, 3, 4, 5, 6, 7, 8]);
    const outer = parsePreKeySignalMessage(first.ciphertext);
    const inner = outer.message.serialized;
    assert.deepEqual(tags(inner.subarray(0, inner.length - 8)), [1, 2, 3, 4, 5, 6]);
    // The addresses binding is exactly (sender, recipient) as both sides compute it.
    assert.deepEqual(outer.message.addresses, addressesBinding(a.address, b.address));
    // SPQR V1, epoch 1, index 1 (libsignal sends a Hdr chunk, we send None).
    assert.deepEqual([...outer.message.pqRatchet.subarray(0, 3)], [1, 1, 1]);
    assert.equal(await receive(b, a, first), 'first');
    const reply = await send(b, a, 'reply');
    assert.deepEqual(
      tags(reply.ciphertext.subarray(0, reply.ciphertext.length - 8)),
      [1, 2, 3, 4, 5],
    );
  }
});

test('node: a flipped bit in our message is rejected by libsignal, which then accepts the original', async () => {
  const ours = OurParty.create(node);
  const lib = new LibsignalPeerParty();
  await establish(ours, lib);
  const m = await send(ours, lib, 'intact');
  for (let bit = 0; bit < m.ciphertext.length * 8; bit += 7) {
    const bytes = m.ciphertext.slice();
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
    await assert.rejects(lib.decrypt(ours.address, m.type, bytes));
  }
  assert.equal(await receive(lib, ours, m), 'intact');
});

/** Sends `skip` messages that are never delivered, then one that is; returns it and the last lost one. */
async function skipThenSend(
  from: PeerParty,
  to: PeerParty,
  skip: number,
): Promise<{ delivered: Message; lastLost: Message | undefined }> {
  let lastLost: Message | undefined;
  for (let i = 0; i < skip; i++) lastLost = await from.encrypt(to.address, enc('lost'));
  return { delivered: await send(from, to, `after ${skip}`), lastLost };
}

for (const [direction, make] of pairs(node)) {
  test(`node: ${direction}: a skip of 2,000 keeps every skipped key`, async () => {
    const [a, b] = make();
    await establish(a, b);
    const kept: Message[] = [];
    for (let i = 0; i < 2000; i++) kept.push(await send(a, b, `k${i}`));
    assert.equal(await receive(b, a, await send(a, b, 'last')), 'last');
    for (const i of [1999, 0, 1000]) {
      const m = kept[i];
      assert.ok(m);
      assert.equal(await receive(b, a, m), `k${i}`);
    }
  });
}

/**
 * The forward-jump limit is 25,000 (libsignal MAX_FORWARD_JUMPS and SPQR's max_jump). SPQR's
 * index counts the delivered message too, so in an established session the 25,000th message
 * after the last one received is accepted and the 25,001st is not: 24,999 lost messages are the
 * most a receiver survives. libsignal ↔ libsignal is the control that shows this is libsignal's
 * own behaviour.
 */
for (const [direction, make] of [
  ...pairs(node),
  [
    'libsignal → libsignal',
    (): [PeerParty, PeerParty] => [new LibsignalPeerParty(), new LibsignalPeerParty()],
  ] as const,
]) {
  test(`node: ${direction}: a jump of 25,000 is accepted, of 25,001 rejected`, async () => {
    const [a, b] = make();
    await establish(a, b);
    assert.equal(await receive(b, a, (await skipThenSend(a, b, 24_999)).delivered), 'after 24999');
    await roundTrip(b, a, 'new chain');
    const { delivered, lastLost } = await skipThenSend(a, b, 25_000);
    await assert.rejects(receive(b, a, delivered));
    // The rejection changed nothing: the message one step closer is exactly within reach.
    assert.ok(lastLost);
    assert.equal(await receive(b, a, lastLost), 'lost');
  });
}
