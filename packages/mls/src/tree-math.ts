import type { Brand } from '@parley/bytes';
import { MlsError } from './errors.js';
import { MAX_LEAVES } from './limits.js';

/**
 * Array-based tree math (RFC 9420 §4.1, Appendix C). Leaves sit at even node indices, parents at
 * odd ones; a tree of `n` leaves (`n` a power of two) has `2n − 1` nodes. Functions take the
 * leaf count and throw `MISUSE` for a node outside the tree or a relative that does not exist.
 */

/** Index of a leaf among the leaves (0, 1, 2, …). */
export type LeafIndex = Brand<number, 'LeafIndex'>;
/** Index of a node in the array representation (leaf i is node 2i). */
export type NodeIndex = Brand<number, 'NodeIndex'>;

function checkIndex(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 * MAX_LEAVES) {
    throw new MlsError('MISUSE', `${what} ${value} out of range`);
  }
}

/** Brands a leaf index after checking it is a non-negative integer below the limits. */
export function leafIndex(value: number): LeafIndex {
  checkIndex(value, 'leaf index');
  return value as LeafIndex;
}

/** Brands a node index after checking it is a non-negative integer below the limits. */
export function nodeIndex(value: number): NodeIndex {
  checkIndex(value, 'node index');
  return value as NodeIndex;
}

/** The node of leaf `leaf`. */
export function leafToNode(leaf: LeafIndex): NodeIndex {
  return (leaf * 2) as NodeIndex;
}

/** The leaf at node `node`; throws `MISUSE` for a parent node. */
export function nodeToLeaf(node: NodeIndex): LeafIndex {
  if (!isLeaf(node)) throw new MlsError('MISUSE', `node ${node} is not a leaf`);
  return (node / 2) as LeafIndex;
}

/** True for a leaf node. */
export function isLeaf(node: NodeIndex): boolean {
  return node % 2 === 0;
}

/** floor(log2(x)) for x ≥ 1. */
function log2(x: number): number {
  return 31 - Math.clz32(x);
}

/** The level of a node: 0 for leaves, k for a node whose index ends in k one-bits. */
export function level(node: NodeIndex): number {
  let k = 0;
  while (((node >>> k) & 1) === 1) k++;
  return k;
}

function checkLeafCount(leafCount: number): void {
  if (
    !Number.isInteger(leafCount) ||
    leafCount < 1 ||
    leafCount > MAX_LEAVES ||
    (leafCount & (leafCount - 1)) !== 0
  ) {
    throw new MlsError(
      'MISUSE',
      `leaf count ${leafCount} is not a power of two up to ${MAX_LEAVES}`,
    );
  }
}

function checkNode(node: NodeIndex, leafCount: number): void {
  checkLeafCount(leafCount);
  if (node >= nodeWidth(leafCount)) {
    throw new MlsError('MISUSE', `node ${node} outside a tree of ${leafCount} leaves`);
  }
}

/** Number of nodes in a tree of `leafCount` leaves: 2n − 1 (0 for an empty tree). */
export function nodeWidth(leafCount: number): number {
  return leafCount === 0 ? 0 : 2 * (leafCount - 1) + 1;
}

/** The root of a tree of `leafCount` leaves. */
export function root(leafCount: number): NodeIndex {
  checkLeafCount(leafCount);
  return ((1 << log2(nodeWidth(leafCount))) - 1) as NodeIndex;
}

/** Left child of a parent node; throws for a leaf. */
export function left(node: NodeIndex): NodeIndex {
  const k = level(node);
  if (k === 0) throw new MlsError('MISUSE', `leaf ${node} has no children`);
  return (node ^ (1 << (k - 1))) as NodeIndex;
}

/** Right child of a parent node; throws for a leaf. */
export function right(node: NodeIndex): NodeIndex {
  const k = level(node);
  if (k === 0) throw new MlsError('MISUSE', `leaf ${node} has no children`);
  return (node ^ (3 << (k - 1))) as NodeIndex;
}

/** Parent of `node` in a tree of `leafCount` leaves; throws for the root. */
export function parent(node: NodeIndex, leafCount: number): NodeIndex {
  checkNode(node, leafCount);
  if (node === root(leafCount)) throw new MlsError('MISUSE', 'the root has no parent');
  const k = level(node);
  const b = (node >>> (k + 1)) & 1;
  return ((node | (1 << k)) ^ (b << (k + 1))) as NodeIndex;
}

/** The other child of `node`'s parent; throws for the root. */
export function sibling(node: NodeIndex, leafCount: number): NodeIndex {
  const p = parent(node, leafCount);
  return node < p ? right(p) : left(p);
}

/** The path from `node` up to the root, excluding `node` and including the root. */
export function directPath(node: NodeIndex, leafCount: number): NodeIndex[] {
  checkNode(node, leafCount);
  const r = root(leafCount);
  const path: NodeIndex[] = [];
  let x = node;
  while (x !== r) {
    x = parent(x, leafCount);
    path.push(x);
  }
  return path;
}

/** The sibling of every node on the path from `node` to (excluding) the root. */
export function copath(node: NodeIndex, leafCount: number): NodeIndex[] {
  checkNode(node, leafCount);
  const r = root(leafCount);
  const out: NodeIndex[] = [];
  let x = node;
  while (x !== r) {
    out.push(sibling(x, leafCount));
    x = parent(x, leafCount);
  }
  return out;
}

/** True when `ancestor`'s subtree contains `node` (a node is its own ancestor here). */
export function inSubtree(node: NodeIndex, ancestor: NodeIndex): boolean {
  return Math.abs(node - ancestor) < 1 << level(ancestor);
}
