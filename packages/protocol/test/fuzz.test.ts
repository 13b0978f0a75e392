/**
 * Fuzzing: every parser over random bytes, and real messages mutated at random, must end in a
 * ProtocolError (or a valid parse) and never change state. `FUZZ_RUNS=100000 npm test --
 * packages/protocol/test/fuzz` runs a long session (see the package README).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  deserializeIdentityKeyPair,
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSessionRecord,
  deserializeSignedPreKeyRecord,
  parsePreKeySignalMessage,
  parseSignalMessage,
  parseSpqrMessage,
  spqrInit,
  spqrRecv,
  spqrSend,
} from '@parley/protocol';
import { Party } from './party.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const p = createNodePrimitives();

function onlyProtocolErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `unexpected ${String(error)}`);
  }
}

const parsers: [string, (b: Uint8Array) => unknown][] = [
  ['SignalMessage', parseSignalMessage],
  ['PreKeySignalMessage', parsePreKeySignalMessage],
  ['session record', deserializeSessionRecord],
  ['SPQR message', parseSpqrMessage],
  ['identity key pair', deserializeIdentityKeyPair],
  ['prekey record', deserializePreKeyRecord],
  ['signed prekey record', deserializeSignedPreKeyRecord],
  ['Kyber prekey record', deserializeKyberPreKeyRecord],
];

for (const [name, parse] of parsers) {
  test(`fuzz: ${name} parser throws only ProtocolError on random input`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom(0x44, 0x01, 0x00),
        (b, first) => {
          onlyProtocolErrors(() => parse(b));
          const withVersion = Uint8Array.of(first, ...b);
          onlyProtocolErrors(() => parse(withVersion));
        },
      ),
      { numRuns: RUNS },
    );
  });
}

test('fuzz: mutated real session records parse or fail with INVALID_RECORD', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  await alice.connect(bob);
  await bob.receive(alice, await alice.send(bob, 'hi'));
  await alice.send(bob, 'skipped');
  await bob.receive(alice, await alice.send(bob, 'after a skip'));
  const records = [
    ...bob.stores.sessions.records.values(),
    ...alice.stores.sessions.records.values(),
  ];
  fc.assert(
    fc.property(
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
      fc.nat(),
      (which, sets, cut) => {
        const original = records[which % records.length];
        assert.ok(original);
        const bytes = original.slice(0, original.length - (cut % 3 === 0 ? cut % 50 : 0));
        for (const [at, value] of sets) bytes[at % bytes.length] = value;
        try {
          deserializeSessionRecord(bytes);
        } catch (error) {
          assert.ok(
            error instanceof ProtocolError && error.code === 'INVALID_RECORD',
            String(error),
          );
        }
      },
    ),
    { numRuns: RUNS },
  );
});

type Mutation = {
  at: number;
  kind: 'flip' | 'set' | 'truncate' | 'insert' | 'delete';
  value: number;
};

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === 'flip') out[at] = (out[at] ?? 0) ^ (1 << (m.value & 7));
    else if (m.kind === 'set') out[at] = m.value & 0xff;
    else if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'insert')
      out = Uint8Array.of(...out.subarray(0, at), m.value & 0xff, ...out.subarray(at));
    else out = Uint8Array.of(...out.subarray(0, at), ...out.subarray(at + 1));
  }
  return out;
}

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>('flip', 'set', 'truncate', 'insert', 'delete'),
  value: fc.nat({ max: 255 }),
});

test('fuzz: mutated real messages fail with a ProtocolError and change no state', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  await alice.connect(bob);
  await bob.receive(alice, await alice.send(bob, 'first'));
  const preKey = await alice.send(bob, 'second prekey');
  await alice.receive(bob, await bob.send(alice, 'reply'));
  const whisper = await alice.send(bob, 'whisper');
  const samples = [preKey, whisper];
  await fc.assert(
    fc.asyncProperty(
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.constantFrom<2 | 3>(2, 3),
      fc.nat(),
      async (mutations, type, which) => {
        const original = samples[which % samples.length];
        assert.ok(original);
        const bytes = mutate(original.serialized, mutations);
        const o = original.serialized;
        if (
          type === original.type &&
          bytes.length === o.length &&
          bytes.every((b, i) => b === o[i])
        ) {
          return; // the mutations cancelled out: this is the original message, not a fuzz case
        }
        const before = bob.snapshot();
        let plaintext: string | undefined;
        try {
          plaintext = await bob.receive(alice, { type, serialized: bytes });
        } catch (error) {
          assert.ok(error instanceof ProtocolError, `unexpected ${String(error)}`);
          assert.equal(bob.snapshot(), before);
        }
        if (plaintext !== undefined) {
          // A repeated PreKey message is matched by its base key and decrypted by its inner
          // (MAC-protected) message; its other outer fields (prekey ids, registration id, Kyber
          // ciphertext) are not used again, exactly as in libsignal. So a mutation may only
          // succeed if base key, identity key and inner message are untouched.
          assert.equal(original, preKey, 'a mutated Whisper message decrypted');
          assert.equal(type, 3);
          const parsed = parsePreKeySignalMessage(bytes);
          const o = parsePreKeySignalMessage(preKey.serialized);
          assert.deepEqual(parsed.baseKey, o.baseKey);
          assert.deepEqual(parsed.identityKey, o.identityKey);
          assert.deepEqual(parsed.message.serialized, o.message.serialized);
          assert.equal(plaintext, 'second prekey');
          bob.restore(before);
        }
      },
    ),
    { numRuns: RUNS },
  );
  assert.equal(await bob.receive(alice, preKey), 'second prekey');
  assert.equal(await bob.receive(alice, whisper), 'whisper');
});

test('fuzz: format-2 and -3 records mid-braid, mutated or cut, parse or throw only ProtocolError', () => {
  const records = ['session-record-v2.json', 'session-record-v3.json'].flatMap((name) => {
    const fixture = JSON.parse(
      readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'),
    ) as { bob_record_hex: string; alice_record_hex: string };
    return [fromHex(fixture.bob_record_hex), fromHex(fixture.alice_record_hex)];
  });
  fc.assert(
    fc.property(
      fc.constantFrom(...records),
      fc.nat(),
      fc.nat({ max: 255 }),
      fc.boolean(),
      (record, at, value, cut) => {
        const b = record.slice();
        const i = at % b.length;
        if (cut) onlyProtocolErrors(() => deserializeSessionRecord(b.subarray(0, i)));
        b[i] = value;
        onlyProtocolErrors(() => deserializeSessionRecord(b));
      },
    ),
    { numRuns: RUNS },
  );
});

test('fuzz: SPQR receive on random and mutated messages never throws', () => {
  const pqr = p.randomBytes(32);
  let a = spqrInit(p, pqr, true);
  let b = spqrInit(p, pqr, false);
  const samples: Uint8Array[] = [];
  for (let i = 0; i < 60; i++) {
    const s = spqrSend(p, a);
    a = s.state;
    samples.push(s.message);
    const got = spqrRecv(p, b, s.message);
    assert.ok(got);
    b = got.state;
    const back = spqrSend(p, b);
    b = back.state;
    const gotBack = spqrRecv(p, a, back.message);
    assert.ok(gotBack);
    a = gotBack.state;
  }
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 60 }),
        fc.tuple(fc.constantFrom(...samples), fc.nat(), fc.nat({ max: 255 })).map(([m, at, v]) => {
          const c = m.slice();
          c[at % c.length] = v;
          return c;
        }),
      ),
      (bytes) => {
        spqrRecv(p, b, bytes);
      },
    ),
    { numRuns: RUNS },
  );
});
