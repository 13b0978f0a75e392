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

type SpqrState = SessionState['spqr'];

/** Records with ordinary prototypes, so that deepEqual compares them with parsed ones. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true });

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u32 = fc.nat({ max: 0xffff_ffff });
const skipped = (max: number) => fc.array(rec({ counter: u32, seed: key }), { maxLength: max });

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const encoder = (n: number) => rec({ payload: bytes(n), next: u32 });
/** A decoder of an `n`-byte payload: distinct ascending chunk indices, at most n / 32 of them. */
const decoder = (n: number) =>
  fc
    .uniqueArray(fc.nat({ max: 0xffff }), { maxLength: n / 32 })
    .chain((indices) =>
      fc.tuple(
        ...indices
          .sort((x, y) => x - y)
          .map((index) => rec({ index: fc.constant(index), data: bytes(32) })),
      ),
    )
    .map((chunks) => ({ length: n, chunks }));
/** A decapsulation key in either stored form: expanded, or the seed d ‖ z. */
const dk = fc.oneof(bytes(2400), bytes(64));
const base = {
  epoch: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  auth: rec({ rootKey: key, macKey: key }),
};
const braid: fc.Arbitrary<SpqrState['braid']> = fc.oneof(
  rec({ kind: fc.constant('KeysUnsampled' as const), ...base }),
  rec({
    kind: fc.constant('KeysSampled' as const),
    ...base,
    ek: bytes(1152),
    dk,
    sendingHdr: encoder(96),
  }),
  rec({
    kind: fc.constant('HeaderSent' as const),
    ...base,
    dk,
    sendingEk: encoder(1152),
    receivingCt1: decoder(960),
  }),
  rec({
    kind: fc.constant('Ct1Received' as const),
    ...base,
    dk,
    ct1: bytes(960),
    sendingEk: encoder(1152),
  }),
  rec({
    kind: fc.constant('EkSentCt1Received' as const),
    ...base,
    dk,
    ct1: bytes(960),
    receivingCt2: decoder(160),
  }),
  rec({ kind: fc.constant('NoHeaderReceived' as const), ...base, receivingHdr: decoder(96) }),
  rec({
    kind: fc.constant('HeaderReceived' as const),
    ...base,
    hdr: bytes(64),
    receivingEk: decoder(1152),
  }),
  rec({
    kind: fc.constant('Ct1Sampled' as const),
    ...base,
    hdr: bytes(64),
    es: bytes(96),
    ct1: bytes(960),
    sendingCt1: encoder(960),
    receivingEk: decoder(1152),
  }),
  rec({
    kind: fc.constant('EkReceivedCt1Sampled' as const),
    ...base,
    es: bytes(96),
    ek: bytes(1152),
    ct1: bytes(960),
    sendingCt1: encoder(960),
  }),
  rec({
    kind: fc.constant('Ct1Acknowledged' as const),
    ...base,
    hdr: bytes(64),
    es: bytes(96),
    ct1: bytes(960),
    receivingEk: decoder(1152),
  }),
  rec({ kind: fc.constant('Ct2Sampled' as const), ...base, sendingCt2: encoder(160) }),
);
const direction = rec({
  ctr: u32,
  next: fc.oneof(key, fc.constant(new Uint8Array(0))),
  history: fc.array(rec({ index: u32, key }), { maxLength: 5 }),
});

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
    braid: fc.option(braid, { nil: undefined }),
    chain: rec({
      initiator: fc.boolean(),
      currentEpoch: fc.constant(3),
      sendEpoch: fc.nat({ max: 3 }),
      links: fc.array(rec({ send: direction, recv: direction }), { minLength: 1, maxLength: 4 }),
      nextRoot: fc.oneof(key, fc.constant(new Uint8Array(0))),
    }),
    recvEpoch: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
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
