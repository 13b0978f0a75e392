import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KeyTransError,
  MemoryKeyTransStore,
  contactMonitorRequest,
  decodeContactMonitorRequest,
  decodeDeviceListValue,
  deviceListLabel,
  encodeContactMonitorRequest,
  encodeDeviceListValue,
  decodeSearchResponse,
  encodeSearchResponse,
  overdueMonitoring,
  ownerMonitorRequest,
  verifyContactMonitor,
  verifyOwnerMonitor,
  verifySearch,
  verifyUpdate,
  type KeyTransErrorCode,
  type SearchResponse,
} from '../src/index.js';
import { MINUTE, createTestLog, label, snapshot, value, type TestLog, must } from './fixture.js';
import { initOwner, ownerUpdate } from './owner-helpers.js';

// Each case: a log (or a relay in front of it) misbehaves, the client refuses with one specific
// code, and the client's state is byte-for-byte what it was before.

function refuses(store: MemoryKeyTransStore, code: KeyTransErrorCode, run: () => unknown): void {
  const before = snapshot(store);
  assert.throws(
    run,
    (e: unknown) => e instanceof KeyTransError && e.code === code,
    `expected ${code}`,
  );
  assert.equal(snapshot(store), before, 'state changed after a refused response');
}

function seeded(t: TestLog, store: MemoryKeyTransStore, name: Uint8Array): void {
  store.commit(
    verifySearch(t.ctx, store, name, undefined, t.log.search({ label: name }), t.now).changes,
  );
}

const alice = label('alice');
const bob = label('bob');

function aliceLog(): TestLog {
  const t = createTestLog({ rmw: 10 * MINUTE });
  t.log.enqueue(alice, undefined, [value('alice-key-0')]);
  t.tick();
  for (let i = 0; i < 20; i++) t.tick();
  return t;
}

test('key substitution outside the log: a relay swaps the value in a search response', () => {
  const t = aliceLog();
  const store = new MemoryKeyTransStore();
  seeded(t, store, alice);
  t.tick();
  const honest = t.log.search({ label: alice, last: must(store.head()).treeHead.treeSize });
  const forged: SearchResponse = { ...honest, value: { value: value('mallory-key') } };
  refuses(store, 'PROOF_MISMATCH', () =>
    verifySearch(t.ctx, store, alice, undefined, forged, t.now),
  );
  const fresh = new MemoryKeyTransStore();
  const forgedFresh: SearchResponse = {
    ...t.log.search({ label: alice }),
    value: { value: value('mallory-key') },
  };
  refuses(fresh, 'PROOF_MISMATCH', () =>
    verifySearch(t.ctx, fresh, alice, undefined, forgedFresh, t.now),
  );
});

test('a malicious version inserted into the log: the owner is told, and a log that hides it is caught', () => {
  const t = createTestLog({ rmw: 10 * MINUTE });
  for (let i = 0; i < 30; i++) t.tick();
  const store = new MemoryKeyTransStore();
  initOwner(t, store, bob);
  ownerUpdate(t, store, bob, [value('bob-key-0')]);
  t.log.enqueue(bob, 0, [value('mallory-key')]);
  t.tick();
  for (let i = 0; i < 25; i++) t.tick();
  // Honest about it: owner monitoring stops before the entry, and an empty Update shows it.
  const monitor = verifyOwnerMonitor(
    t.ctx,
    store,
    bob,
    t.log.ownerMonitor(ownerMonitorRequest(store, bob)),
    t.now,
  );
  assert.equal(
    monitor.output.complete,
    false,
    'monitoring cannot pass the version the owner has not seen',
  );
  const request = {
    label: bob,
    greatestVersion: 0,
    values: [] as Uint8Array[],
    last: must(store.head()).treeHead.treeSize,
  };
  const update = verifyUpdate(t.ctx, store, request, t.log.update(request, false), t.now);
  assert.equal(update.output.foreign, true, 'the version the owner did not make is reported');
  assert.deepEqual(must(update.output.versions[0]).value, value('mallory-key'));
  // Hiding it: the log claims version 0 is still the greatest; its proofs cannot.
  const real = (p: number): number => (must(t.log.labelVersion(bob, 1)).position <= p ? 1 : 0);
  t.log.lieAbout(bob, (p) => Math.min(real(p), 0));
  const hidden = t.log.ownerMonitor(ownerMonitorRequest(store, bob));
  refuses(store, 'UNEXPECTED_VERSION', () => verifyOwnerMonitor(t.ctx, store, bob, hidden, t.now));
});

test('head equivocation: the same size with a different root', () => {
  const t = aliceLog();
  const store = new MemoryKeyTransStore();
  seeded(t, store, alice);
  const size = must(store.head()).treeHead.treeSize;
  const other = aliceLog();
  other.log.enqueue(bob, undefined, [value('x')]);
  other.tick(0);
  const forkedAtSameSize = createTestLog({ rmw: 10 * MINUTE });
  forkedAtSameSize.log.enqueue(alice, undefined, [value('alice-key-0')]);
  forkedAtSameSize.log.enqueue(bob, undefined, [value('ghost')]);
  forkedAtSameSize.tick();
  for (let i = 0; i < 20; i++) forkedAtSameSize.tick();
  assert.equal(forkedAtSameSize.log.size, size);
  const response = forkedAtSameSize.log.search({ label: alice });
  refuses(store, 'HEAD_NOT_NEWER', () =>
    verifySearch(t.ctx, store, alice, undefined, response, t.now),
  );
  const grown = forkedAtSameSize;
  grown.tick();
  const extended = grown.log.search({ label: alice, last: size });
  refuses(store, 'RETAINED_MISMATCH', () =>
    verifySearch(t.ctx, store, alice, undefined, extended, t.now),
  );
});

test('a log that shrinks or rewrites a past entry', () => {
  const t = aliceLog();
  const store = new MemoryKeyTransStore();
  for (let i = 0; i < 5; i++) t.tick();
  seeded(t, store, alice);
  const size = must(store.head()).treeHead.treeSize;
  const shorter = aliceLog();
  refuses(store, 'HEAD_NOT_NEWER', () =>
    verifySearch(t.ctx, store, alice, undefined, shorter.log.search({ label: alice }), t.now),
  );
  const rewritten = aliceLog();
  for (let i = 0; i < 4; i++) rewritten.tick();
  rewritten.tick(2 * MINUTE); // entry size-1 gets a different timestamp
  for (let i = 0; i < 3; i++) rewritten.tick();
  const response = rewritten.log.search({ label: alice, last: size });
  refuses(store, 'RETAINED_MISMATCH', () =>
    verifySearch(t.ctx, store, alice, undefined, response, rewritten.now),
  );
});

test('insert-then-revert between distinguished entries: contact monitoring catches it', () => {
  const t = aliceLog();
  const x = t.log.size;
  t.log.enqueue(alice, 0, [value('ghost-key')]);
  t.tick();
  const store = new MemoryKeyTransStore();
  const seen = verifySearch(t.ctx, store, alice, undefined, t.log.search({ label: alice }), t.now);
  assert.equal(seen.output.version, 1);
  assert.equal(seen.output.monitoring, true);
  store.commit(seen.changes);
  t.log.lieAbout(alice, (p) => (p > x ? 0 : p === x ? 1 : 0));
  for (let i = 0; i < 12; i++) {
    t.now += MINUTE;
    t.log.appendRaw(t.now, t.log.rootId(x - 1));
  }
  const response = t.log.contactMonitor(must(contactMonitorRequest(store, alice)));
  refuses(store, 'MONITOR_FAILED', () =>
    verifyContactMonitor(t.ctx, store, alice, response, t.now),
  );
});

test('a stale value shown as the greatest version (rollback or freeze of a label value)', () => {
  const t = aliceLog();
  t.log.enqueue(alice, 0, [value('alice-key-1')]);
  t.tick();
  t.tick();
  t.log.lieAbout(alice, (p) => (must(t.log.labelVersion(alice, 0)).position <= p ? 0 : -1));
  const store = new MemoryKeyTransStore();
  const stale: SearchResponse = t.log.search({ label: alice });
  assert.equal(stale.version, 0);
  const wire = decodeSearchResponse(
    t.config.mode,
    false,
    encodeSearchResponse(t.config.mode, stale),
  );
  refuses(store, 'VERSION_MISMATCH', () =>
    verifySearch(t.ctx, store, alice, undefined, wire, t.now),
  );
});

test('a frozen owner: the log stops answering, reported as cannot-verify, never success', () => {
  const t = createTestLog({ rmw: 10 * MINUTE });
  for (let i = 0; i < 30; i++) t.tick();
  const store = new MemoryKeyTransStore();
  initOwner(t, store, bob);
  assert.deepEqual(overdueMonitoring(store, t.now, 20 * MINUTE), []);
  assert.deepEqual(overdueMonitoring(store, t.now + 21 * MINUTE, 20 * MINUTE), [bob]);
});

test('a stale head (older than max_behind) and non-monotone timestamps', () => {
  const t = aliceLog();
  const store = new MemoryKeyTransStore();
  refuses(store, 'STALE_HEAD', () =>
    verifySearch(
      t.ctx,
      store,
      alice,
      undefined,
      t.log.search({ label: alice }),
      t.now + t.config.maxBehind + 1,
    ),
  );
  refuses(store, 'STALE_HEAD', () =>
    verifySearch(
      t.ctx,
      store,
      alice,
      undefined,
      t.log.search({ label: alice }),
      t.now - t.config.maxAhead - 1,
    ),
  );
  seeded(t, store, alice);
  const size = must(store.head()).treeHead.treeSize;
  t.log.appendRaw(t.now - 5 * MINUTE, t.log.rootId(size - 1));
  const response = t.log.search({ label: alice, last: size });
  refuses(store, 'TIMESTAMP_ORDER', () =>
    verifySearch(t.ctx, store, alice, undefined, response, t.now),
  );
});

test('malformed proofs: missing or extra elements, timestamps, prefix proofs and roots', () => {
  const t = aliceLog();
  const store = new MemoryKeyTransStore();
  seeded(t, store, alice);
  const size = must(store.head()).treeHead.treeSize;
  for (let i = 0; i < 9; i++) t.tick();
  const r = t.log.search({ label: alice, last: size });
  const s = r.search;
  const cases: [string, SearchResponse][] = [
    [
      'extra inclusion element',
      { ...r, search: { ...s, inclusion: [...s.inclusion, new Uint8Array(32)] } },
    ],
    ['missing inclusion element', { ...r, search: { ...s, inclusion: s.inclusion.slice(1) } }],
    ['extra timestamp', { ...r, search: { ...s, timestamps: [...s.timestamps, t.now] } }],
    ['missing timestamp', { ...r, search: { ...s, timestamps: s.timestamps.slice(0, -1) } }],
    [
      'extra prefix proof',
      { ...r, search: { ...s, prefixProofs: [...s.prefixProofs, must(s.prefixProofs[0])] } },
    ],
    ['missing prefix proof', { ...r, search: { ...s, prefixProofs: s.prefixProofs.slice(1) } }],
    [
      'extra prefix root',
      { ...r, search: { ...s, prefixRoots: [...s.prefixRoots, new Uint8Array(32)] } },
    ],
    ['missing VRF proof', { ...r, binaryLadder: r.binaryLadder.slice(1) }],
  ];
  for (const [name, forged] of cases) {
    const before = snapshot(store);
    assert.throws(
      () => verifySearch(t.ctx, store, alice, undefined, forged, t.now),
      (e: unknown) => e instanceof KeyTransError && e.code === 'PROOF_SHAPE',
      name,
    );
    assert.equal(snapshot(store), before, name);
  }
});

test('two prefix proofs for one log entry with different roots', () => {
  const t = createTestLog({ rmw: 10 * MINUTE });
  for (let i = 0; i < 30; i++) t.tick();
  const store = new MemoryKeyTransStore();
  initOwner(t, store, bob);
  ownerUpdate(t, store, bob, [value('b0')]);
  const values = [value('b1'), value('b2'), value('b3')];
  const request = { label: bob, greatestVersion: 0, values };
  t.tick();
  t.log.enqueue(bob, 0, values);
  t.tick();
  const response = t.log.update({ ...request, last: must(store.head()).treeHead.treeSize }, true);
  const proofs = response.update.prefixProofs;
  const extra = must(proofs[proofs.length - 1]);
  assert.equal(extra.results.length, 1, 'the extra lookup of version 2 is its own PrefixProof');
  const flipped = Uint8Array.from(must(extra.elements[0]));
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  const forged = {
    ...response,
    update: {
      ...response.update,
      prefixProofs: [
        ...proofs.slice(0, -1),
        { ...extra, elements: [flipped, ...extra.elements.slice(1)] },
      ],
    },
  };
  refuses(store, 'INCONSISTENT_PREFIX_ROOT', () =>
    verifyUpdate(t.ctx, store, request, forged, t.now),
  );
});

test('withheld monitoring answers: a response without the ladders is refused, silence is overdue', () => {
  const t = aliceLog();
  t.log.enqueue(alice, 0, [value('alice-key-1')]);
  t.tick();
  const store = new MemoryKeyTransStore();
  seeded(t, store, alice);
  assert.ok(store.contact(alice) !== undefined);
  for (let i = 0; i < 4; i++) t.tick();
  const response = t.log.contactMonitor(must(contactMonitorRequest(store, alice)));
  assert.ok(response.monitor.prefixProofs.length > 0);
  const withheld = { ...response, monitor: { ...response.monitor, prefixProofs: [] } };
  refuses(store, 'PROOF_SHAPE', () => verifyContactMonitor(t.ctx, store, alice, withheld, t.now));
  assert.deepEqual(overdueMonitoring(store, t.now + 61 * MINUTE, 60 * MINUTE), [alice]);
});

test('a presence octet other than 0 or 1, and oversize sizes and positions, are malformed', () => {
  const t = aliceLog();
  const bytes = encodeSearchResponse(t.config.mode, t.log.search({ label: alice }));
  // The first ladder step's optional<commitment> presence octet follows its 80-byte proof.
  const head = 1 + 8 + 2 + 64 + 4 + 16 + 4 + 'alice-key-0'.length;
  const presence = head + 1 + 80;
  assert.equal(bytes[presence], 0);
  const bad = Uint8Array.from(bytes);
  bad[presence] = 2;
  assert.throws(
    () => decodeSearchResponse(t.config.mode, false, bad),
    (e: unknown) => e instanceof KeyTransError && e.code === 'MALFORMED',
  );
  const huge = Uint8Array.from(bytes);
  huge[1] = 0x7f; // tree_size's top byte: 2^62 and more
  assert.throws(
    () => decodeSearchResponse(t.config.mode, false, huge),
    (e: unknown) => e instanceof KeyTransError && e.code === 'LIMIT_EXCEEDED',
  );
});

test('device-list rollback: the log shows an older device-list version as the greatest', () => {
  const t = createTestLog({ rmw: 10 * MINUTE });
  const list = deviceListLabel('account-1');
  const v = (version: number): Uint8Array =>
    encodeDeviceListValue({ version, hash: new Uint8Array(32).fill(version) });
  t.log.enqueue(list, undefined, [v(1)]);
  for (let i = 0; i < 15; i++) t.tick();
  t.log.enqueue(list, 0, [v(2)]);
  t.tick();
  const store = new MemoryKeyTransStore();
  const honest = verifySearch(t.ctx, store, list, undefined, t.log.search({ label: list }), t.now);
  assert.equal(decodeDeviceListValue(honest.output.value).version, 2);
  t.tick();
  t.log.lieAbout(list, (p) => (must(t.log.labelVersion(list, 0)).position <= p ? 0 : -1));
  const rolledBack = t.log.search({ label: list });
  refuses(store, 'VERSION_MISMATCH', () =>
    verifySearch(t.ctx, store, list, undefined, rolledBack, t.now),
  );
});

test('oversize positions in requests are refused before any work', () => {
  const bytes = encodeContactMonitorRequest({
    label: alice,
    entries: [{ position: 1, version: 0 }],
  });
  const huge = Uint8Array.from(bytes);
  huge[1 + 1 + alice.length + 1] = 0x40; // the entry's uint64 position: 2^62
  assert.throws(
    () => decodeContactMonitorRequest(huge),
    (e: unknown) => e instanceof KeyTransError && e.code === 'LIMIT_EXCEEDED',
  );
});
