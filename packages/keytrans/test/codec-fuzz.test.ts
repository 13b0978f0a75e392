// Seeded fuzzing of every -05 decoder: random bytes, and mutations of real messages from a
// running log, either decode to a value that re-encodes to the same bytes or are refused with
// KeyTransError('MALFORMED' | 'LIMIT_EXCEEDED'), never with another error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toHex } from '@parley/bytes';
import * as kt from '../src/index.js';
import { KeyTransError } from '../src/index.js';
import { wireSamples } from './samples.js';

const SEED = 0x6b74_0005;
const RUNS = 400;
const M = 1;

const CODECS: Record<string, (b: Uint8Array) => Uint8Array> = {
  SearchRequest: (b) => kt.encodeSearchRequest(kt.decodeSearchRequest(b)),
  SearchResponse: (b) => kt.encodeSearchResponse(M, kt.decodeSearchResponse(M, false, b)),
  SearchResponseFixed: (b) => kt.encodeSearchResponse(M, kt.decodeSearchResponse(M, true, b)),
  ContactMonitorRequest: (b) => kt.encodeContactMonitorRequest(kt.decodeContactMonitorRequest(b)),
  ContactMonitorResponse: (b) => kt.encodeMonitorResponse(M, kt.decodeMonitorResponse(M, b)),
  OwnerInitRequest: (b) => kt.encodeOwnerInitRequest(kt.decodeOwnerInitRequest(b)),
  OwnerInitResponse: (b) => kt.encodeOwnerInitResponse(M, kt.decodeOwnerInitResponse(M, b)),
  OwnerMonitorRequest: (b) => kt.encodeOwnerMonitorRequest(kt.decodeOwnerMonitorRequest(b)),
  OwnerMonitorResponse: (b) => kt.encodeMonitorResponse(M, kt.decodeMonitorResponse(M, b)),
  UpdateRequest: (b) => kt.encodeUpdateRequest(kt.decodeUpdateRequest(b)),
  UpdateResponse: (b) => kt.encodeUpdateResponse(M, kt.decodeUpdateResponse(M, b)),
  DistinguishedRequest: (b) => kt.encodeDistinguishedRequest(kt.decodeDistinguishedRequest(b)),
  DistinguishedResponse: (b) =>
    kt.encodeDistinguishedResponse(M, kt.decodeDistinguishedResponse(M, b)),
  AuditorUpdate: (b) => kt.encodeAuditorUpdate(kt.decodeAuditorUpdate(b)),
  AuditorTreeHead: (b) => kt.encodeAuditorTreeHead(kt.decodeAuditorTreeHead(b)),
  DistinguishedHead: (b) => kt.encodeDistinguishedHead(kt.decodeDistinguishedHead(b)),
  Configuration: (b) => kt.encodeConfiguration(kt.decodeConfiguration(b)),
  ConfigurationMode3: (b) => kt.encodeConfiguration(kt.decodeConfiguration(b)),
  CredentialStandard: (b) => kt.encodeCredential(M, kt.decodeCredential(M, b)),
  CredentialProvisional: (b) => kt.encodeCredential(M, kt.decodeCredential(M, b)),
  CredentialUpdate: (b) => kt.encodeCredentialUpdate(kt.decodeCredentialUpdate(b)),
};

function check(name: string, roundTrip: (b: Uint8Array) => Uint8Array, input: Uint8Array): void {
  let encoded: Uint8Array;
  try {
    encoded = roundTrip(input);
  } catch (error) {
    assert.ok(error instanceof KeyTransError, `${name}: unexpected ${String(error)}`);
    assert.ok(
      error.code === 'MALFORMED' || error.code === 'LIMIT_EXCEEDED',
      `${name}: ${error.code}`,
    );
    return;
  }
  assert.equal(toHex(encoded), toHex(input), `${name}: decoded but re-encoded differently`);
}

function mutate(sample: Uint8Array, at: number, value: number, cut: number): Uint8Array {
  const out = Uint8Array.from(sample);
  if (out.length > 0) out[at % out.length] = value;
  return cut % 5 === 0 ? out.slice(0, cut % (out.length + 1)) : out;
}

const samples = wireSamples();

for (const [name, roundTrip] of Object.entries(CODECS)) {
  test(`fuzz: ${name} from random bytes`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => check(name, roundTrip, input)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test(`fuzz: ${name} from mutated samples of a running log`, () => {
    const sample = samples[name];
    assert.ok(sample !== undefined, `no sample for ${name}`);
    check(name, roundTrip, sample);
    assert.equal(toHex(roundTrip(sample)), toHex(sample), `${name}: the sample itself round-trips`);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (at, value, cut) =>
        check(name, roundTrip, mutate(sample, at, value, cut)),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
}
