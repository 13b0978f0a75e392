/**
 * Fuzzing the sealed sender decoders: random bytes and mutated real envelopes, certificates,
 * contents and sent messages end in a ProtocolError (or a valid parse), never another error;
 * a mutated envelope never opens to content other than the original; the sent-message codec
 * round-trips whatever recipients it is given. `FUZZ_RUNS` scales the runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  SealedContentType,
  createContent,
  createSenderCertificate,
  createServerCertificate,
  generateIdentityKeyPair,
  generateKeyPair,
  parseContent,
  parseSenderCertificate,
  parseSentMessage,
  parseServerCertificate,
  receivedMessageFor,
  sealV1,
  sealV2,
  sealedSenderDecryptToContent,
} from '@parley/protocol';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const p = createNodePrimitives();

function onlyProtocolErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `unexpected ${String(error)}`);
  }
}

const root = generateKeyPair(p);
const serverKey = generateKeyPair(p);
const server = createServerCertificate(p, 7, serverKey.publicKey, root.privateKey);
const sender = generateIdentityKeyPair(p);
const recipient = generateIdentityKeyPair(p);
const certificate = createSenderCertificate(
  p,
  {
    senderUuid: '9d0652a3-dcc3-4d11-975f-74d61598733f',
    senderE164: '+14151234567',
    senderDeviceId: 2,
    expiration: 1_800_000_000_000,
    identityKey: sender.publicKey,
  },
  server,
  serverKey.privateKey,
);
const content = createContent({
  type: SealedContentType.Whisper,
  senderCertificate: certificate,
  content: new TextEncoder().encode('inner message'),
  contentHint: 1,
  groupId: Uint8Array.of(1, 2, 3),
});
const v1 = sealV1(p, sender, recipient.publicKey, content.serialized);
const sent = sealV2(
  p,
  sender,
  [
    {
      serviceId: 'a1b2c3d4-0000-4000-8000-000000000001',
      identityKey: recipient.publicKey,
      devices: [
        { deviceId: 1, registrationId: 77 },
        { deviceId: 3, registrationId: 0x3fff },
      ],
    },
  ],
  content.serialized,
  ['PNI:a1b2c3d4-0000-4000-8000-000000000002'],
);
const sentParsed = parseSentMessage(sent);
const v2 = receivedMessageFor(sentParsed, sentParsed.recipients[0] ?? assert.fail());

const parsers: [string, (b: Uint8Array) => unknown, Uint8Array][] = [
  ['server certificate', parseServerCertificate, server.serialized],
  ['sender certificate', parseSenderCertificate, certificate.serialized],
  ['sealed sender content', parseContent, content.serialized],
  ['sealed sender v2 sent message', parseSentMessage, sent],
  ['sealed sender envelope (v1)', (b) => sealedSenderDecryptToContent(p, recipient, b), v1],
  ['sealed sender envelope (v2)', (b) => sealedSenderDecryptToContent(p, recipient, b), v2],
];

const mutation = fc.array(
  fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('flip', 'set', 'truncate', 'insert', 'delete'),
    value: fc.nat({ max: 255 }),
  }),
  { minLength: 1, maxLength: 4 },
);

function mutate(
  bytes: Uint8Array,
  mutations: readonly { at: number; kind: string; value: number }[],
) {
  let out = bytes.slice();
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === 'flip') out[at] = (out[at] ?? 0) ^ (1 << (m.value & 7));
    else if (m.kind === 'set') out[at] = m.value;
    else if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'insert')
      out = Uint8Array.of(...out.subarray(0, at), m.value, ...out.subarray(at));
    else out = Uint8Array.of(...out.subarray(0, at), ...out.subarray(at + 1));
  }
  return out;
}

for (const [name, parse, valid] of parsers) {
  test(`fuzz: ${name}: random input throws only ProtocolError`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom(0x11, 0x22, 0x23, 0x0a),
        (b, first) => {
          onlyProtocolErrors(() => parse(b));
          onlyProtocolErrors(() => parse(Uint8Array.of(first, ...b)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test(`fuzz: ${name}: mutated real input throws only ProtocolError`, () => {
    assert.doesNotThrow(() => parse(valid));
    fc.assert(
      fc.property(mutation, (m) => onlyProtocolErrors(() => parse(mutate(valid, m)))),
      { numRuns: RUNS },
    );
  });
}

test('fuzz: a mutated envelope never opens to other content', () => {
  for (const envelope of [v1, v2]) {
    fc.assert(
      fc.property(mutation, (m) => {
        const bad = mutate(envelope, m);
        try {
          const opened = sealedSenderDecryptToContent(p, recipient, bad);
          // Only a change outside what is authenticated (none exists) could get here.
          assert.deepEqual(opened.serialized, content.serialized);
        } catch (error) {
          assert.ok(error instanceof ProtocolError, String(error));
        }
      }),
      { numRuns: RUNS },
    );
  }
});

test('property: a sent message parses back to the recipients and devices it was built with', () => {
  const uuid = fc.uuid({ version: 4 });
  const recipientArb = fc.record({
    serviceId: fc.tuple(fc.boolean(), uuid).map(([pni, u]) => (pni ? `PNI:${u}` : u)),
    devices: fc.uniqueArray(
      fc.record({
        deviceId: fc.integer({ min: 1, max: 127 }),
        registrationId: fc.integer({ min: 0, max: 0x3fff }),
      }),
      { minLength: 1, maxLength: 4, selector: (d) => d.deviceId },
    ),
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(recipientArb, { maxLength: 5, selector: (r) => r.serviceId }),
      fc.uint8Array({ maxLength: 64 }),
      (recipients, body) => {
        const bytes = sealV2(
          p,
          sender,
          recipients.map((r) => ({ ...r, identityKey: recipient.publicKey })),
          body,
        );
        const parsed = parseSentMessage(bytes);
        assert.deepEqual(
          parsed.recipients.map((r) => ({ serviceId: r.serviceId, devices: r.devices })),
          recipients.map((r) => ({
            serviceId: r.serviceId,
            devices: r.devices.map((d) => ({
              deviceId: d.deviceId,
              registrationId: d.registrationId,
            })),
          })),
        );
        for (const r of parsed.recipients) {
          assert.equal(receivedMessageFor(parsed, r).length, 1 + 48 + parsed.shared.length);
        }
      },
    ),
    { numRuns: Math.min(RUNS, 100) },
  );
});
