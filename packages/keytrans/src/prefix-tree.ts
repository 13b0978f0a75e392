import { concatBytes, constantTimeEqual } from '@parley/bytes';
import { KeyTransError } from './errors.js';
import type { PrefixLeaf, PrefixProof, PrefixSearchResult } from './structures.js';
import { HASH_LENGTH, type Suite } from './suite.js';

/**
 * The prefix tree (-05 §3.3, §9.8, §10.2) as an append-only store of immutable nodes: an insert
 * copies the path from the root, so every earlier root stays searchable. A leaf sits at the
 * shallowest depth where its 256-bit VRF output differs from every other; a parent's missing
 * child hashes as 32 zero bytes; the empty tree's root is that zero value.
 */

/** The id of a missing node (an empty tree, or a parent's missing child). */
export const EMPTY = -1;
const LEAF = 1;
const PARENT = 2;
const EXTERNAL = 3;
const ZERO = new Uint8Array(HASH_LENGTH);
const KEY_BITS = 256;

/** Bit `depth` of a key, most significant bit of byte 0 first. */
export function keyBit(key: Uint8Array, depth: number): number {
  return ((key[depth >> 3] ?? 0) >> (7 - (depth & 7))) & 1;
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Flat typed-array storage of prefix-tree nodes (≈ 41 bytes per parent, 105 per leaf). */
export class PrefixNodes {
  private kinds: Uint8Array;
  private first: Int32Array;
  private second: Int32Array;
  private hashes: Uint8Array;
  private leaves: Uint8Array;
  private nodeCount = 0;
  private leafCount = 0;

  /** `capacity`: nodes to allocate for at first (a proof's store is small; a log's grows). */
  constructor(
    private readonly suite: Suite,
    capacity = 1024,
  ) {
    this.kinds = new Uint8Array(capacity);
    this.first = new Int32Array(capacity);
    this.second = new Int32Array(capacity);
    this.hashes = new Uint8Array(capacity * HASH_LENGTH);
    this.leaves = new Uint8Array(Math.max(1, capacity >> 2) * 64);
  }

  /** Forgets every node (the arrays are kept for reuse). */
  reset(): void {
    this.nodeCount = 0;
    this.leafCount = 0;
  }

  get count(): number {
    return this.nodeCount;
  }

  /** Bytes used by nodes and leaves, for the benchmark's storage figure. */
  get byteLength(): number {
    return this.nodeCount * (1 + 4 + 4 + HASH_LENGTH) + this.leafCount * 64;
  }

  newLeaf(leaf: PrefixLeaf): number {
    if (this.leafCount * 64 + 64 > this.leaves.length)
      this.leaves = grow(this.leaves, this.leaves.length * 2);
    this.leaves.set(leaf.vrfOutput, this.leafCount * 64);
    this.leaves.set(leaf.commitment, this.leafCount * 64 + 32);
    const hash = this.suite.hash(concatBytes(Uint8Array.of(0x02), leaf.vrfOutput, leaf.commitment));
    return this.add(LEAF, this.leafCount++, 0, hash);
  }

  newParent(left: number, right: number): number {
    const hash = this.suite.hash(
      concatBytes(Uint8Array.of(0x03), this.hash(left), this.hash(right)),
    );
    return this.add(PARENT, left, right, hash);
  }

  /** A node known only by its hash (the unexpanded parts of a proof). */
  newExternal(hash: Uint8Array): number {
    return this.add(EXTERNAL, 0, 0, hash);
  }

  hash(id: number): Uint8Array {
    if (id === EMPTY) return ZERO;
    return this.hashes.subarray(id * HASH_LENGTH, id * HASH_LENGTH + HASH_LENGTH);
  }

  isLeaf(id: number): boolean {
    return id !== EMPTY && this.kinds[id] === LEAF;
  }

  isParent(id: number): boolean {
    return id !== EMPTY && this.kinds[id] === PARENT;
  }

  isExternal(id: number): boolean {
    return id !== EMPTY && this.kinds[id] === EXTERNAL;
  }

  child(id: number, bit: number): number {
    return (bit === 0 ? this.first[id] : this.second[id]) as number;
  }

  leaf(id: number): PrefixLeaf {
    const at = (this.first[id] as number) * 64;
    return {
      vrfOutput: this.leaves.slice(at, at + 32),
      commitment: this.leaves.slice(at + 32, at + 64),
    };
  }

  private leafKey(id: number): Uint8Array {
    const at = (this.first[id] as number) * 64;
    return this.leaves.subarray(at, at + 32);
  }

  /**
   * Inserts `leaves` (any order, distinct, none present) below `id` at `depth`, copying the
   * path; returns the new node id. Throws `INVALID_REQUEST` for a key already present and
   * `PROOF_SHAPE` if the path runs into a node known only by its hash.
   */
  insert(id: number, leaves: readonly PrefixLeaf[], depth = 0): number {
    if (leaves.length === 0) return id;
    const sorted =
      depth === 0 ? [...leaves].sort((a, b) => compareKeys(a.vrfOutput, b.vrfOutput)) : leaves;
    if (depth === 0) {
      for (let i = 1; i < sorted.length; i++) {
        if (
          compareKeys(
            (sorted[i - 1] as PrefixLeaf).vrfOutput,
            (sorted[i] as PrefixLeaf).vrfOutput,
          ) === 0
        ) {
          throw new KeyTransError('INVALID_REQUEST', 'the same VRF output is added twice');
        }
      }
    }
    return this.insertSorted(id, sorted, depth);
  }

  private insertSorted(id: number, leaves: readonly PrefixLeaf[], depth: number): number {
    if (leaves.length === 0) return id;
    if (depth >= KEY_BITS) throw new KeyTransError('INVALID_REQUEST', 'duplicate VRF output');
    if (this.isExternal(id))
      throw new KeyTransError('PROOF_SHAPE', 'prefix proof does not cover an insertion');
    if (id === EMPTY && leaves.length === 1) return this.newLeaf(leaves[0] as PrefixLeaf);
    let leftChild = EMPTY;
    let rightChild = EMPTY;
    if (this.isParent(id)) {
      leftChild = this.child(id, 0);
      rightChild = this.child(id, 1);
    } else if (this.isLeaf(id)) {
      const key = this.leafKey(id);
      for (const l of leaves) {
        if (compareKeys(l.vrfOutput, key) === 0) {
          throw new KeyTransError(
            'INVALID_REQUEST',
            'a VRF output already in the tree is added again',
          );
        }
      }
      if (keyBit(key, depth) === 0) leftChild = id;
      else rightChild = id;
    }
    const split = leaves.findIndex((l) => keyBit(l.vrfOutput, depth) === 1);
    const cut = split === -1 ? leaves.length : split;
    return this.newParent(
      this.insertSorted(leftChild, leaves.slice(0, cut), depth + 1),
      this.insertSorted(rightChild, leaves.slice(cut), depth + 1),
    );
  }

  /**
   * Searches `keys` below `root` and returns the batch proof (-05 §10.2) with the commitment of
   * each included key: results in the order of `keys`, elements left to right.
   */
  search(
    root: number,
    keys: readonly Uint8Array[],
  ): { proof: PrefixProof; commitments: (Uint8Array | undefined)[] } {
    const results: PrefixSearchResult[] = new Array<PrefixSearchResult>(keys.length);
    const commitments: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(keys.length);
    const elements: Uint8Array[] = [];
    const visit = (id: number, depth: number, indices: readonly number[]): void => {
      if (id === EMPTY) {
        for (const i of indices) results[i] = { type: 'nonInclusionParent', depth };
        return;
      }
      if (this.isExternal(id)) throw new KeyTransError('MISUSE', 'cannot search a partial tree');
      if (this.isLeaf(id)) {
        const leaf = this.leaf(id);
        for (const i of indices) {
          if (compareKeys(keys[i] as Uint8Array, leaf.vrfOutput) === 0) {
            results[i] = { type: 'inclusion', depth };
            commitments[i] = leaf.commitment;
          } else results[i] = { type: 'nonInclusionLeaf', leaf, depth };
        }
        return;
      }
      for (const bit of [0, 1]) {
        const side = indices.filter((i) => keyBit(keys[i] as Uint8Array, depth) === bit);
        const child = this.child(id, bit);
        if (side.length === 0) elements.push(this.hash(child).slice());
        else visit(child, depth + 1, side);
      }
    };
    if (keys.length === 0) elements.push(this.hash(root).slice());
    else
      visit(
        root,
        0,
        keys.map((_, i) => i),
      );
    return { proof: { results, elements }, commitments };
  }

  private add(kind: number, a: number, b: number, hash: Uint8Array): number {
    if (this.nodeCount === this.kinds.length) {
      const size = this.kinds.length * 2;
      this.kinds = grow(this.kinds, size);
      this.first = grow(this.first, size);
      this.second = grow(this.second, size);
      this.hashes = grow(this.hashes, size * HASH_LENGTH);
    }
    const id = this.nodeCount++;
    this.kinds[id] = kind;
    this.first[id] = a;
    this.second[id] = b;
    this.hashes.set(hash, id * HASH_LENGTH);
    return id;
  }
}

function grow<T extends Uint8Array | Int32Array>(array: T, size: number): T {
  const out = new (array.constructor as new (n: number) => T)(size);
  out.set(array);
  return out;
}

/** A key searched in a proof, and its commitment when the verifier knows it. */
export interface SearchedKey {
  readonly vrfOutput: Uint8Array;
  readonly commitment?: Uint8Array;
}

type Skeleton =
  | { t: 'ext'; hash?: Uint8Array }
  | { t: 'empty' }
  | { t: 'leaf'; leaf: PrefixLeaf }
  | { t: 'parent'; children: [Skeleton, Skeleton] };

/** Nodes first allocated to evaluate one proof (it grows if a proof needs more). */
const PROOF_NODES_CAPACITY = 64;
const scratch = new WeakMap<Suite, PrefixNodes>();

/**
 * Evaluates a prefix proof for `keys` (-05 §10.2): rebuilds the searched paths, places each
 * result's terminal node, fills the remaining copath slots with `elements` left to right and
 * returns the root value. Every inconsistency is `PROOF_SHAPE`; a key whose result is
 * inclusion must come with its commitment. `into`, if given, receives the partial tree (for the
 * auditor, which inserts into it) and the id of its root (without `into`, `rootId` means
 * nothing: the nodes go to a scratch store reused by the next evaluation).
 */
export function evaluatePrefixProof(
  suite: Suite,
  keys: readonly SearchedKey[],
  proof: PrefixProof,
  into?: PrefixNodes,
): { root: Uint8Array; rootId: number } {
  if (keys.length !== proof.results.length) {
    throw new KeyTransError('PROOF_SHAPE', 'prefix proof result count differs from the lookups');
  }
  const sorted = keys.map((k) => k.vrfOutput).sort(compareKeys);
  for (let i = 1; i < sorted.length; i++) {
    if (compareKeys(sorted[i - 1] as Uint8Array, sorted[i] as Uint8Array) === 0) {
      throw new KeyTransError('PROOF_SHAPE', 'the same key is searched twice');
    }
  }
  const root: { node: Skeleton } = { node: { t: 'ext' } };
  keys.forEach((key, i) => place(root, key, proof.results[i] as PrefixSearchResult));
  const elements = [...proof.elements];
  fill(root.node, elements);
  if (elements.length !== 0)
    throw new KeyTransError('PROOF_SHAPE', 'prefix proof has extra elements');
  let nodes = into;
  if (nodes === undefined) {
    // One scratch store per suite, reset for each proof (evaluation is synchronous).
    nodes = scratch.get(suite) ?? new PrefixNodes(suite, PROOF_NODES_CAPACITY);
    scratch.set(suite, nodes);
    nodes.reset();
  }
  const rootId = build(nodes, root.node);
  return { root: nodes.hash(rootId).slice(), rootId };
}

function place(root: { node: Skeleton }, key: SearchedKey, result: PrefixSearchResult): void {
  let holder: { node: Skeleton } | [Skeleton, Skeleton] = root;
  let slot: 0 | 1 | 'node' = 'node';
  const get = (): Skeleton =>
    slot === 'node' ? (holder as { node: Skeleton }).node : (holder as [Skeleton, Skeleton])[slot];
  const set = (n: Skeleton): void => {
    if (slot === 'node') (holder as { node: Skeleton }).node = n;
    else (holder as [Skeleton, Skeleton])[slot] = n;
  };
  for (let depth = 0; ; depth++) {
    if (depth > KEY_BITS || depth > result.depth)
      throw new KeyTransError('PROOF_SHAPE', 'prefix proof depth is inconsistent');
    const node = get();
    if (node.t === 'ext' && depth < result.depth) {
      set({ t: 'parent', children: [{ t: 'ext' }, { t: 'ext' }] });
    } else if (node.t === 'ext') {
      set(terminal(key, result));
      return;
    }
    const current = get();
    if (current.t === 'parent') {
      holder = current.children;
      slot = keyBit(key.vrfOutput, depth) as 0 | 1;
      continue;
    }
    if (depth !== result.depth)
      throw new KeyTransError('PROOF_SHAPE', 'prefix proof depth is inconsistent');
    const again = terminal(key, result);
    if (!sameTerminal(current, again)) {
      // The same leaf with two commitments: a value that is not the one in the tree.
      const sameKey =
        current.t === 'leaf' &&
        again.t === 'leaf' &&
        constantTimeEqual(current.leaf.vrfOutput, again.leaf.vrfOutput);
      throw new KeyTransError(
        sameKey ? 'PROOF_MISMATCH' : 'PROOF_SHAPE',
        'two results disagree on a node',
      );
    }
    return;
  }
}

function terminal(key: SearchedKey, result: PrefixSearchResult): Skeleton {
  if (result.type === 'nonInclusionParent') {
    return { t: 'empty' };
  }
  if (result.type === 'inclusion') {
    // The log shows a version it never gave this verifier a commitment for: a version the
    // verifier was told does not exist, or that the owner did not make.
    if (key.commitment === undefined) {
      throw new KeyTransError(
        'UNEXPECTED_VERSION',
        'inclusion of a version with no known commitment',
      );
    }
    return { t: 'leaf', leaf: { vrfOutput: key.vrfOutput, commitment: key.commitment } };
  }
  const other = result.leaf.vrfOutput;
  if (compareKeys(other, key.vrfOutput) === 0)
    throw new KeyTransError('PROOF_SHAPE', 'non-inclusion shows the searched key');
  for (let d = 0; d < result.depth; d++) {
    if (keyBit(other, d) !== keyBit(key.vrfOutput, d))
      throw new KeyTransError('PROOF_SHAPE', 'leaf is off the searched path');
  }
  return { t: 'leaf', leaf: result.leaf };
}

function sameTerminal(a: Skeleton, b: Skeleton): boolean {
  if (a.t === 'empty' && b.t === 'empty') return true;
  if (a.t === 'leaf' && b.t === 'leaf') {
    return (
      constantTimeEqual(a.leaf.vrfOutput, b.leaf.vrfOutput) &&
      constantTimeEqual(a.leaf.commitment, b.leaf.commitment)
    );
  }
  return false;
}

function fill(node: Skeleton, elements: Uint8Array[]): void {
  if (node.t === 'ext') {
    const next = elements.shift();
    if (next === undefined)
      throw new KeyTransError('PROOF_SHAPE', 'prefix proof is missing elements');
    node.hash = next;
  } else if (node.t === 'parent') {
    fill(node.children[0], elements);
    fill(node.children[1], elements);
  }
}

function build(nodes: PrefixNodes, node: Skeleton): number {
  switch (node.t) {
    case 'empty':
      return EMPTY;
    case 'ext':
      return nodes.newExternal(node.hash ?? ZERO);
    case 'leaf':
      return nodes.newLeaf(node.leaf);
    case 'parent':
      return nodes.newParent(build(nodes, node.children[0]), build(nodes, node.children[1]));
  }
}
