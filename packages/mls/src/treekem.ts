import { constantTimeEqual } from '@parley/bytes';
import type { KeyPair } from '@parley/primitives';
import type { UpdatePath, UpdatePathNode } from './commit.js';
import { MlsError } from './errors.js';
import { LeafNodeSource, type LeafNode } from './leaf-node.js';
import type { MlsCrypto } from './mls-crypto.js';
import {
  computeParentHash,
  encodeLeafNodeTbs,
  NodeType,
  type RatchetTree,
  type TreeNode,
} from './ratchet-tree.js';
import { directPath, inSubtree, leafToNode, type LeafIndex, type NodeIndex } from './tree-math.js';

/**
 * TreeKEM (RFC 9420 §7.4–7.6): creating an UpdatePath, merging one into the public tree, and
 * decrypting the path secret it carries for us. Private keys are kept per node index, outside
 * the public tree; every function returns new values and changes nothing it was given.
 */

/** HPKE private keys a member holds, by node index (its leaf and the parents it knows). */
export type NodePrivateKeys = ReadonlyMap<NodeIndex, Uint8Array>;

const EMPTY = new Uint8Array(0);
const UPDATE_PATH_LABEL = 'UpdatePathNode';

/** node_priv, node_pub = KEM.DeriveKeyPair(DeriveSecret(path_secret, "node")). */
export function nodeKeyPair(crypto: MlsCrypto, pathSecret: Uint8Array): KeyPair {
  return crypto.deriveKemKeyPair(crypto.deriveSecret(pathSecret, 'node'));
}

/** path_secret[n+1] = DeriveSecret(path_secret[n], "path"). */
export function nextPathSecret(crypto: MlsCrypto, pathSecret: Uint8Array): Uint8Array {
  return crypto.deriveSecret(pathSecret, 'path');
}

/**
 * The nodes of the sender's direct path set to the UpdatePath's keys, parent hashes chained
 * from the root down; returns the changes and the parent hash the leaf must carry.
 */
function pathChanges(
  crypto: MlsCrypto,
  tree: RatchetTree,
  sender: LeafIndex,
  publicKeys: readonly Uint8Array[],
): { changes: Map<NodeIndex, TreeNode | undefined>; leafParentHash: Uint8Array } {
  const filtered = tree.filteredDirectPath(sender);
  if (publicKeys.length !== filtered.length) {
    throw new MlsError(
      'INVALID_MESSAGE',
      'UpdatePath length does not match the filtered direct path',
    );
  }
  const changes = new Map<NodeIndex, TreeNode | undefined>();
  for (const p of directPath(leafToNode(sender), tree.leafCount)) changes.set(p, undefined);
  let parentHash: Uint8Array = EMPTY;
  for (let k = filtered.length - 1; k >= 0; k--) {
    const entry = filtered[k];
    const encryptionKey = publicKeys[k];
    if (entry === undefined || encryptionKey === undefined) continue;
    changes.set(entry.node, {
      nodeType: NodeType.parent,
      parent: { encryptionKey, parentHash, unmergedLeaves: [] },
    });
    parentHash = computeParentHash(
      crypto,
      encryptionKey,
      parentHash,
      tree.treeHash(entry.copathChild),
    );
  }
  return { changes, leafParentHash: parentHash };
}

/**
 * Merges a received UpdatePath into the tree (RFC 9420 §7.5): blanks the sender's direct path,
 * sets the filtered direct path's keys with fresh parent hashes, and installs the sender's new
 * leaf after checking that its parent hash is the one just computed. Throws `INVALID_MESSAGE`.
 */
export function mergeUpdatePath(
  crypto: MlsCrypto,
  tree: RatchetTree,
  sender: LeafIndex,
  path: UpdatePath,
): RatchetTree {
  const leaf = path.leafNode;
  if (leaf.leafNodeSource !== LeafNodeSource.commit) {
    throw new MlsError('INVALID_MESSAGE', 'UpdatePath leaf is not from a commit');
  }
  const { changes, leafParentHash } = pathChanges(
    crypto,
    tree,
    sender,
    path.nodes.map((n) => n.encryptionKey),
  );
  if (!constantTimeEqual(leaf.parentHash, leafParentHash)) {
    throw new MlsError('INVALID_MESSAGE', 'UpdatePath leaf has the wrong parent hash');
  }
  changes.set(leafToNode(sender), { nodeType: NodeType.leaf, leaf });
  return tree.withNodes(changes);
}

/** The result of decrypting an UpdatePath. */
export interface DecryptedPath {
  /** The path secret decrypted for the lowest common ancestor with the sender. */
  readonly pathSecret: Uint8Array;
  readonly commitSecret: Uint8Array;
  /** Private keys of the path nodes from that ancestor up to the root. */
  readonly privateKeys: NodePrivateKeys;
}

function publicKeyAt(tree: RatchetTree, node: NodeIndex): Uint8Array {
  const n = tree.node(node);
  if (n === undefined) throw new MlsError('MISUSE', `node ${node} is blank`);
  return n.nodeType === NodeType.leaf ? n.leaf.encryptionKey : n.parent.encryptionKey;
}

function resolutionWithout(
  tree: RatchetTree,
  node: NodeIndex,
  excluded: ReadonlySet<number>,
): NodeIndex[] {
  return tree.resolution(node).filter((n) => !(n % 2 === 0 && excluded.has(n / 2)));
}

/**
 * Decrypts the path secret meant for `receiver` from an UpdatePath already merged into `tree`
 * (RFC 9420 §7.5), derives the secrets up to the root, and checks each derived public key
 * against the path. `context` is the encoded provisional GroupContext; `excludedLeaves` are the
 * leaves added by the same commit. Throws `DECRYPT_FAILED` or `INVALID_MESSAGE`.
 */
export function decryptUpdatePath(
  crypto: MlsCrypto,
  tree: RatchetTree,
  sender: LeafIndex,
  path: UpdatePath,
  context: Uint8Array,
  receiver: LeafIndex,
  privateKeys: NodePrivateKeys,
  excludedLeaves: ReadonlySet<number> = new Set(),
): DecryptedPath {
  if (receiver === sender) throw new MlsError('MISUSE', 'the sender does not decrypt its own path');
  const filtered = tree.filteredDirectPath(sender);
  const target = leafToNode(receiver);
  const k = filtered.findIndex((f) => inSubtree(target, f.copathChild));
  const entry = filtered[k];
  const pathNode: UpdatePathNode | undefined = path.nodes[k];
  if (entry === undefined || pathNode === undefined) {
    throw new MlsError('INVALID_MESSAGE', 'UpdatePath does not cover the receiver');
  }
  const resolution = resolutionWithout(tree, entry.copathChild, excludedLeaves);
  if (pathNode.encryptedPathSecret.length !== resolution.length) {
    throw new MlsError('INVALID_MESSAGE', 'UpdatePath node has the wrong number of ciphertexts');
  }
  const index = resolution.findIndex((n) => privateKeys.has(n));
  const holder = resolution[index];
  const privateKey = holder === undefined ? undefined : privateKeys.get(holder);
  const ciphertext = pathNode.encryptedPathSecret[index];
  if (holder === undefined || privateKey === undefined || ciphertext === undefined) {
    throw new MlsError('DECRYPT_FAILED', 'no private key for this UpdatePath');
  }
  const pathSecret = crypto.decryptWithLabel(
    privateKey,
    UPDATE_PATH_LABEL,
    context,
    ciphertext,
    publicKeyAt(tree, holder),
  );
  const keys = new Map<NodeIndex, Uint8Array>();
  let secret = pathSecret;
  for (let m = k; m < filtered.length; m++) {
    const node = filtered[m];
    const expected = path.nodes[m]?.encryptionKey;
    const pair = nodeKeyPair(crypto, secret);
    if (
      node === undefined ||
      expected === undefined ||
      !constantTimeEqual(pair.publicKey, expected)
    ) {
      throw new MlsError('INVALID_MESSAGE', 'UpdatePath public key does not match its path secret');
    }
    keys.set(node.node, pair.privateKey);
    secret = nextPathSecret(crypto, secret);
  }
  return { pathSecret, commitSecret: secret, privateKeys: keys };
}

/** What creating an UpdatePath needs. */
export interface CreateUpdatePathOptions {
  /** The sender's current leaf: its keys, credential, capabilities and extensions are kept. */
  readonly leafNode: LeafNode;
  readonly signaturePrivateKey: Uint8Array;
  readonly groupId: Uint8Array;
  /** Encodes the provisional GroupContext for the new tree's root hash. */
  readonly context: (treeHash: Uint8Array) => Uint8Array;
  /** Leaves added by the same commit: they get no ciphertexts. */
  readonly excludedLeaves?: ReadonlySet<number>;
}

/** A created UpdatePath with the tree it produces and the secrets the sender keeps. */
export interface CreatedPath {
  readonly path: UpdatePath;
  readonly tree: RatchetTree;
  readonly commitSecret: Uint8Array;
  /** Private keys of the new leaf and of every node on the filtered direct path. */
  readonly privateKeys: NodePrivateKeys;
  /** Path secret per filtered-direct-path node (for the Welcome's path_secret). */
  readonly pathSecrets: ReadonlyMap<NodeIndex, Uint8Array>;
}

/**
 * Creates an UpdatePath for `sender` (RFC 9420 §7.4–7.6): fresh leaf and path keys from random
 * path secrets, parent hashes, the re-signed leaf, and each path secret encrypted to the
 * resolution of its copath child under the provisional GroupContext.
 */
export function createUpdatePath(
  crypto: MlsCrypto,
  tree: RatchetTree,
  sender: LeafIndex,
  options: CreateUpdatePathOptions,
): CreatedPath {
  const filtered = tree.filteredDirectPath(sender);
  const random = (): Uint8Array => crypto.primitives.randomBytes(crypto.hashLength);
  const leafPair = nodeKeyPair(crypto, random());
  const secrets: Uint8Array[] = [];
  const pairs: KeyPair[] = [];
  let secret = random();
  for (let k = 0; k < filtered.length; k++) {
    secrets.push(secret);
    pairs.push(nodeKeyPair(crypto, secret));
    secret = nextPathSecret(crypto, secret);
  }
  const { changes, leafParentHash } = pathChanges(
    crypto,
    tree,
    sender,
    pairs.map((p) => p.publicKey),
  );
  const template = options.leafNode;
  const unsigned: LeafNode = {
    encryptionKey: leafPair.publicKey,
    signatureKey: template.signatureKey,
    credential: template.credential,
    capabilities: template.capabilities,
    leafNodeSource: LeafNodeSource.commit,
    parentHash: leafParentHash,
    extensions: template.extensions,
    signature: EMPTY,
  };
  const signature = crypto.signWithLabel(
    options.signaturePrivateKey,
    'LeafNodeTBS',
    encodeLeafNodeTbs(unsigned, options.groupId, sender),
  );
  const leafNode: LeafNode = { ...unsigned, signature };
  changes.set(leafToNode(sender), { nodeType: NodeType.leaf, leaf: leafNode });
  const newTree = tree.withNodes(changes);
  const context = options.context(newTree.treeHash());
  const skip = options.excludedLeaves ?? new Set<number>();
  const recipients = filtered.map((entry) => resolutionWithout(newTree, entry.copathChild, skip));
  const encrypt = crypto.encryptorWithLabel(
    UPDATE_PATH_LABEL,
    context,
    recipients.reduce((sum, r) => sum + r.length, 0),
  );
  const nodes: UpdatePathNode[] = filtered.map((_, k) => {
    const pathSecret = secrets[k] ?? EMPTY;
    return {
      encryptionKey: pairs[k]?.publicKey ?? EMPTY,
      encryptedPathSecret: (recipients[k] ?? []).map((n) =>
        encrypt(publicKeyAt(newTree, n), pathSecret),
      ),
    };
  });
  const privateKeys = new Map<NodeIndex, Uint8Array>([[leafToNode(sender), leafPair.privateKey]]);
  const pathSecrets = new Map<NodeIndex, Uint8Array>();
  filtered.forEach((entry, k) => {
    const pair = pairs[k];
    const pathSecret = secrets[k];
    if (pair !== undefined) privateKeys.set(entry.node, pair.privateKey);
    if (pathSecret !== undefined) pathSecrets.set(entry.node, pathSecret);
  });
  return {
    path: { leafNode, nodes },
    tree: newTree,
    commitSecret: secret,
    privateKeys,
    pathSecrets,
  };
}
