import { constantTimeEqual, TlsWriter, type TlsReader } from '@parley/bytes';
import { checkEnum, decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { MlsError } from './errors.js';
import {
  LeafNodeSource,
  readLeafNode,
  writeLeafNode,
  writeLeafNodeContent,
  type LeafNode,
} from './leaf-node.js';
import { MAX_LEAVES } from './limits.js';
import type { MlsCrypto } from './mls-crypto.js';
import {
  directPath,
  isLeaf,
  leafToNode,
  left,
  level,
  nodeIndex,
  nodeWidth,
  right,
  root,
  type LeafIndex,
  type NodeIndex,
} from './tree-math.js';

/** ParentNode (RFC 9420 §7.1). */
export interface ParentNode {
  readonly encryptionKey: Uint8Array;
  readonly parentHash: Uint8Array;
  /** Leaf indices, ascending. */
  readonly unmergedLeaves: readonly number[];
}

/** NodeType values (RFC 9420 §7.8). */
export const NodeType = { leaf: 1, parent: 2 } as const;

/** A non-blank node of the ratchet tree. */
export type TreeNode =
  | { readonly nodeType: 1; readonly leaf: LeafNode }
  | { readonly nodeType: 2; readonly parent: ParentNode };

function writeParentNode(w: TlsWriter, p: ParentNode): void {
  writeOpaque(w, p.encryptionKey);
  writeOpaque(w, p.parentHash);
  w.vector('varint', p.unmergedLeaves, (lw, leaf) => lw.uint32(leaf));
}

function readParentNode(r: TlsReader): ParentNode {
  return {
    encryptionKey: readOpaque(r),
    parentHash: readOpaque(r),
    unmergedLeaves: r.vector('varint', (lr) => lr.uint32()),
  };
}

function writeNode(w: TlsWriter, n: TreeNode): void {
  w.uint8(n.nodeType);
  if (n.nodeType === NodeType.leaf) writeLeafNode(w, n.leaf);
  else writeParentNode(w, n.parent);
}

function readNode(r: TlsReader): TreeNode {
  const nodeType = checkEnum(r.uint8(), [1, 2] as const, 'node type');
  return nodeType === NodeType.leaf
    ? { nodeType, leaf: readLeafNode(r) }
    : { nodeType, parent: readParentNode(r) };
}

/**
 * Decodes `optional<Node> ratchet_tree<V>` (RFC 9420 §12.4.3.3) into nodes in array order. The
 * last node must not be blank (trailing blanks are stripped by the sender), and the tree may
 * have at most `MAX_LEAVES` leaves.
 */
export function decodeRatchetTreeNodes(bytes: Uint8Array): (TreeNode | undefined)[] {
  const nodes = decodeWith(bytes, 'ratchet tree', (r) =>
    r.vector('varint', (nr) => nr.optional(readNode) ?? null),
  );
  if (nodes.length === 0 || nodes[nodes.length - 1] === null) {
    throw new MlsError('INVALID_ENCODING', 'ratchet tree is empty or ends in a blank node');
  }
  if (nodes.length > nodeWidth(MAX_LEAVES)) {
    throw new MlsError('LIMIT_EXCEEDED', `tree of more than ${MAX_LEAVES} leaves`);
  }
  return nodes.map((n) => n ?? undefined);
}

/** Encodes nodes as `optional<Node> ratchet_tree<V>`, trailing blank nodes stripped. */
export function encodeRatchetTreeNodes(nodes: readonly (TreeNode | undefined)[]): Uint8Array {
  let end = nodes.length;
  while (end > 0 && nodes[end - 1] === undefined) end--;
  return encodeWith(nodes.slice(0, end), (w, list) =>
    w.vector('varint', list, (nw, n) => nw.optional(n, writeNode)),
  );
}

/**
 * The public ratchet tree (RFC 9420 §7): a full binary tree of optional nodes, with tree hashes
 * cached per node. The tree is immutable: {@link RatchetTree.withNodes} returns a new tree that
 * shares the unchanged nodes and keeps every cached hash except those on the changed nodes'
 * paths to the root, so a commit recomputes only what it touched.
 */
export class RatchetTree {
  private constructor(
    private readonly crypto: MlsCrypto,
    private readonly nodes: readonly (TreeNode | undefined)[],
    /** Tree hash per node, filled on demand; only ever holds this tree's values. */
    private readonly hashes: (Uint8Array | undefined)[],
  ) {}

  /** A tree from nodes in array order, padded with blanks to a full tree. */
  static fromNodes(crypto: MlsCrypto, nodes: readonly (TreeNode | undefined)[]): RatchetTree {
    let leafCount = 1;
    while (nodeWidth(leafCount) < nodes.length) leafCount *= 2;
    if (leafCount > MAX_LEAVES) {
      throw new MlsError('LIMIT_EXCEEDED', `tree of more than ${MAX_LEAVES} leaves`);
    }
    const width = nodeWidth(leafCount);
    const padded: (TreeNode | undefined)[] = [];
    for (let i = 0; i < width; i++) {
      const node = nodes[i];
      if (node !== undefined && (node.nodeType === NodeType.leaf) !== (i % 2 === 0)) {
        throw new MlsError('INVALID_ENCODING', `node ${i} has the wrong node type`);
      }
      padded.push(node);
    }
    return new RatchetTree(
      crypto,
      padded,
      new Array<Uint8Array | undefined>(width).fill(undefined),
    );
  }

  /**
   * Decodes the `ratchet_tree` extension's `optional<Node> ratchet_tree<V>`: trailing blank
   * nodes must have been stripped, and node types must match their positions.
   */
  static decode(crypto: MlsCrypto, bytes: Uint8Array): RatchetTree {
    return RatchetTree.fromNodes(crypto, decodeRatchetTreeNodes(bytes));
  }

  /** The `ratchet_tree` encoding, trailing blank nodes stripped. */
  encode(): Uint8Array {
    return encodeRatchetTreeNodes(this.nodes);
  }

  /** Number of leaves, blank or not (a power of two). */
  get leafCount(): number {
    return (this.nodes.length + 1) / 2;
  }

  /** The node at `index`, or undefined when blank. */
  node(index: NodeIndex): TreeNode | undefined {
    this.checkNode(index);
    return this.nodes[index];
  }

  /** The leaf node of `leaf`, or undefined when blank. */
  leaf(leaf: LeafIndex): LeafNode | undefined {
    const n = this.node(leafToNode(leaf));
    return n?.nodeType === NodeType.leaf ? n.leaf : undefined;
  }

  /** The parent node at `index`, or undefined when blank (or a leaf). */
  parentNode(index: NodeIndex): ParentNode | undefined {
    const n = this.node(index);
    return n?.nodeType === NodeType.parent ? n.parent : undefined;
  }

  /**
   * A tree with the given nodes replaced (undefined blanks a node). Cached hashes survive except
   * on the changed nodes and their ancestors.
   */
  withNodes(changes: ReadonlyMap<NodeIndex, TreeNode | undefined>): RatchetTree {
    const nodes = this.nodes.slice();
    const hashes = this.hashes.slice();
    for (const [index, node] of changes) {
      this.checkNode(index);
      if (node !== undefined && (node.nodeType === NodeType.leaf) !== isLeaf(index)) {
        throw new MlsError('MISUSE', `node ${index} has the wrong node type`);
      }
      nodes[index] = node;
      hashes[index] = undefined;
      for (const ancestor of directPath(index, this.leafCount)) hashes[ancestor] = undefined;
    }
    return new RatchetTree(this.crypto, nodes, hashes);
  }

  /**
   * Adds `leafNode` at the leftmost blank leaf, doubling the tree when there is none, and lists
   * it as unmerged in every non-blank parent above it (RFC 9420 §12.1.1).
   */
  addLeaf(leafNode: LeafNode): { readonly tree: RatchetTree; readonly leaf: LeafIndex } {
    let slot = -1;
    for (let i = 0; i < this.nodes.length; i += 2) {
      if (this.nodes[i] === undefined) {
        slot = i / 2;
        break;
      }
    }
    const full = slot < 0;
    if (full) slot = this.leafCount;
    const tree = full ? this.resized(this.leafCount * 2) : this;
    const leaf = slot as LeafIndex;
    const node = leafToNode(leaf);
    const changes = new Map<NodeIndex, TreeNode | undefined>([
      [node, { nodeType: NodeType.leaf, leaf: leafNode }],
    ]);
    for (const p of directPath(node, tree.leafCount)) {
      const parentNode = tree.parentNode(p);
      if (parentNode === undefined) continue;
      const unmergedLeaves = [...parentNode.unmergedLeaves, slot].sort((a, b) => a - b);
      changes.set(p, { nodeType: NodeType.parent, parent: { ...parentNode, unmergedLeaves } });
    }
    return { tree: tree.withNodes(changes), leaf };
  }

  /**
   * Adds the leaf nodes in order as {@link addLeaf} would one after the other (each at the
   * leftmost blank leaf, doubling the tree when there is none, listed as unmerged in the
   * non-blank parents above it), copying the tree once instead of once per leaf.
   */
  addLeaves(leafNodes: readonly LeafNode[]): {
    readonly tree: RatchetTree;
    readonly leaves: readonly LeafIndex[];
  } {
    const nodes = this.nodes.slice();
    const hashes = this.hashes.slice();
    let leafCount = this.leafCount;
    let slot = 0;
    const leaves: LeafIndex[] = [];
    for (const leafNode of leafNodes) {
      while (slot < leafCount && nodes[2 * slot] !== undefined) slot++;
      if (slot === leafCount) {
        leafCount *= 2;
        if (leafCount > MAX_LEAVES) {
          throw new MlsError('LIMIT_EXCEEDED', `tree of more than ${MAX_LEAVES} leaves`);
        }
        const width = nodeWidth(leafCount);
        while (nodes.length < width) {
          nodes.push(undefined);
          hashes.push(undefined);
        }
      }
      const leaf = slot as LeafIndex;
      const node = leafToNode(leaf);
      nodes[node] = { nodeType: NodeType.leaf, leaf: leafNode };
      hashes[node] = undefined;
      for (const p of directPath(node, leafCount)) {
        hashes[p] = undefined;
        const parentNode = nodes[p];
        if (parentNode?.nodeType !== NodeType.parent) continue;
        const unmergedLeaves = [...parentNode.parent.unmergedLeaves, slot].sort((a, b) => a - b);
        nodes[p] = { nodeType: NodeType.parent, parent: { ...parentNode.parent, unmergedLeaves } };
      }
      leaves.push(leaf);
    }
    return { tree: new RatchetTree(this.crypto, nodes, hashes), leaves };
  }

  /** Replaces `leaf`'s node and blanks every parent above it (RFC 9420 §12.1.2). */
  updateLeaf(leaf: LeafIndex, leafNode: LeafNode): RatchetTree {
    if (this.leaf(leaf) === undefined) throw new MlsError('MISUSE', `leaf ${leaf} is blank`);
    const node = leafToNode(leaf);
    const changes = new Map<NodeIndex, TreeNode | undefined>([
      [node, { nodeType: NodeType.leaf, leaf: leafNode }],
    ]);
    for (const p of directPath(node, this.leafCount)) changes.set(p, undefined);
    return this.withNodes(changes);
  }

  /**
   * Blanks `leaf` and every parent above it, then truncates the tree while its right half is
   * blank (RFC 9420 §12.1.3, §7.7).
   */
  removeLeaf(leaf: LeafIndex): RatchetTree {
    if (this.leaf(leaf) === undefined) throw new MlsError('MISUSE', `leaf ${leaf} is blank`);
    const node = leafToNode(leaf);
    const changes = new Map<NodeIndex, TreeNode | undefined>([[node, undefined]]);
    for (const p of directPath(node, this.leafCount)) changes.set(p, undefined);
    const tree = this.withNodes(changes);
    let leafCount = tree.leafCount;
    while (
      leafCount > 1 &&
      tree.nodes.slice(leafCount, 2 * leafCount - 1).every((n) => n === undefined)
    ) {
      leafCount /= 2;
    }
    return leafCount === tree.leafCount ? tree : tree.resized(leafCount);
  }

  /**
   * The same nodes in a tree of `leafCount` leaves: extended with blanks, or cut to its left
   * part. Cached hashes stay valid below the root (a subtree's hash does not depend on the tree
   * around it); the root's is recomputed.
   */
  private resized(leafCount: number): RatchetTree {
    if (leafCount > MAX_LEAVES) {
      throw new MlsError('LIMIT_EXCEEDED', `tree of more than ${MAX_LEAVES} leaves`);
    }
    const width = nodeWidth(leafCount);
    const nodes = this.nodes.slice(0, width);
    const hashes = this.hashes.slice(0, width);
    while (nodes.length < width) {
      nodes.push(undefined);
      hashes.push(undefined);
    }
    hashes[root(leafCount)] = undefined;
    return new RatchetTree(this.crypto, nodes, hashes);
  }

  /** The resolution of a node (RFC 9420 §4.1.1), ascending by node index. */
  resolution(index: NodeIndex): NodeIndex[] {
    this.checkNode(index);
    return this.resolve(index, undefined);
  }

  /**
   * The resolution of `index` in the tree where the leaves in `excluded` are blank and absent
   * from every unmerged-leaves list.
   */
  private resolve(index: NodeIndex, excluded: ReadonlySet<number> | undefined): NodeIndex[] {
    const node = this.nodes[index];
    if (node === undefined || (isLeaf(index) && excluded?.has(index / 2) === true)) {
      return isLeaf(index)
        ? []
        : [...this.resolve(left(index), excluded), ...this.resolve(right(index), excluded)];
    }
    if (node.nodeType === NodeType.leaf) return [index];
    const unmerged = node.parent.unmergedLeaves
      .filter((l) => excluded?.has(l) !== true)
      .map((l) => leafToNode(l as LeafIndex));
    return [index, ...unmerged];
  }

  /** True when every node of the subtree at `index` is blank (its resolution is empty). */
  private blankSubtree(index: NodeIndex): boolean {
    if (this.nodes[index] !== undefined) return false;
    return isLeaf(index) || (this.blankSubtree(left(index)) && this.blankSubtree(right(index)));
  }

  /** The tree hash of the subtree at `index` (the root by default), RFC 9420 §7.8. */
  treeHash(index: NodeIndex = root(this.leafCount)): Uint8Array {
    this.checkNode(index);
    return this.hashOf(index);
  }

  private hashOf(index: NodeIndex): Uint8Array {
    const cached = this.hashes[index];
    if (cached !== undefined) return cached;
    const hash = this.computeHash(index, undefined);
    this.hashes[index] = hash;
    return hash;
  }

  /** The tree hash of `index`, with the leaves in `excluded` treated as removed (uncached). */
  private computeHash(index: NodeIndex, excluded: ReadonlySet<number> | undefined): Uint8Array {
    const node = this.nodes[index];
    const w = new TlsWriter();
    if (isLeaf(index)) {
      const leafNode =
        node?.nodeType === NodeType.leaf && excluded?.has(index / 2) !== true
          ? node.leaf
          : undefined;
      w.uint8(NodeType.leaf).uint32(index / 2);
      w.optional(leafNode, writeLeafNode);
    } else {
      const sub = (child: NodeIndex): Uint8Array =>
        excluded === undefined ? this.hashOf(child) : this.computeHash(child, excluded);
      const parentNode =
        node?.nodeType === NodeType.parent
          ? excluded === undefined
            ? node.parent
            : {
                ...node.parent,
                unmergedLeaves: node.parent.unmergedLeaves.filter((l) => !excluded.has(l)),
              }
          : undefined;
      w.uint8(NodeType.parent);
      w.optional(parentNode, writeParentNode);
      writeOpaque(w, sub(left(index)));
      writeOpaque(w, sub(right(index)));
    }
    return this.crypto.hash(w.finish());
  }

  /**
   * The parent hash of parent node `p` with copath child `sibling` (RFC 9420 §7.9): over P's
   * key, P's own parent_hash and the original tree hash of the sibling subtree.
   */
  parentHash(p: NodeIndex, sibling: NodeIndex): Uint8Array {
    const parentNode = this.parentNode(p);
    if (parentNode === undefined) throw new MlsError('MISUSE', `node ${p} is not a parent node`);
    const unmerged = new Set(parentNode.unmergedLeaves);
    const first = sibling - (1 << level(sibling)) + 1;
    const last = sibling + (1 << level(sibling)) - 1;
    const touches = parentNode.unmergedLeaves.some((l) => 2 * l >= first && 2 * l <= last);
    const siblingHash = touches ? this.computeHash(sibling, unmerged) : this.hashOf(sibling);
    return computeParentHash(
      this.crypto,
      parentNode.encryptionKey,
      parentNode.parentHash,
      siblingHash,
    );
  }

  /**
   * The filtered direct path of `leaf` (RFC 9420 §4.1.2): its direct path without the nodes
   * whose copath child has an empty resolution, each with that copath child, bottom up.
   */
  filteredDirectPath(
    leaf: LeafIndex,
  ): { readonly node: NodeIndex; readonly copathChild: NodeIndex }[] {
    const start = leafToNode(leaf);
    this.checkNode(start);
    const out: { node: NodeIndex; copathChild: NodeIndex }[] = [];
    let child = start;
    for (const node of directPath(start, this.leafCount)) {
      const copathChild = left(node) === child ? right(node) : left(node);
      if (!this.blankSubtree(copathChild)) out.push({ node, copathChild });
      child = node;
    }
    return out;
  }

  /**
   * True when every non-blank parent node is parent-hash valid with respect to exactly one
   * descendant (RFC 9420 §7.9.2, the "top down" check done when joining).
   */
  verifyParentHashes(): boolean {
    for (let i = 1; i < this.nodes.length; i += 2) {
      const p = nodeIndex(i);
      const parentNode = this.parentNode(p);
      if (parentNode === undefined) continue;
      let links = 0;
      for (const [c, s] of [
        [left(p), right(p)],
        [right(p), left(p)],
      ] as const) {
        const expected = this.parentHash(p, s);
        const resolution = this.resolve(c, undefined);
        const first = c - (1 << level(c)) + 1;
        const last = c + (1 << level(c)) - 1;
        const unmergedUnderC = parentNode.unmergedLeaves
          .map((l) => 2 * l)
          .filter((n) => n >= first && n <= last)
          .sort((a, b) => a - b);
        for (const d of resolution) {
          const dHash = this.parentHashField(d);
          if (dHash === undefined || !constantTimeEqual(dHash, expected)) continue;
          const rest = resolution.filter((x) => x !== d).sort((a, b) => a - b);
          if (
            rest.length === unmergedUnderC.length &&
            rest.every((x, k) => x === unmergedUnderC[k])
          ) {
            links++;
          }
        }
      }
      if (links !== 1) return false;
    }
    return true;
  }

  /** The parent_hash field of a node: a parent's, or a commit-sourced leaf's; else undefined. */
  private parentHashField(index: NodeIndex): Uint8Array | undefined {
    const node = this.nodes[index];
    if (node === undefined) return undefined;
    if (node.nodeType === NodeType.parent) return node.parent.parentHash;
    return node.leaf.leafNodeSource === LeafNodeSource.commit ? node.leaf.parentHash : undefined;
  }

  /**
   * True when the signature of the leaf at `leaf` verifies over its LeafNodeTBS (RFC 9420 §7.2);
   * `groupId` is bound for leaves from updates and commits.
   */
  verifyLeafSignature(leaf: LeafIndex, groupId: Uint8Array): boolean {
    const leafNode = this.leaf(leaf);
    if (leafNode === undefined) return false;
    return verifyLeafNodeSignature(this.crypto, leafNode, groupId, leaf);
  }

  private checkNode(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.nodes.length) {
      throw new MlsError('MISUSE', `node ${index} outside a tree of ${this.nodes.length} nodes`);
    }
  }
}

/** Hash(ParentHashInput) (RFC 9420 §7.9). */
export function computeParentHash(
  crypto: MlsCrypto,
  encryptionKey: Uint8Array,
  parentHash: Uint8Array,
  originalSiblingTreeHash: Uint8Array,
): Uint8Array {
  const w = new TlsWriter();
  writeOpaque(w, encryptionKey);
  writeOpaque(w, parentHash);
  writeOpaque(w, originalSiblingTreeHash);
  return crypto.hash(w.finish());
}

/** LeafNodeTBS (RFC 9420 §7.2): the leaf's content, plus group id and leaf index unless from a KeyPackage. */
export function encodeLeafNodeTbs(
  leafNode: LeafNode,
  groupId: Uint8Array,
  leaf: LeafIndex,
): Uint8Array {
  const w = new TlsWriter();
  writeLeafNodeContent(w, leafNode);
  if (leafNode.leafNodeSource !== LeafNodeSource.keyPackage) {
    writeOpaque(w, groupId);
    w.uint32(leaf);
  }
  return w.finish();
}

/** True when `leafNode`'s signature verifies under its own signature key. */
export function verifyLeafNodeSignature(
  crypto: MlsCrypto,
  leafNode: LeafNode,
  groupId: Uint8Array,
  leaf: LeafIndex,
): boolean {
  return crypto.verifyWithLabel(
    leafNode.signatureKey,
    'LeafNodeTBS',
    encodeLeafNodeTbs(leafNode, groupId, leaf),
    leafNode.signature,
  );
}
