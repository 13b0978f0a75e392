// The stored group state (format version 2, and version 1 still readable): the checked-in
// fixtures decode and work (decrypt a message of their epoch, commit the pending proposal), the
// version-2 one re-encodes to the same bytes and the version-1 one to the version-2 bytes; a
// fresh state round-trips; damaged or unknown stored states are refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromHex, toHex, utf8Decode } from '@parley/bytes';
import {
  MlsError,
  createCommit,
  decodeGroupState,
  decodeMlsMessage,
  decryptApplicationMessage,
  encodeGroupState,
} from '@parley/mls';
import { groupStateSample } from './group-state-sample.js';

interface Fixture {
  readonly state: string;
  readonly epoch: number;
  readonly epoch_authenticator: string;
  readonly message: string;
  readonly plaintext: string;
}

const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')) as Fixture;
const fixture = load('group-state-v2.json');
const fixtureV1 = load('group-state-v1.json');
const sample = groupStateSample();
const isInvalid = (e: unknown): boolean => e instanceof MlsError && e.code === 'INVALID_ENCODING';
const options = { psks: () => undefined, policy: { authenticate: () => true } };

test('fixture group-state-v1 still decodes: same epoch, past members named, written as v2', () => {
  const state = decodeGroupState(sample.crypto, fromHex(fixtureV1.state));
  assert.equal(toHex(encodeGroupState(state)), fixture.state);
  assert.equal(state.groupContext.epoch, BigInt(fixtureV1.epoch));
  const past = [...(state.previousEpoch?.members.values() ?? [])];
  assert.equal(past.length, 3);
  assert.ok(past.every((m) => m.credential !== undefined));
  const read = decryptApplicationMessage(
    sample.crypto,
    state,
    decodeMlsMessage(fromHex(fixtureV1.message)),
  );
  assert.equal(utf8Decode(read.data), fixtureV1.plaintext);
});

test('fixture group-state-v2 decodes, re-encodes to the same bytes and works', () => {
  const stored = fromHex(fixture.state);
  const state = decodeGroupState(sample.crypto, stored);
  assert.equal(toHex(encodeGroupState(state)), fixture.state);
  assert.equal(state.groupContext.epoch, BigInt(fixture.epoch));
  assert.equal(toHex(state.secrets.epochAuthenticator), fixture.epoch_authenticator);
  const read = decryptApplicationMessage(
    sample.crypto,
    state,
    decodeMlsMessage(fromHex(fixture.message)),
  );
  assert.equal(utf8Decode(read.data), fixture.plaintext);
  assert.equal(state.pendingProposals.length, 2);
  assert.equal(state.pendingUpdateKeys.length, 1);
  const commit = createCommit(sample.crypto, state, {
    signaturePrivateKey: new Uint8Array(32).fill(1),
    ...options,
  });
  assert.equal(commit.state.groupContext.epoch, state.groupContext.epoch + 1n);
});

test('a fresh state round-trips and the restored copy reads the same message', () => {
  const stored = encodeGroupState(sample.alice);
  const restored = decodeGroupState(sample.crypto, stored);
  assert.equal(toHex(encodeGroupState(restored)), toHex(stored));
  const fromOriginal = decryptApplicationMessage(
    sample.crypto,
    sample.alice,
    decodeMlsMessage(sample.message),
  );
  const fromRestored = decryptApplicationMessage(
    sample.crypto,
    restored,
    decodeMlsMessage(sample.message),
  );
  assert.equal(toHex(fromRestored.data), toHex(fromOriginal.data));
  assert.equal(
    toHex(encodeGroupState(fromRestored.state)),
    toHex(encodeGroupState(fromOriginal.state)),
  );
});

test('damaged, extended or unknown-version stored states are refused', () => {
  const stored = fromHex(fixture.state);
  assert.throws(
    () => decodeGroupState(sample.crypto, stored.subarray(0, stored.length - 1)),
    isInvalid,
  );
  assert.throws(() => decodeGroupState(sample.crypto, Uint8Array.of(...stored, 0)), isInvalid);
  const otherVersion = stored.slice();
  otherVersion[1] = 3;
  assert.throws(() => decodeGroupState(sample.crypto, otherVersion), isInvalid);
});
