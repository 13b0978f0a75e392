import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MemoryKeyTransStore,
  decodeSearchResponse,
  encodeSearchResponse,
  verifySearch,
} from '../src/index.js';
import { createTestLog, label, value } from './fixture.js';

test('greatest-version search verifies against a fresh client, then against a retained head', () => {
  const t = createTestLog();
  t.log.enqueue(label('alice'), undefined, [value('key-a0')]);
  t.tick();
  for (let i = 0; i < 40; i++) t.tick();
  t.log.enqueue(label('alice'), 0, [value('key-a1')]);
  t.tick();
  const store = new MemoryKeyTransStore();
  const response = t.log.search({ label: label('alice') });
  const bytes = encodeSearchResponse(t.config.mode, response);
  const decoded = decodeSearchResponse(t.config.mode, false, bytes);
  const { output, changes } = verifySearch(t.ctx, store, label('alice'), undefined, decoded, t.now);
  assert.equal(output.version, 1);
  assert.deepEqual(output.value, value('key-a1'));
  store.commit(changes);
  assert.equal(store.head()?.treeHead.treeSize, t.log.size);
  for (let i = 0; i < 7; i++) t.tick();
  const again = t.log.search({ label: label('alice'), last: t.log.size - 7 });
  const second = verifySearch(t.ctx, store, label('alice'), undefined, again, t.now);
  assert.equal(second.output.version, 1);
  store.commit(second.changes);
  assert.equal(store.head()?.treeHead.treeSize, t.log.size);
  const fixed = t.log.search({ label: label('alice'), version: 0, last: t.log.size });
  const third = verifySearch(t.ctx, store, label('alice'), 0, fixed, t.now);
  assert.deepEqual(third.output.value, value('key-a0'));
});
