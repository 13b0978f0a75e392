/**
 * Property: any interleaving of sends and any delivery order within the limits decrypts every
 * message exactly once, in both directions, from the first PreKey message on; a second delivery
 * of any message is DUPLICATE_MESSAGE.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createNodePrimitives } from '@parley/primitives-node';
import { ProtocolError, type EncryptedMessage } from '@parley/protocol';
import { Party } from './party.js';

const p = createNodePrimitives();

interface InFlight {
  readonly from: Party;
  readonly to: Party;
  readonly text: string;
  readonly message: EncryptedMessage;
}

const step = fc.record({
  kind: fc.constantFrom('sendA', 'sendB', 'deliver', 'deliver'),
  pick: fc.nat(),
});

test('every delivery order decrypts every message exactly once (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 80 }),
      fc.boolean(),
      async (steps, finalOrder, oneTime) => {
        const alice = new Party(p);
        const bob = new Party(p);
        await alice.connect(bob, oneTime);
        const pending: InFlight[] = [];
        const delivered: InFlight[] = [];
        const bobState = { canSend: false };
        let n = 0;
        const deliver = async (at: number) => {
          const [m] = pending.splice(at % pending.length, 1);
          assert.ok(m);
          assert.equal(await m.to.receive(m.from, m.message), m.text);
          if (m.to === bob) bobState.canSend = true;
          delivered.push(m);
        };
        for (const s of steps) {
          if (s.kind === 'sendA' || (s.kind === 'sendB' && bobState.canSend)) {
            const [from, to] = s.kind === 'sendA' ? [alice, bob] : [bob, alice];
            const text = `${s.kind} ${n++}`;
            pending.push({ from, to, text, message: await from.send(to, text) });
          } else if (pending.length > 0) {
            await deliver(s.pick);
          }
        }
        for (const pick of finalOrder) if (pending.length > 0) await deliver(pick);
        while (pending.length > 0) await deliver(0);
        for (const m of delivered) {
          await assert.rejects(
            m.to.receive(m.from, m.message),
            (e: unknown) => e instanceof ProtocolError && e.code === 'DUPLICATE_MESSAGE',
          );
        }
      },
    ),
    { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 40) },
  );
});
