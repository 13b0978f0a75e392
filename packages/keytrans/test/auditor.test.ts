import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KeyTransError,
  MemoryKeyTransStore,
  applyAuditorUpdate,
  decodeAuditorUpdate,
  encodeAuditorUpdate,
  initialAuditorState,
  verifySearch,
  type AuditorState,
} from '../src/index.js';
import { MINUTE, createTestLog, label, snapshot, value, type TestLog, must } from './fixture.js';

function audited(options: { maxAuditorLag?: number; auditorStartPos?: number } = {}): {
  t: TestLog;
  state: () => AuditorState;
  step: (lag?: boolean) => void;
} {
  const t = createTestLog({ mode: 3, rmw: 10 * MINUTE, ...options });
  let state = initialAuditorState();
  const step = (lag = false): void => {
    t.tick();
    if (lag) return;
    while (state.size < t.log.size) {
      const wire = encodeAuditorUpdate(t.log.auditorUpdate(state.size));
      const next = applyAuditorUpdate(
        t.suite,
        t.config,
        must(t.auditorKey),
        state,
        decodeAuditorUpdate(wire),
      );
      state = next.state;
      t.log.setAuditorTreeHead(next.head);
    }
  };
  return { t, state: () => state, step };
}

test('third-party auditing: the auditor checks every entry, clients check its head', () => {
  const { t, state, step } = audited();
  const alice = label('alice');
  t.log.enqueue(alice, undefined, [value('k0')]);
  step();
  for (let i = 0; i < 15; i++) step();
  assert.deepEqual(state().fullSubtrees.length > 0, true);
  assert.deepEqual(t.log.rootAt(t.log.size).length, 32);
  const store = new MemoryKeyTransStore();
  const first = verifySearch(t.ctx, store, alice, undefined, t.log.search({ label: alice }), t.now);
  store.commit(first.changes);
  assert.equal(store.head()?.auditorTreeHead?.treeSize, t.log.size);
  t.log.enqueue(alice, 0, [value('k1')]);
  step();
  const second = verifySearch(
    t.ctx,
    store,
    alice,
    undefined,
    t.log.search({ label: alice, last: t.log.size - 1 }),
    t.now,
  );
  assert.equal(second.output.version, 1);
});

test('an auditor head that lags too far is refused, state unchanged', () => {
  const { t, step } = audited({ maxAuditorLag: 5 * MINUTE });
  const alice = label('alice');
  t.log.enqueue(alice, undefined, [value('k0')]);
  step();
  for (let i = 0; i < 6; i++) step(true);
  const store = new MemoryKeyTransStore();
  const before = snapshot(store);
  assert.throws(
    () => verifySearch(t.ctx, store, alice, undefined, t.log.search({ label: alice }), t.now),
    (e: unknown) => e instanceof KeyTransError && e.code === 'AUDITOR_HEAD',
  );
  assert.equal(snapshot(store), before);
});

test('an auditor that started after the client’s last auditor head is refused', () => {
  const { t, step } = audited({ auditorStartPos: 8 });
  const alice = label('alice');
  t.log.enqueue(alice, undefined, [value('k0')]);
  step();
  for (let i = 0; i < 3; i++) step();
  const store = new MemoryKeyTransStore();
  store.commit(
    verifySearch(t.ctx, store, alice, undefined, t.log.search({ label: alice }), t.now).changes,
  );
  assert.ok((store.head()?.auditorTreeHead?.treeSize ?? 0) < 8);
  step();
  const before = snapshot(store);
  assert.throws(
    () =>
      verifySearch(
        t.ctx,
        store,
        alice,
        undefined,
        t.log.search({ label: alice, last: t.log.size - 1 }),
        t.now,
      ),
    (e: unknown) => e instanceof KeyTransError && e.code === 'AUDITOR_HEAD',
  );
  assert.equal(snapshot(store), before);
});

test('the auditor refuses an update that does not extend its view', () => {
  const { t, state, step } = audited();
  t.log.enqueue(label('alice'), undefined, [value('k0')]);
  step();
  step();
  const update = t.log.auditorUpdate(1);
  const earlier = { ...update, timestamp: update.timestamp - 2 * MINUTE };
  const s = state();
  assert.throws(
    () =>
      applyAuditorUpdate(
        t.suite,
        t.config,
        must(t.auditorKey),
        { ...s, size: 1, timestamp: update.timestamp },
        earlier,
      ),
    (e: unknown) => e instanceof KeyTransError && e.code === 'TIMESTAMP_ORDER',
  );
  const replayed = t.log.auditorUpdate(0);
  assert.throws(
    () =>
      applyAuditorUpdate(t.suite, t.config, must(t.auditorKey), s, {
        ...replayed,
        timestamp: s.timestamp,
      }),
    (e: unknown) =>
      e instanceof KeyTransError && (e.code === 'PROOF_MISMATCH' || e.code === 'PROOF_SHAPE'),
  );
});
