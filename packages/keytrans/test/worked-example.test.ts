import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryKeyTransStore, verifySearch } from '../src/index.js';
import { MINUTE, createTestLog, label, value, must } from './fixture.js';

// The worked example that the working group added to the draft after -05 (Appendix C): a log of
// 13 entries, a user who retained the head at 4 entries, a greatest-version search for a label
// whose greatest version is 2, entry 11 the rightmost distinguished entry. The CombinedTreeProof
// must hold exactly the parts the example lists.
test('CombinedTreeProof of a greatest-version search has the worked example’s shape', () => {
  const t = createTestLog({ rmw: 3 * MINUTE });
  const alice = label('alice');
  t.log.enqueue(alice, undefined, [value('v0')]);
  t.tick(); // entry 0
  t.tick(); // 1
  t.log.enqueue(alice, 0, [value('v1')]);
  t.tick(); // 2
  t.tick(); // 3
  const store = new MemoryKeyTransStore();
  store.commit(
    verifySearch(t.ctx, store, alice, undefined, t.log.search({ label: alice }), t.now).changes,
  );
  assert.equal(store.head()?.treeHead.treeSize, 4);
  for (let i = 4; i < 9; i++) t.tick();
  t.log.enqueue(alice, 1, [value('v2')]);
  t.tick(); // 9
  for (let i = 10; i < 13; i++) t.tick();
  assert.equal(t.log.size, 13);

  const response = t.log.search({ label: alice, last: 4 });
  const proof = response.search;
  // timestamps = [T7, T11, T12]
  assert.equal(proof.timestamps.length, 3);
  assert.deepEqual(
    proof.timestamps.map((x) => (x - must(proof.timestamps[0])) / MINUTE),
    [0, 4, 5],
  );
  // Entry 11: lookups 0, 1, 3, 2 (inclusion, inclusion, non-inclusion, inclusion); entry 12: 3 only.
  assert.equal(proof.prefixProofs.length, 2);
  const first = must(proof.prefixProofs[0]).results.map((r) => r.type === 'inclusion');
  assert.deepEqual(first, [true, true, false, true]);
  assert.equal(must(proof.prefixProofs[1]).results.length, 1);
  assert.notEqual(must(must(proof.prefixProofs[1]).results[0]).type, 'inclusion');
  // prefix_roots = [root of entry 7]; inclusion = [4..5], 6, [8..9], 10
  assert.equal(proof.prefixRoots.length, 1);
  assert.equal(proof.inclusion.length, 4);

  const { output } = verifySearch(t.ctx, store, alice, undefined, response, t.now);
  assert.equal(output.version, 2);
});
