import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MemoryKeyTransStore,
  contactMonitorRequest,
  decodeMonitorResponse,
  encodeMonitorResponse,
  verifyContactMonitor,
  verifyDistinguished,
  verifySearch,
} from '../src/index.js';
import { MINUTE, createTestLog, label, value, must } from './fixture.js';
import { initOwner, monitorOwner, ownerUpdate } from './owner-helpers.js';

test('an owner initialises, updates and monitors its label across distinguished entries', () => {
  const t = createTestLog({ rmw: 10 * MINUTE });
  for (let i = 0; i < 30; i++) t.tick();
  const store = new MemoryKeyTransStore();
  const bob = label('bob');
  initOwner(t, store, bob);
  ownerUpdate(t, store, bob, [value('b0')]);
  for (let round = 0; round < 12; round++) {
    for (let i = 0; i < 7; i++) t.tick();
    if (round % 4 === 1) ownerUpdate(t, store, bob, [value(`b${round}`)]);
    if (round === 6) ownerUpdate(t, store, bob, [value('x1'), value('x2'), value('x3')]);
    monitorOwner(t, store, bob);
  }
  const owner = must(store.owned(bob));
  assert.equal(must(owner.inserted[owner.inserted.length - 1]).version, t.log.greatest(bob));
  assert.ok(owner.start > 30, 'start moved right as distinguished entries were verified');
});

test('a contact monitors a looked-up label until a distinguished entry covers it', () => {
  const t = createTestLog({ rmw: 10 * MINUTE });
  const carol = label('carol');
  for (let i = 0; i < 20; i++) t.tick();
  t.log.enqueue(carol, undefined, [value('c0')]);
  t.tick();
  const store = new MemoryKeyTransStore();
  const search = verifySearch(
    t.ctx,
    store,
    carol,
    undefined,
    t.log.search({ label: carol }),
    t.now,
  );
  assert.equal(search.output.monitoring, true);
  store.commit(search.changes);
  let rounds = 0;
  while (store.contact(carol) !== undefined) {
    for (let i = 0; i < 3; i++) t.tick();
    const request = must(contactMonitorRequest(store, carol));
    const response = t.log.contactMonitor(request);
    const wire = decodeMonitorResponse(
      t.config.mode,
      encodeMonitorResponse(t.config.mode, response),
    );
    store.commit(verifyContactMonitor(t.ctx, store, carol, wire, t.now).changes);
    rounds++;
    assert.ok(rounds < 50, 'monitoring ends');
  }
  assert.ok(rounds >= 1);
});

test('a contact that searches a monitored label again keeps one entry per version, and the log accepts its monitoring', () => {
  // Search at size 22 (terminal 21), monitor at 23 (21 has no ancestor right of it yet, so the
  // entry stays), search again at 24: the terminal is 23, 21's parent. Merged by position only,
  // the map listed version 0 at 21 and at 23 and the log refused every later ContactMonitor
  // (`duplicate monitored version`); kept at 21, monitoring walks through 23.
  const t = createTestLog({ rmw: 24 * 60 * MINUTE });
  const frank = label('frank');
  const store = new MemoryKeyTransStore();
  const search = () =>
    verifySearch(
      t.ctx,
      store,
      frank,
      undefined,
      t.log.search({ label: frank, last: must(store.head()).treeHead.treeSize }),
      t.now,
    );
  for (let i = 0; i < 20; i++) t.tick();
  t.log.enqueue(frank, undefined, [value('f0')]);
  t.tick();
  t.tick();
  const first = verifySearch(t.ctx, store, frank, undefined, t.log.search({ label: frank }), t.now);
  assert.equal(first.output.terminal, 21);
  store.commit(first.changes);
  t.tick();
  const monitored = t.log.contactMonitor(must(contactMonitorRequest(store, frank)));
  store.commit(verifyContactMonitor(t.ctx, store, frank, monitored, t.now).changes);
  assert.deepEqual(must(store.contact(frank)).entries, [{ position: 21, version: 0 }]);
  t.tick();
  const again = search();
  assert.equal(again.output.terminal, 23);
  store.commit(again.changes);
  assert.deepEqual(must(store.contact(frank)).entries, [{ position: 21, version: 0 }]);
  const response = t.log.contactMonitor(must(contactMonitorRequest(store, frank)));
  store.commit(verifyContactMonitor(t.ctx, store, frank, response, t.now).changes);
  assert.deepEqual(must(store.contact(frank)).entries, [{ position: 23, version: 0 }]);
});

test('walking distinguished heads returns the recent distinguished entries', () => {
  const t = createTestLog({ rmw: 10 * MINUTE, recentWindow: 60 * MINUTE });
  for (let i = 0; i < 100; i++) t.tick();
  const store = new MemoryKeyTransStore();
  const response = t.log.distinguished({});
  const { output } = verifyDistinguished(t.ctx, store, undefined, 60 * MINUTE, response, t.now);
  const all = t.log.distinguishedEntries();
  assert.ok(output.entries.length >= 2);
  for (const e of output.entries) assert.ok(all.includes(e));
});
