// Seeded fuzzing of every MLS decoder (RFC 9420 §6–12 structures): random bytes and mutations
// of the working group's messages.json samples either decode to a value that re-encodes to the
// same bytes, or are refused with MlsError('INVALID_ENCODING' | 'LIMIT_EXCEEDED'), never with
// another error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '@parley/bytes';
import { loadJsonVector } from '@parley/conformance';
import {
  MlsError,
  decodeCommit,
  decodeGroupInfo,
  decodeGroupSecrets,
  decodeMlsMessage,
  decodeRatchetTreeNodes,
  encodeCommit,
  encodeGroupInfo,
  encodeGroupSecrets,
  encodeMlsMessage,
  encodeRatchetTreeNodes,
} from '@parley/mls';

const SEED = 0x6d6c_7331;
const RUNS = 1500;
const SAMPLE_ENTRIES = 10;

interface Codec {
  readonly name: string;
  readonly field: string;
  readonly roundTrip: (bytes: Uint8Array) => Uint8Array;
}

const CODECS: readonly Codec[] = [
  {
    name: 'MLSMessage (Welcome)',
    field: 'mls_welcome',
    roundTrip: (b) => encodeMlsMessage(decodeMlsMessage(b)),
  },
  {
    name: 'MLSMessage (GroupInfo)',
    field: 'mls_group_info',
    roundTrip: (b) => encodeMlsMessage(decodeMlsMessage(b)),
  },
  {
    name: 'MLSMessage (KeyPackage)',
    field: 'mls_key_package',
    roundTrip: (b) => encodeMlsMessage(decodeMlsMessage(b)),
  },
  {
    name: 'MLSMessage (PublicMessage)',
    field: 'public_message_commit',
    roundTrip: (b) => encodeMlsMessage(decodeMlsMessage(b)),
  },
  {
    name: 'MLSMessage (PrivateMessage)',
    field: 'private_message',
    roundTrip: (b) => encodeMlsMessage(decodeMlsMessage(b)),
  },
  {
    name: 'ratchet tree',
    field: 'ratchet_tree',
    roundTrip: (b) => encodeRatchetTreeNodes(decodeRatchetTreeNodes(b)),
  },
  {
    name: 'GroupSecrets',
    field: 'group_secrets',
    roundTrip: (b) => encodeGroupSecrets(decodeGroupSecrets(b)),
  },
  { name: 'Commit', field: 'commit', roundTrip: (b) => encodeCommit(decodeCommit(b)) },
];

function samples(field: string): Uint8Array[] {
  const loaded = loadJsonVector('mls/messages.json');
  if (!loaded.found) throw new Error(loaded.reason);
  if (!Array.isArray(loaded.data)) throw new Error('mls/messages.json is not an array');
  const out: Uint8Array[] = [];
  for (const entry of (loaded.data as unknown[]).slice(0, SAMPLE_ENTRIES)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const value: unknown = (entry as Record<string, unknown>)[field];
    if (typeof value === 'string') out.push(fromHex(value));
  }
  return out;
}

function mutate(base: Uint8Array, at: number, value: number, cut: number): Uint8Array {
  if (base.length === 0) return Uint8Array.of(value);
  const out = base.slice(0, base.length - (cut % Math.min(base.length, 8)));
  if (out.length > 0) out[at % out.length] = value;
  return out;
}

function check(codec: Codec, input: Uint8Array): void {
  let encoded: Uint8Array;
  try {
    encoded = codec.roundTrip(input);
  } catch (error) {
    assert.ok(error instanceof MlsError, `${codec.name}: unexpected ${String(error)}`);
    assert.ok(error.code === 'INVALID_ENCODING' || error.code === 'LIMIT_EXCEEDED', error.code);
    return;
  }
  assert.equal(toHex(encoded), toHex(input), `${codec.name}: decoded but re-encoded differently`);
}

for (const codec of CODECS) {
  test(`fuzz: ${codec.name} from random bytes`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => check(codec, input)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test(`fuzz: ${codec.name} from mutated messages.json samples`, (t) => {
    const seeds = samples(codec.field);
    if (seeds.length === 0) {
      t.skip('mls/messages.json not found');
      return;
    }
    for (const s of seeds) check(codec, s);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        (which, at, value, cut) =>
          check(codec, mutate(seeds[which] ?? new Uint8Array(0), at, value, cut)),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test('fuzz: GroupInfo from random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (input) =>
      check(
        { name: 'GroupInfo', field: '', roundTrip: (b) => encodeGroupInfo(decodeGroupInfo(b)) },
        input,
      ),
    ),
    { seed: SEED, numRuns: RUNS },
  );
});
