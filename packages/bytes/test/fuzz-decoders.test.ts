import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  fixedBytes,
  fromBase64,
  fromBase64Url,
  fromHex,
  ProtoReader,
  ProtoWriter,
  readUint16BE,
  readUint32BE,
  readUint64BE,
  TlsReader,
  toHex,
  utf8Decode,
} from '../src/index.js';
import { messageFields, walkMessage, writeFields } from './protobuf-sample.js';
import { decodeSample, encodeSample, sampleArbitrary } from './tls-sample.js';
import { decodeOrBytesError, FUZZ_RUNS, mutated, SEED } from './support.js';

const options = { seed: SEED, numRuns: FUZZ_RUNS };
const timeout = { timeout: 60_000 };
const randomBytes = fc.uint8Array({ maxLength: 200 });

/** Checks that a BytesError from fuzzed bytes does not quote them. */
function assertQuietAbout(input: Uint8Array, error: unknown): void {
  if (input.length < 6 || !(error instanceof Error)) return;
  const message = error.message.toLowerCase();
  assert.ok(!message.includes(toHex(input.subarray(0, 6))), 'error message repeats the input');
}

function fuzzBytes(
  name: string,
  inputs: fc.Arbitrary<Uint8Array>,
  decode: (b: Uint8Array) => unknown,
): void {
  test(`fuzz: ${name} decodes or throws BytesError`, timeout, () => {
    fc.assert(
      fc.property(inputs, (input) => {
        assertQuietAbout(
          input,
          decodeOrBytesError(() => decode(input)),
        );
      }),
      options,
    );
  });
}

function fuzzText(name: string, alphabet: string, decode: (s: string) => unknown): void {
  const text = fc.oneof(
    fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), maxLength: 64 }),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength: 16,
    }),
  );
  test(`fuzz: ${name} decodes or throws BytesError`, timeout, () => {
    fc.assert(
      fc.property(text, (input) => {
        const error = decodeOrBytesError(() => decode(input));
        if (error !== undefined && input.length >= 8) assert.ok(!error.message.includes(input));
      }),
      options,
    );
  });
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
fuzzText('fromHex', '0123456789abcdefABCDEF g', fromHex);
fuzzText('fromBase64', `${B64}+/=-_ `, fromBase64);
fuzzText('fromBase64Url', `${B64}+/=-_ `, fromBase64Url);

fuzzBytes('utf8Decode', randomBytes, utf8Decode);
fuzzBytes('fixedBytes(32)', randomBytes, fixedBytes('Key', 32));
fuzzBytes('big-endian reads', randomBytes, (b) => {
  const at = b[0] ?? 0;
  decodeOrBytesError(() => readUint16BE(b, at % 16));
  decodeOrBytesError(() => readUint32BE(b, at % 16));
  return readUint64BE(b, at % 16);
});

fuzzBytes('TlsReader.varint', fc.uint8Array({ maxLength: 5 }), (b) => new TlsReader(b).varint());
fuzzBytes('TlsReader sample structure (random bytes)', randomBytes, decodeSample);
fuzzBytes(
  'TlsReader sample structure (damaged encodings)',
  mutated(sampleArbitrary.map(encodeSample)),
  decodeSample,
);
fuzzBytes('TlsReader vectors of vectors', randomBytes, (b) =>
  new TlsReader(b, { maxVectorItems: 8 }).vector('varint', (r) =>
    r.vector('u8', (inner) => inner.opaque('u16')),
  ),
);

fuzzBytes('ProtoReader (random bytes)', randomBytes, (b) => walkMessage(new ProtoReader(b), 3));
fuzzBytes(
  'ProtoReader (damaged encodings)',
  mutated(messageFields.map((fields) => writeFields(new ProtoWriter(), fields).finish())),
  (b) => walkMessage(new ProtoReader(b), 3),
);
