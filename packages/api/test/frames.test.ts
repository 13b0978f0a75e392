/**
 * Delivery protocol 2 codec: round trips of every frame (fast-check, seeded by the runner), the
 * fixed layout of the hot frames, and fuzzing: random and mutated bytes end in a `FrameError` or
 * a valid frame, never another exception. `FUZZ_RUNS=100000 npm test -- packages/api/test/frames`
 * runs a long session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  FRAME,
  FrameError,
  KEYS_LOW_FRAME,
  PONG_FRAME,
  QUEUE_EMPTY_FRAME,
  decodeClientFrame,
  decodeServerFrame,
  encodeAck,
  encodeAuth,
  encodePing,
  encodePush,
  encodeReady,
  encodeResults,
  encodeSends,
  limits,
  type PushedEnvelope,
  type SendResult,
  type WireSend,
} from '@parley/api';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);

const idChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split('');
const id = fc
  .array(fc.constantFrom(...idChars), { minLength: 1, maxLength: limits.MAX_ID_LENGTH })
  .map((c) => c.join(''));
const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const deviceId = fc.integer({ min: 1, max: limits.MAX_DEVICE_ID });
const cmid = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 16 })
  .filter((s) => s.length >= 1 && s.length <= limits.MAX_CLIENT_MESSAGE_ID_LENGTH);
const content = fc.uint8Array({ maxLength: 300 });

const send: fc.Arbitrary<WireSend> = fc.record(
  {
    requestId: fc.integer({ min: 0, max: 0xffff_ffff }),
    expiresAt: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    clientMessageId: cmid,
    destinations: fc.array(
      fc.record({
        accountId: id,
        deviceId,
        registrationId: fc.integer({ min: 0, max: limits.MAX_REGISTRATION_ID }),
        type: fc.integer({ min: 1, max: limits.MAX_DIRECT_MESSAGE_TYPE }),
        content,
      }),
      { minLength: 1, maxLength: limits.MAX_DESTINATIONS_PER_SEND },
    ),
  },
  { requiredKeys: ['requestId', 'clientMessageId', 'destinations'] },
);
const identified = fc.record({ senderAccountId: id, senderDeviceId: deviceId });
/** A sealed sender envelope has no sender: an empty id and device 0. */
const unidentified = fc.constant({ senderAccountId: '', senderDeviceId: 0 });
const envelope: fc.Arbitrary<PushedEnvelope> = fc
  .tuple(
    fc.record({
      seq,
      guid: id,
      clientMessageId: cmid,
      type: fc.integer({ min: 0, max: 255 }),
      serverTimestamp: seq,
      content,
    }),
    fc.oneof(identified, unidentified),
  )
  .map(([e, sender]) => ({ ...e, ...sender }));
const result: fc.Arbitrary<SendResult> = fc.oneof(
  fc.record({
    requestId: fc.integer({ min: 0, max: 0xffff_ffff }),
    status: fc.constantFrom('stored' as const, 'duplicate' as const),
    serverTimestamp: seq,
  }),
  fc.record({
    requestId: fc.integer({ min: 0, max: 0xffff_ffff }),
    status: fc.constant('error' as const),
    error: fc.oneof(
      fc.record({ code: fc.constantFrom('DEVICE_MISMATCH', 'QUEUE_FULL'), message: fc.string() }),
      fc.record({
        code: fc.constant('DEVICE_MISMATCH'),
        message: fc.string(),
        details: fc.record({ accounts: fc.array(fc.record({ accountId: id })) }),
      }),
    ),
  }),
);

/** Plain data for deep comparison (content views become arrays). */
const plain = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)),
  ) as unknown;

test('frames: every client frame round-trips', () => {
  fc.assert(
    fc.property(
      fc.array(send, { minLength: 1, maxLength: 8 }),
      seq,
      id,
      deviceId,
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (sends, s, accountId, d, secret) => {
        assert.deepEqual(
          plain(decodeClientFrame(encodeSends(sends))),
          plain({ kind: 'send', sends }),
        );
        assert.deepEqual(decodeClientFrame(encodeAck(s)), { kind: 'ack', seq: s });
        assert.deepEqual(
          plain(decodeClientFrame(encodeAuth(accountId, d, secret))),
          plain({ kind: 'auth', version: 2, accountId, deviceId: d, secret }),
        );
      },
    ),
    { numRuns: RUNS },
  );
  assert.deepEqual(decodeClientFrame(encodePing()), { kind: 'ping' });
});

test('frames: every server frame round-trips', () => {
  fc.assert(
    fc.property(
      fc.array(envelope, { minLength: 1, maxLength: 8 }),
      fc.array(result, { minLength: 1, maxLength: 8 }),
      (envelopes, results) => {
        assert.deepEqual(
          plain(decodeServerFrame(encodePush(envelopes))),
          plain({ kind: 'push', envelopes }),
        );
        assert.deepEqual(
          plain(decodeServerFrame(encodeResults(results))),
          plain({ kind: 'results', results }),
        );
      },
    ),
    { numRuns: RUNS },
  );
  assert.deepEqual(decodeServerFrame(encodeReady(256)), {
    kind: 'ready',
    version: 2,
    maxInFlight: 256,
  });
  assert.deepEqual(decodeServerFrame(QUEUE_EMPTY_FRAME), { kind: 'queue-empty' });
  assert.deepEqual(decodeServerFrame(KEYS_LOW_FRAME), { kind: 'keys-low' });
  assert.deepEqual(decodeServerFrame(PONG_FRAME), { kind: 'pong' });
});

test('frames: encoded frames stay intact while many more are encoded (shared slabs)', () => {
  // Small frames share slabs; several slabs' worth, all kept, each still decodes to its input.
  const kept: [PushedEnvelope, Uint8Array][] = [];
  for (let i = 0; i < 2_000; i++) {
    const e: PushedEnvelope = {
      seq: i + 1,
      guid: `g${String(i)}`,
      senderAccountId: 's',
      senderDeviceId: 1 + (i % limits.MAX_DEVICE_ID),
      clientMessageId: `c${String(i)}`,
      type: 1,
      serverTimestamp: 1_700_000_000_000 + i,
      content: new Uint8Array(1 + ((i * 37) % 300)).fill(i % 256),
    };
    kept.push([e, encodePush([e])]);
  }
  for (const [e, bytes] of kept)
    assert.deepEqual(plain(decodeServerFrame(bytes)), plain({ kind: 'push', envelopes: [e] }));
});

test('frames: a push names no sender only as an empty id with device 0', () => {
  const base = {
    seq: 1,
    guid: 'g',
    clientMessageId: 'c',
    type: 6,
    serverTimestamp: 2,
    content: Uint8Array.of(1),
  };
  const sealed = encodePush([{ ...base, senderAccountId: '', senderDeviceId: 0 }]);
  // An empty sender id with a device, or a sender id with device 0, is refused both ways.
  assert.throws(() => encodePush([{ ...base, senderAccountId: '', senderDeviceId: 1 }]));
  const i = sealed.indexOf(0, 3 + 8 + 2); // the sender id's length byte, after seq and guid
  const withDevice = sealed.slice();
  withDevice[i + 1] = 1;
  assert.throws(() => decodeServerFrame(withDevice), /bad device id/);
  const identified = encodePush([{ ...base, senderAccountId: 's', senderDeviceId: 1 }]);
  const zeroDevice = identified.slice();
  zeroDevice[3 + 8 + 2 + 2] = 0;
  assert.throws(() => decodeServerFrame(zeroDevice), /bad device id/);
});

test('frames: the hot frames have the documented layout', () => {
  assert.deepEqual([...encodeAck(0x1_0000_0002)], [FRAME.ACK, 0, 0, 0, 1, 0, 0, 0, 2]);
  const push = encodePush([
    {
      seq: 7,
      guid: '7_ab',
      senderAccountId: 's',
      senderDeviceId: 2,
      clientMessageId: 'c',
      type: 1,
      serverTimestamp: 258,
      content: Uint8Array.of(9, 9),
    },
  ]);
  assert.deepEqual(
    [...push],
    [
      FRAME.PUSH,
      0,
      1, // one envelope
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      7, // seq
      4,
      55,
      95,
      97,
      98, // guid "7_ab"
      1,
      115, // sender "s"
      2, // sender device
      1,
      99, // client message id "c"
      1, // type
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      2, // server timestamp
      0,
      0,
      0,
      2,
      9,
      9, // content
    ],
  );
});

test('frames: bounds are enforced when decoding', () => {
  const tooMany = new Uint8Array(3);
  tooMany[0] = FRAME.SEND;
  new DataView(tooMany.buffer, tooMany.byteOffset).setUint16(1, limits.MAX_SENDS_PER_FRAME + 1);
  assert.throws(() => decodeClientFrame(tooMany), {
    name: 'FrameError',
    code: 'FIELD_OUT_OF_RANGE',
  });
  const big = encodeSends([
    {
      requestId: 1,
      clientMessageId: 'x',
      destinations: [
        { accountId: 'a', deviceId: 1, registrationId: 1, type: 1, content: Uint8Array.of(1) },
      ],
    },
  ]);
  // The content length field claims more than MAX_CIPHERTEXT_BYTES.
  new DataView(big.buffer, big.byteOffset).setUint32(
    big.length - 5,
    limits.MAX_CIPHERTEXT_BYTES + 1,
  );
  assert.throws(() => decodeClientFrame(big), { code: 'FIELD_OUT_OF_RANGE' });
  const unsafe = encodeAck(0);
  unsafe[1] = 0x00;
  unsafe[2] = 0x20; // 2^53: past the safe integers
  assert.throws(() => decodeClientFrame(unsafe), { code: 'FIELD_OUT_OF_RANGE' });
  assert.throws(() => decodeClientFrame(Uint8Array.of(FRAME.PING, 0)), {
    code: 'MALFORMED_FRAME',
  });
  assert.throws(() => decodeClientFrame(Uint8Array.of(FRAME.READY)), { code: 'UNKNOWN_FRAME' });
  const badId = encodeAuth('abc', 1, new Uint8Array(32));
  badId[4] = 0x2f; // '/' is not an id character
  assert.throws(() => decodeClientFrame(badId), { code: 'FIELD_OUT_OF_RANGE' });
  const deviceZero = encodeAuth('abc', 1, new Uint8Array(32));
  deviceZero[6] = 0;
  assert.throws(() => decodeClientFrame(deviceZero), { code: 'FIELD_OUT_OF_RANGE' });
  const group = encodeSends([
    {
      requestId: 1,
      clientMessageId: 'x',
      destinations: [
        { accountId: 'a', deviceId: 1, registrationId: 1, type: 32, content: Uint8Array.of(1) },
      ],
    },
  ]);
  assert.throws(() => decodeClientFrame(group), { code: 'FIELD_OUT_OF_RANGE' }, 'a group type');
});

function onlyFrameErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    assert.ok(error instanceof FrameError, `unexpected ${String(error)}`);
  }
}

test('fuzz: random bytes decode to a frame or a FrameError', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...Object.values(FRAME), 0x00, 0xff),
      fc.uint8Array({ maxLength: 300 }),
      (kind, rest) => {
        const bytes = Uint8Array.of(kind, ...rest);
        onlyFrameErrors(() => decodeClientFrame(bytes));
        onlyFrameErrors(() => decodeServerFrame(bytes));
      },
    ),
    { numRuns: RUNS },
  );
});

test('fuzz: valid frames truncated, extended or with a byte changed', () => {
  fc.assert(
    fc.property(
      fc.array(send, { minLength: 1, maxLength: 3 }),
      fc.array(envelope, { minLength: 1, maxLength: 3 }),
      fc.array(result, { minLength: 1, maxLength: 3 }),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      (sends, envelopes, results, at, value) => {
        for (const [frame, decode] of [
          [encodeSends(sends), decodeClientFrame],
          [encodePush(envelopes), decodeServerFrame],
          [encodeResults(results), decodeServerFrame],
        ] as const) {
          const i = at % frame.length;
          assert.throws(() => decode(frame.subarray(0, i)), FrameError);
          assert.throws(() => decode(Uint8Array.of(...frame, value)), FrameError);
          const changed = frame.slice();
          changed[i] = value;
          onlyFrameErrors(() => decode(changed));
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test('frames: a send with an expiry goes in SEND_EXPIRING, one without in SEND as before', () => {
  const destinations = [
    { accountId: 'a', deviceId: 1, registrationId: 7, type: 1, content: Uint8Array.of(9) },
  ];
  const plainSend = { requestId: 1, clientMessageId: 'c1', destinations };
  assert.equal(encodeSends([plainSend])[0], FRAME.SEND);
  const expiring = encodeSends([plainSend, { ...plainSend, requestId: 2, expiresAt: 1234 }]);
  assert.equal(expiring[0], FRAME.SEND_EXPIRING);
  const decoded = decodeClientFrame(expiring);
  assert.ok(decoded.kind === 'send');
  assert.deepEqual(
    decoded.sends.map((x) => x.expiresAt),
    [undefined, 1234],
  );
});
