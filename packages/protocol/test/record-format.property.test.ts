/** Property: any session record within the limits survives serialize → deserialize unchanged. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  asKyberCiphertext,
  asPrivateKey,
  asPublicKey,
  deserializeSessionRecord,
  limits,
  serializeSessionRecord,
  type SessionRecord,
  type SessionState,
} from '@parley/protocol';

/** Records with ordinary prototypes, so that deepEqual compares them with parsed ones. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true });

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u32 = fc.nat({ max: 0xffff_ffff });
const skipped = (max: number) => fc.array(rec({ counter: u32, seed: key }), { maxLength: max });

const state: fc.Arbitrary<SessionState> = rec({
  localIdentity: key.map(asPublicKey),
  remoteIdentity: key.map(asPublicKey),
  localRegistrationId: u32,
  remoteRegistrationId: u32,
  aliceBaseKey: key.map(asPublicKey),
  rootKey: key,
  senderRatchet: rec({ publicKey: key.map(asPublicKey), privateKey: key.map(asPrivateKey) }),
  senderChain: rec({ key, index: u32 }),
  receivers: fc.array(
    rec({
      ratchetKey: key.map(asPublicKey),
      chainKey: rec({ key, index: u32 }),
      skipped: skipped(5),
    }),
    { maxLength: limits.MAX_RECEIVER_CHAINS },
  ),
  previousCounter: u32,
  pendingPreKey: fc.option(
    rec({
      preKeyId: fc.option(u32, { nil: undefined }),
      signedPreKeyId: u32,
      kyberPreKeyId: u32,
      kyberCiphertext: fc.uint8Array({ minLength: 1568, maxLength: 1568 }).map(asKyberCiphertext),
      baseKey: key.map(asPublicKey),
      createdAt: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    }),
    { nil: undefined },
  ),
  spqr: rec({
    sendSeed: key,
    sendIndex: u32,
    recvSeed: key,
    recvIndex: u32,
    skipped: fc.array(rec({ index: u32, key }), { maxLength: 5 }),
  }),
});

const record: fc.Arbitrary<SessionRecord> = rec({
  current: fc.option(state, { nil: undefined }),
  previous: fc.array(state, { maxLength: 3 }),
});

test('record format: serialize then deserialize is the identity (fast-check)', () => {
  fc.assert(
    fc.property(record, (r) => {
      const bytes = serializeSessionRecord(r);
      assert.deepEqual(deserializeSessionRecord(bytes), r);
      assert.deepEqual(serializeSessionRecord(deserializeSessionRecord(bytes)), bytes);
    }),
    { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 200) },
  );
});
