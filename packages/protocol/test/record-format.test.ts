/** The session record format, pinned by test/fixtures/session-record-v1.json. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  SESSION_RECORD_FORMAT_VERSION,
  commitChanges,
  createInMemoryStores,
  decrypt,
  deserializeSessionRecord,
  generateIdentityKeyPair,
  serializeSessionRecord,
} from '@parley/protocol';

interface Fixture {
  format_version: number;
  alice_address: { name: string; deviceId: number };
  bob_address: { name: string; deviceId: number };
  bob_record_hex: string;
  alice_record_hex: string;
  messages: { type: number; hex: string; plaintext: string }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('fixtures/session-record-v1.json', import.meta.url), 'utf8'),
) as Fixture;
const p = createNodePrimitives();

test('record format v1: fixtures parse and re-serialize to the same bytes', () => {
  assert.equal(fixture.format_version, SESSION_RECORD_FORMAT_VERSION);
  for (const hex of [fixture.bob_record_hex, fixture.alice_record_hex]) {
    const bytes = fromHex(hex);
    assert.deepEqual(serializeSessionRecord(deserializeSessionRecord(bytes)), bytes);
  }
  const alice = deserializeSessionRecord(fromHex(fixture.alice_record_hex));
  assert.notEqual(alice.current?.pendingPreKey, undefined);
  assert.equal(alice.previous.length, 1);
  const bob = deserializeSessionRecord(fromHex(fixture.bob_record_hex));
  assert.equal(bob.previous.length, 0);
  const current = bob.current;
  assert.ok(current);
  assert.equal(current.receivers.at(-1)?.skipped.length, 2);
  assert.equal(current.spqr.skipped.length, 2);
});

test('record format v1: a fixture record still decrypts its messages, in order and skipped', async () => {
  const stores = createInMemoryStores(generateIdentityKeyPair(p), 1);
  const from = fixture.alice_address;
  stores.sessions.records.set(`${from.name}.${from.deviceId}`, fromHex(fixture.bob_record_hex));
  const ctx = { primitives: p, stores, localAddress: fixture.bob_address };
  for (const m of fixture.messages) {
    const r = await decrypt(ctx, from, m.type, fromHex(m.hex));
    assert.equal(new TextDecoder().decode(r.output), m.plaintext);
    await commitChanges(stores, r.changes);
  }
});

test('record format: other versions and truncations are INVALID_RECORD', () => {
  const bytes = fromHex(fixture.bob_record_hex);
  const isInvalid = (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_RECORD';
  assert.throws(() => deserializeSessionRecord(Uint8Array.of(2, ...bytes.subarray(1))), isInvalid);
  assert.throws(() => deserializeSessionRecord(new Uint8Array(0)), isInvalid);
  for (const cut of [2, 40, bytes.length - 1]) {
    assert.throws(() => deserializeSessionRecord(bytes.subarray(0, cut)), isInvalid);
  }
});
