// Gossip of signed heads (compare_roots): two views of one log key at one size are a fork with
// verifiable evidence; a forged or altered head is refused; heads of different sizes are
// incomparable, never a false alarm.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KeyTransError,
  MemoryKeyTransStore,
  compareRoots,
  decodeDistinguishedHead,
  distinguishedHeadOf,
  encodeDistinguishedHead,
  verifyDistinguishedHead,
  verifySearch,
  type DistinguishedHead,
} from '../src/index.js';
import { MINUTE, createTestLog, label, must, value, type TestLog } from './fixture.js';

/** A client's head after searching `who` in `t`. */
function headAfterSearch(t: TestLog, who: Uint8Array): DistinguishedHead {
  const store = new MemoryKeyTransStore();
  const v = verifySearch(t.ctx, store, who, undefined, t.log.search({ label: who }), t.now);
  store.commit(v.changes);
  return distinguishedHeadOf(t.ctx, must(store.head()));
}

function twoViews(): { a: TestLog; b: TestLog } {
  // One signing key (fixed seed), two histories: the second view's entries carry other timestamps.
  const a = createTestLog({ rmw: 10 * MINUTE });
  const b = createTestLog({ rmw: 10 * MINUTE });
  for (const t of [a, b]) t.log.enqueue(label('alice'), undefined, [value('a0')]);
  for (let i = 0; i < 6; i++) {
    a.tick();
    b.tick(MINUTE + 1);
  }
  return { a, b };
}

test('head equivocation: one size, two signed roots is a fork, and both heads verify as evidence', () => {
  const { a, b } = twoViews();
  const alice = label('alice');
  const ha = headAfterSearch(a, alice);
  const hb = headAfterSearch(b, alice);
  assert.equal(ha.treeSize, hb.treeSize);
  // Both are the log's own signatures: neither side can deny its head.
  verifyDistinguishedHead(a.ctx, ha);
  verifyDistinguishedHead(a.ctx, hb);
  assert.equal(compareRoots(ha, hb), 'fork');
  assert.equal(compareRoots(ha, headAfterSearch(a, alice)), 'same');
  // The evidence survives its wire form.
  const back = decodeDistinguishedHead(encodeDistinguishedHead(hb));
  assert.deepEqual(back, hb);
  assert.equal(compareRoots(ha, back), 'fork');
});

test('a head of another size is incomparable, not a fork', () => {
  const { a } = twoViews();
  const alice = label('alice');
  const before = headAfterSearch(a, alice);
  a.tick();
  const after = headAfterSearch(a, alice);
  assert.equal(compareRoots(before, after), 'incomparable');
});

test('a forged or altered gossiped head is refused (BAD_SIGNATURE), so no one can fake a fork', () => {
  const { a } = twoViews();
  const h = headAfterSearch(a, label('alice'));
  const otherRoot = { ...h, root: Uint8Array.from(h.root, (x, i) => (i === 0 ? x ^ 1 : x)) };
  const otherSize = { ...h, treeSize: h.treeSize + 1 };
  const badSignature = { ...h, signature: new Uint8Array(64) };
  for (const forged of [otherRoot, otherSize, badSignature])
    assert.throws(
      () => verifyDistinguishedHead(a.ctx, forged),
      (e: unknown) => e instanceof KeyTransError && e.code === 'BAD_SIGNATURE',
    );
});

test('a gossiped head of size 0, or beyond the tree size limit, or with trailing bytes is refused', () => {
  const h = { treeSize: 3, root: new Uint8Array(32), signature: new Uint8Array(64) };
  const bytes = encodeDistinguishedHead(h);
  const zero = Uint8Array.from(bytes);
  zero.fill(0, 0, 8);
  const huge = Uint8Array.from(bytes);
  huge.fill(0xff, 0, 8);
  const cases: [Uint8Array, string][] = [
    [zero, 'LIMIT_EXCEEDED'],
    [huge, 'LIMIT_EXCEEDED'],
    [Uint8Array.of(...bytes, 0), 'MALFORMED'],
    [bytes.slice(0, bytes.length - 1), 'MALFORMED'],
  ];
  for (const [input, code] of cases)
    assert.throws(
      () => decodeDistinguishedHead(input),
      (e: unknown) => e instanceof KeyTransError && e.code === code,
    );
});
