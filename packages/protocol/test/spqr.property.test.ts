/**
 * Properties of the SPQR braid between two of our parties: under random loss, delay and
 * reordering both sides derive the same key for every delivered message, no key is ever used
 * twice, and the epochs advance; replayed messages and forged chunks are refused and change
 * nothing (a refused message leaves the state value as it was; the caller keeps the old one).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  encodeSpqrMessage,
  parseSpqrMessage,
  spqrEpochs,
  spqrInit,
  spqrRecv,
  spqrSend,
  SpqrMessageType,
  type SpqrState,
} from '@parley/protocol';

const p = createNodePrimitives();
const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 12);

interface Flight {
  readonly message: Uint8Array;
  readonly key: Uint8Array;
  readonly due: number;
}

function pair(): [SpqrState, SpqrState] {
  const pqr = p.randomBytes(32);
  return [spqrInit(p, pqr, true), spqrInit(p, pqr, false)];
}

test('random loss, delay and reordering: the same key on both ends, no key twice, epochs advance', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          fromA: fc.boolean(),
          fate: fc.constantFrom('deliver', 'deliver', 'deliver', 'drop', 'delay'),
          wait: fc.nat({ max: 8 }),
        }),
        { minLength: 500, maxLength: 700 },
      ),
      (steps) => {
        let [a, b] = pair();
        const toB: Flight[] = [];
        const toA: Flight[] = [];
        const used = new Set<string>();
        let delivered = 0;
        const receive = (at: SpqrState, f: Flight): SpqrState => {
          const got = spqrRecv(p, at, f.message);
          assert.ok(got, 'a delivered message is accepted');
          assert.deepEqual(got.key, f.key, 'both ends derive the same key');
          delivered++;
          return got.state;
        };
        steps.forEach((s, i) => {
          const sent = spqrSend(p, s.fromA ? a : b);
          if (s.fromA) a = sent.state;
          else b = sent.state;
          const key = toHex(sent.key);
          assert.ok(!used.has(key), 'no key is used twice');
          used.add(key);
          if (s.fate === 'drop') return;
          const f = {
            message: sent.message,
            key: sent.key,
            due: i + (s.fate === 'delay' ? s.wait : 0),
          };
          (s.fromA ? toB : toA).push(f);
          // Deliver what is due, latest-due first among equals, so delays reorder.
          for (const [queue, toSideA] of [
            [toB, false],
            [toA, true],
          ] as const) {
            const due = queue.filter((q) => q.due <= i).reverse();
            for (const q of due) {
              queue.splice(queue.indexOf(q), 1);
              if (toSideA) a = receive(a, q);
              else b = receive(b, q);
            }
          }
        });
        assert.ok(delivered > 200);
        const ea = spqrEpochs(a);
        const eb = spqrEpochs(b);
        assert.ok(Math.min(ea.braid, eb.braid) >= 2, `epochs ${ea.braid}/${eb.braid}`);
      },
    ),
    { numRuns: RUNS, seed: Number(process.env['PROPERTY_SEED'] ?? 1919) },
  );
});

/** Runs a strict ping-pong until `a` is about to send a message of `type`, then returns both. */
function until(type: SpqrMessageType, from: 'a' | 'b'): { a: SpqrState; b: SpqrState } {
  let [a, b] = pair();
  for (let i = 0; i < 400; i++) {
    for (const side of ['a', 'b'] as const) {
      const sender = side === 'a' ? a : b;
      const probe = parseSpqrMessage(spqrSend(p, sender).message);
      if (side === from && probe?.type === type && probe.epoch >= 2) return { a, b };
      const sent = spqrSend(p, sender);
      const got = spqrRecv(p, side === 'a' ? b : a, sent.message);
      assert.ok(got);
      if (side === 'a') [a, b] = [sent.state, got.state];
      else [b, a] = [sent.state, got.state];
    }
  }
  throw new Error(`no ${type} message in 400 rounds`);
}

test('a replayed SPQR message is refused and changes nothing', () => {
  let [a, b] = pair();
  for (let i = 0; i < 120; i++) {
    const sent = spqrSend(p, a);
    a = sent.state;
    const got = spqrRecv(p, b, sent.message);
    assert.ok(got);
    b = got.state;
    assert.equal(spqrRecv(p, b, sent.message), undefined, `replay ${i}`);
    const back = spqrSend(p, b);
    b = back.state;
    const gotBack = spqrRecv(p, a, back.message);
    assert.ok(gotBack);
    a = gotBack.state;
  }
});

test('forged header, key and ciphertext chunks are refused when their payload completes', () => {
  for (const [type, from] of [
    [SpqrMessageType.Hdr, 'a'],
    [SpqrMessageType.Ek, 'a'],
    [SpqrMessageType.Ct2, 'b'],
  ] as const) {
    const { a, b } = until(type, from);
    let [sender, receiver] = from === 'a' ? [a, b] : [b, a];
    let refused = false;
    for (let i = 0; i < 80 && !refused; i++) {
      const sent = spqrSend(p, sender);
      sender = sent.state;
      const m = parseSpqrMessage(sent.message);
      assert.ok(m);
      const forged =
        m.chunk === undefined || m.type !== type
          ? sent.message
          : encodeSpqrMessage({ ...m, chunk: { index: m.chunk.index, data: p.randomBytes(32) } });
      const before = receiver;
      const got = spqrRecv(p, receiver, forged);
      if (got === undefined) {
        refused = true;
        assert.equal(receiver, before, 'a refused message leaves the state');
      } else receiver = got.state;
    }
    assert.ok(refused, `a forged ${type} payload was refused`);
  }
});

test('SPQR fields that are empty, version 0 or malformed are refused; a later version is ignored', () => {
  const [, b] = pair();
  for (const bad of [[], [0], [0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 9], [1, 1, 1, 1, 0]])
    assert.equal(spqrRecv(p, b, Uint8Array.from(bad)), undefined, JSON.stringify(bad));
  const later = spqrRecv(p, b, Uint8Array.of(2, 1, 1, 0));
  assert.ok(later);
  assert.equal(later.state, b);
  assert.equal(later.key.length, 0, 'no SPQR salt, as libsignal');
});
