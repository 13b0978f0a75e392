/** The session record formats, pinned by test/fixtures/session-record-v1.json, -v2.json and -v3.json. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromHex, toHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  SESSION_RECORD_FORMAT_VERSION,
  commitChanges,
  createInMemoryStores,
  decrypt,
  deserializeSessionRecord,
  encrypt,
  generateIdentityKeyPair,
  serializeSessionRecord,
  spqrEpochs,
  type ProtocolAddress,
} from '@parley/protocol';

interface Fixture {
  format_version: number;
  alice_address: { name: string; deviceId: number };
  bob_address: { name: string; deviceId: number };
  bob_record_hex: string;
  alice_record_hex: string;
  messages: { type: number; hex: string; plaintext: string }[];
}

const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')) as Fixture;
const fixture = load('session-record-v1.json');
const fixture2 = load('session-record-v2.json');
const fixture3 = load('session-record-v3.json');
const p = createNodePrimitives();

test('record format v1: fixtures load as braid-less SPQR states and migrate to the current version', () => {
  assert.equal(fixture.format_version, 1);
  for (const hex of [fixture.bob_record_hex, fixture.alice_record_hex]) {
    const bytes = fromHex(hex);
    const record = deserializeSessionRecord(bytes);
    assert.equal(record.current?.spqr.braid, undefined, 'SPQR-lite has no braid');
    const migrated = serializeSessionRecord(record);
    assert.equal(migrated[0], SESSION_RECORD_FORMAT_VERSION);
    assert.deepEqual(serializeSessionRecord(deserializeSessionRecord(migrated)), migrated);
  }
  const alice = deserializeSessionRecord(fromHex(fixture.alice_record_hex));
  assert.notEqual(alice.current?.pendingPreKey, undefined);
  assert.equal(alice.previous.length, 1);
  const bob = deserializeSessionRecord(fromHex(fixture.bob_record_hex));
  assert.equal(bob.previous.length, 0);
  const current = bob.current;
  assert.ok(current);
  assert.equal(current.receivers.at(-1)?.skipped.length, 2);
  assert.equal(current.spqr.chain.links[0]?.recv.history.length, 2);
});

/** Bob's side of a fixture, loaded into fresh stores. */
function bobFrom(f: Fixture) {
  const stores = createInMemoryStores(generateIdentityKeyPair(p), 1);
  const from = f.alice_address;
  stores.sessions.records.set(`${from.name}.${from.deviceId}`, fromHex(f.bob_record_hex));
  return { stores, ctx: { primitives: p, stores, localAddress: f.bob_address } };
}

for (const [version, f] of [
  [1, fixture],
  [2, fixture2],
  [3, fixture3],
] as const) {
  test(`record format v${version}: a fixture record still decrypts its messages, in order and skipped`, async () => {
    for (const migrate of [false, true]) {
      const { stores, ctx } = bobFrom(f);
      if (migrate) {
        const key = `${f.alice_address.name}.${f.alice_address.deviceId}`;
        const bytes = stores.sessions.records.get(key);
        assert.ok(bytes);
        stores.sessions.records.set(key, serializeSessionRecord(deserializeSessionRecord(bytes)));
      }
      for (const m of f.messages) {
        const r = await decrypt(ctx, f.alice_address, m.type, fromHex(m.hex));
        assert.equal(new TextDecoder().decode(r.output), m.plaintext);
        await commitChanges(stores, r.changes);
      }
    }
  });
}

test('record format v3: fixtures re-serialize to the same bytes and hold a braid past epoch 1', () => {
  assert.equal(fixture3.format_version, SESSION_RECORD_FORMAT_VERSION);
  for (const hex of [fixture3.bob_record_hex, fixture3.alice_record_hex]) {
    const bytes = fromHex(hex);
    const record = deserializeSessionRecord(bytes);
    assert.deepEqual(serializeSessionRecord(record), bytes);
    const spqr = record.current?.spqr;
    assert.ok(spqr?.braid !== undefined && spqrEpochs(spqr).braid > 1);
  }
});

/** The decapsulation key of a record's current braid state, if it holds one. */
function dkOf(hex: string): Uint8Array | undefined {
  const braid = deserializeSessionRecord(fromHex(hex)).current?.spqr.braid;
  return braid !== undefined && 'dk' in braid ? braid.dk : undefined;
}

test('record format v2 → v3: an expanded decapsulation key stays expanded; v3 holds a seed', () => {
  assert.equal(fixture2.format_version, 2);
  const expanded = dkOf(fixture2.bob_record_hex);
  assert.equal(expanded?.length, 2400);
  const migrated = serializeSessionRecord(
    deserializeSessionRecord(fromHex(fixture2.bob_record_hex)),
  );
  assert.equal(migrated[0], SESSION_RECORD_FORMAT_VERSION);
  assert.deepEqual(serializeSessionRecord(deserializeSessionRecord(migrated)), migrated);
  assert.deepEqual(dkOf(toHex(migrated)), expanded);
  assert.equal(dkOf(fixture3.bob_record_hex)?.length, 64);
});

test('record format v3: an unknown decapsulation key form is INVALID_RECORD', () => {
  const bytes = fromHex(fixture3.bob_record_hex);
  const dk = dkOf(fixture3.bob_record_hex);
  assert.ok(dk);
  // The form byte sits right before the seed, which appears once in the record.
  const at = toHex(bytes).indexOf(toHex(dk)) / 2 - 1;
  assert.ok(Number.isInteger(at) && bytes[at] === 1);
  for (const form of [2, 0xff]) {
    const b = bytes.slice();
    b[at] = form;
    assert.throws(
      () => deserializeSessionRecord(b),
      (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_RECORD',
    );
  }
});

for (const f of [fixture2, fixture3])
  test(`record format v${f.format_version}: the two fixture records resume their conversation and the braid goes on`, async () => {
    const bob = bobFrom(f);
    const aliceStores = createInMemoryStores(generateIdentityKeyPair(p), 2);
    const b = f.bob_address;
    aliceStores.sessions.records.set(`${b.name}.${b.deviceId}`, fromHex(f.alice_record_hex));
    const alice = { primitives: p, stores: aliceStores, localAddress: f.alice_address };
    const text = new TextEncoder();
    const talk = async (
      from: typeof alice,
      to: typeof alice,
      toAddress: ProtocolAddress,
      fromAddress: ProtocolAddress,
      s: string,
    ) => {
      const sent = await encrypt(from, toAddress, text.encode(s), 0);
      await commitChanges(from.stores, sent.changes);
      const got = await decrypt(to, fromAddress, sent.output.type, sent.output.serialized);
      await commitChanges(to.stores, got.changes);
      assert.equal(new TextDecoder().decode(got.output), s);
    };
    const epoch = () => {
      const bytes = aliceStores.sessions.records.get(`${b.name}.${b.deviceId}`);
      assert.ok(bytes);
      const spqr = deserializeSessionRecord(bytes).current?.spqr;
      assert.ok(spqr);
      return spqrEpochs(spqr).braid;
    };
    const before = epoch();
    const a = f.alice_address;
    for (let i = 0; i < 100; i++) {
      await talk(alice, bob.ctx, b, a, `resumed ${i}`);
      await talk(bob.ctx, alice, a, b, `answered ${i}`);
    }
    assert.ok(epoch() >= before + 2, `epoch ${before} → ${epoch()}`);
  });

test('record format: other versions and truncations are INVALID_RECORD', () => {
  const bytes = fromHex(fixture.bob_record_hex);
  const isInvalid = (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_RECORD';
  assert.throws(() => deserializeSessionRecord(Uint8Array.of(4, ...bytes.subarray(1))), isInvalid);
  assert.throws(() => deserializeSessionRecord(Uint8Array.of(2, ...bytes.subarray(1))), isInvalid);
  assert.throws(() => deserializeSessionRecord(new Uint8Array(0)), isInvalid);
  for (const cut of [2, 40, bytes.length - 1]) {
    assert.throws(() => deserializeSessionRecord(bytes.subarray(0, cut)), isInvalid);
  }
});
