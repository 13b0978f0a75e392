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
  compareHeadsWithProof,
  decodeHeadConsistencyProof,
  encodeHeadConsistencyProof,
  verifySearch,
  type DistinguishedHead,
  type HeadState,
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

/** The outcome of a comparison, or the error code it threw. */
function outcome(f: () => string): string {
  try {
    return f();
  } catch (e) {
    return e instanceof KeyTransError ? e.code : 'other';
  }
}

const flip = (proof: readonly Uint8Array[], at: number): Uint8Array[] =>
  proof.map((e, i) => (i === at ? Uint8Array.from(e, (x, j) => (j === 0 ? x ^ 1 : x)) : e));

test('heads of different sizes: the log proves one history either way, and a forked history is a fork', () => {
  const { a, b } = twoViews();
  const alice = label('alice');
  const searched = (): HeadState => {
    const store = new MemoryKeyTransStore();
    const v = verifySearch(a.ctx, store, alice, undefined, a.log.search({ label: alice }), a.now);
    store.commit(v.changes);
    return must(store.head());
  };
  const own = searched();
  const ownSize = own.treeHead.treeSize;
  const older = headAfterSearch(a, alice);
  for (let i = 0; i < 5; i++) a.tick();
  const newer = headAfterSearch(a, alice);
  const later = searched();
  assert.ok(newer.treeSize > ownSize && later.treeHead.treeSize === newer.treeSize);

  // A larger gossiped head extends ours; a smaller one is a prefix of our later head.
  const up = decodeHeadConsistencyProof(
    encodeHeadConsistencyProof(a.log.headConsistency({ ownSize, otherSize: newer.treeSize })),
  );
  assert.equal(compareHeadsWithProof(a.suite, own, newer, up), 'same');
  const down = a.log.headConsistency({ ownSize: newer.treeSize, otherSize: ownSize });
  assert.equal(compareHeadsWithProof(a.suite, later, older, down), 'same');

  // The forked view b (same key, other entries), larger than our first head and smaller than
  // our later one: the honest log's proof puts another root at its size both ways.
  for (let i = 0; i < 2; i++) b.tick(MINUTE + 1);
  const forked = headAfterSearch(b, alice);
  verifyDistinguishedHead(a.ctx, forked);
  assert.ok(forked.treeSize > ownSize && forked.treeSize < newer.treeSize);
  const forkUp = a.log.headConsistency({ ownSize, otherSize: forked.treeSize });
  assert.equal(compareHeadsWithProof(a.suite, own, forked, forkUp), 'fork');
  const forkDown = a.log.headConsistency({ ownSize: newer.treeSize, otherSize: forked.treeSize });
  assert.equal(compareHeadsWithProof(a.suite, later, forked, forkDown), 'fork');

  // Malformed or altered proofs are "cannot verify" or a fork, never same.
  assert.equal(
    outcome(() => compareHeadsWithProof(a.suite, own, newer, up.slice(1))),
    'PROOF_SHAPE',
  );
  assert.equal(
    outcome(() => compareHeadsWithProof(a.suite, own, newer, [...up, new Uint8Array(32)])),
    'PROOF_SHAPE',
  );
  for (let i = 0; i < up.length; i++)
    assert.notEqual(
      outcome(() => compareHeadsWithProof(a.suite, own, newer, flip(up, i))),
      'same',
    );
  for (let i = 0; i < down.length; i++)
    assert.notEqual(
      outcome(() => compareHeadsWithProof(a.suite, later, older, flip(down, i))),
      'same',
    );
  // The log refuses sizes outside it, or one size twice.
  const request = (otherSize: number) => () =>
    a.log.headConsistency({ ownSize, otherSize }).length.toString();
  assert.equal(outcome(request(a.log.size + 1)), 'INVALID_REQUEST');
  assert.equal(outcome(request(ownSize)), 'INVALID_REQUEST');
  assert.equal(outcome(request(0)), 'INVALID_REQUEST');
});
