// The ratchet tree's cached tree hashes and parent-hash verification (RFC 9420 §7.8–7.9), on
// the largest suite-1 tree of tree-validation.json: changes recompute only what they touch and
// agree with a tree built from scratch, and a forged parent hash is caught.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '@parley/bytes';
import { loadJsonVector } from '@parley/conformance';
import {
  MlsCrypto,
  NodeType,
  RatchetTree,
  leafIndex,
  nodeIndex,
  type NodeIndex,
} from '@parley/mls';
import { createNodePrimitives } from '@parley/primitives-node';

const crypto = new MlsCrypto(createNodePrimitives(), 1);

function largestTree(): RatchetTree | string {
  const loaded = loadJsonVector('mls/tree-validation.json');
  if (!loaded.found) return loaded.reason;
  let best: RatchetTree | undefined;
  for (const entry of loaded.data as readonly { cipher_suite: number; tree: string }[]) {
    if (entry.cipher_suite !== 1) continue;
    const tree = RatchetTree.decode(crypto, fromHex(entry.tree));
    if (best === undefined || tree.leafCount > best.leafCount) best = tree;
  }
  return best ?? 'no suite-1 tree in tree-validation.json';
}

const tree = largestTree();

function withTree(name: string, run: (t: RatchetTree) => void): void {
  test(name, () => {
    if (typeof tree === 'string') assert.fail(tree);
    run(tree);
  });
}

function firstParent(t: RatchetTree): NodeIndex {
  for (let i = 1; i < 2 * t.leafCount - 1; i += 2) {
    if (t.parentNode(nodeIndex(i)) !== undefined) return nodeIndex(i);
  }
  throw new Error('tree has no parent node');
}

withTree('a forged parent hash fails verification', (t) => {
  assert.equal(t.verifyParentHashes(), true);
  const p = firstParent(t);
  const parent = t.parentNode(p);
  assert.ok(parent !== undefined);
  const forged = parent.parentHash.slice();
  forged[0] = (forged[0] ?? 0) ^ 1;
  const tampered = t.withNodes(
    new Map([[p, { nodeType: NodeType.parent, parent: { ...parent, parentHash: forged } }]]),
  );
  assert.equal(tampered.verifyParentHashes(), false);
});

withTree('a changed node changes the root hash exactly as a fresh tree computes it', (t) => {
  const before = toHex(t.treeHash());
  const p = firstParent(t);
  const changed = t.withNodes(new Map([[p, undefined]]));
  const fresh = RatchetTree.decode(crypto, changed.encode());
  assert.notEqual(toHex(changed.treeHash()), before);
  assert.equal(toHex(changed.treeHash()), toHex(fresh.treeHash()));
  assert.equal(toHex(t.treeHash()), before, 'the original tree is unchanged');
});

withTree('removing every leaf but the first truncates the tree to one leaf', (t) => {
  let current = t;
  for (let leaf = t.leafCount - 1; leaf > 0; leaf--) {
    if (current.leafCount > leaf && current.leaf(leafIndex(leaf)) !== undefined) {
      current = current.removeLeaf(leafIndex(leaf));
    }
  }
  assert.equal(current.leafCount, 1);
  assert.equal(
    toHex(current.treeHash()),
    toHex(RatchetTree.decode(crypto, current.encode()).treeHash()),
  );
});

withTree('adding leaves at once gives the tree that adding them one by one gives', (t) => {
  // Blank two leaves (one inside, one at the end) so the adds fill gaps, then extend the tree.
  let start = t;
  for (const leaf of [1, t.leafCount - 1]) {
    if (start.leaf(leafIndex(leaf)) !== undefined) start = start.removeLeaf(leafIndex(leaf));
  }
  start.treeHash();
  const leafNodes = Array.from({ length: t.leafCount + 3 }, (_, i) => {
    const leaf = t.leaf(leafIndex(i % t.leafCount)) ?? t.leaf(leafIndex(0));
    assert.ok(leaf !== undefined);
    return leaf;
  });
  let oneByOne = start;
  const expected: number[] = [];
  for (const leafNode of leafNodes) {
    const r = oneByOne.addLeaf(leafNode);
    oneByOne = r.tree;
    expected.push(r.leaf);
  }
  const atOnce = start.addLeaves(leafNodes);
  assert.deepEqual([...atOnce.leaves], expected);
  assert.equal(toHex(atOnce.tree.encode()), toHex(oneByOne.encode()));
  assert.equal(toHex(atOnce.tree.treeHash()), toHex(oneByOne.treeHash()));
  assert.equal(
    toHex(atOnce.tree.treeHash()),
    toHex(RatchetTree.decode(crypto, atOnce.tree.encode()).treeHash()),
  );
});
