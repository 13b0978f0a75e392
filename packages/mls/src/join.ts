import { constantTimeEqual } from '@parley/bytes';
import { MlsError } from './errors.js';
import { ExtensionType } from './extension.js';
import type { GroupContext } from './group-context.js';
import { encodeKeyPackage, type KeyPackage } from './key-package.js';
import { epochSecretsFromJoiner, type EpochSecrets } from './key-schedule.js';
import { encodeLeafNode, type LeafNode } from './leaf-node.js';
import type { MlsCrypto } from './mls-crypto.js';
import { computePskSecret, type PreSharedKeyId, type PskInput } from './psk.js';
import { RatchetTree } from './ratchet-tree.js';
import { interimTranscriptHash, verifyConfirmationTag } from './transcript-hash.js';
import { nextPathSecret, nodeKeyPair, type NodePrivateKeys } from './treekem.js';
import { validateJoinedTree, type ValidationPolicy } from './validation.js';
import {
  directPath,
  inSubtree,
  leafIndex,
  leafToNode,
  type LeafIndex,
  type NodeIndex,
} from './tree-math.js';
import {
  decryptGroupInfo,
  decryptGroupSecrets,
  verifyGroupInfoSignature,
  type Welcome,
} from './welcome.js';

/** Finds the secret of a PSK named in a Welcome or commit, or undefined when it is unknown. */
export type PskLookup = (id: PreSharedKeyId) => Uint8Array | undefined;

/** What joining from a Welcome needs. */
export interface JoinOptions {
  readonly welcome: Welcome;
  /** Our KeyPackage that the Welcome adds. */
  readonly keyPackage: KeyPackage;
  readonly initPrivateKey: Uint8Array;
  /** The private key of the KeyPackage leaf's encryption key. */
  readonly encryptionPrivateKey: Uint8Array;
  /** The encoded ratchet tree, when it is not in the GroupInfo's `ratchet_tree` extension. */
  readonly ratchetTree?: Uint8Array;
  readonly psks: PskLookup;
  /** Which credentials are acceptable, and the clock for lifetimes. */
  readonly policy: ValidationPolicy;
}

/**
 * What a new member knows after joining: the epoch's public state and secrets. This is the
 * seed of the group state record; the commit-processing state machine builds on it.
 */
export interface JoinedGroup {
  readonly groupContext: GroupContext;
  readonly tree: RatchetTree;
  readonly ownLeaf: LeafIndex;
  readonly secrets: EpochSecrets;
  readonly interimTranscriptHash: Uint8Array;
  /** HPKE private keys we hold: our leaf and the path above the common ancestor with the adder. */
  readonly privateKeys: NodePrivateKeys;
}

function fail(message: string): never {
  throw new MlsError('INVALID_MESSAGE', message);
}

/**
 * Joins a group from a Welcome (RFC 9420 §12.4.3.1): decrypts the GroupSecrets and GroupInfo,
 * resolves the PSKs, verifies the GroupInfo signature, the tree (its hash, parent hashes and
 * every leaf as `validation.ts` describes, credentials through the policy) and the confirmation
 * tag, finds our leaf, and checks the path secret against the tree.
 */
export function joinFromWelcome(crypto: MlsCrypto, options: JoinOptions): JoinedGroup {
  const { welcome, keyPackage } = options;
  if (welcome.cipherSuite !== crypto.suite.id || keyPackage.cipherSuite !== crypto.suite.id) {
    fail('Welcome or KeyPackage uses another cipher suite');
  }
  const ref = crypto.makeKeyPackageRef(encodeKeyPackage(keyPackage));
  const groupSecrets = decryptGroupSecrets(crypto, welcome, ref, options.initPrivateKey);
  const psks: PskInput[] = groupSecrets.psks.map((id) => {
    const psk = options.psks(id);
    if (psk === undefined) fail('the Welcome names a PSK we do not have');
    return { id, psk };
  });
  const pskSecret = computePskSecret(crypto, psks);
  const welcomeSecret = crypto.deriveSecret(
    crypto.extract(groupSecrets.joinerSecret, pskSecret),
    'welcome',
  );
  const groupInfo = decryptGroupInfo(crypto, welcome, welcomeSecret);
  const context = groupInfo.groupContext;
  if (context.cipherSuite !== crypto.suite.id) fail('GroupInfo uses another cipher suite');

  const inline = groupInfo.extensions.find((e) => e.extensionType === ExtensionType.ratchetTree);
  const treeBytes = inline?.extensionData ?? options.ratchetTree;
  if (treeBytes === undefined) fail('no ratchet tree in the Welcome and none given');
  const tree = RatchetTree.decode(crypto, treeBytes);
  if (!constantTimeEqual(tree.treeHash(), context.treeHash))
    fail('ratchet tree does not match the tree hash');
  if (groupInfo.signer >= tree.leafCount) fail('GroupInfo signer outside the tree');
  const signerLeaf = tree.leaf(leafIndex(groupInfo.signer));
  if (
    signerLeaf === undefined ||
    !verifyGroupInfoSignature(crypto, groupInfo, signerLeaf.signatureKey)
  ) {
    throw new MlsError('AUTHENTICATION_FAILED', 'GroupInfo signature did not verify');
  }
  if (!tree.verifyParentHashes()) fail('ratchet tree parent hashes are invalid');
  validateJoinedTree(
    { crypto, groupId: context.groupId, extensions: context.extensions, policy: options.policy },
    tree,
  );

  const secrets = epochSecretsFromJoiner(crypto, groupSecrets.joinerSecret, pskSecret, context);
  if (
    !verifyConfirmationTag(
      crypto,
      secrets.confirmationKey,
      context.confirmedTranscriptHash,
      groupInfo.confirmationTag,
    )
  ) {
    throw new MlsError('AUTHENTICATION_FAILED', 'GroupInfo confirmation tag did not verify');
  }

  const ownLeaf = findOwnLeaf(tree, keyPackage.leafNode);
  const privateKeys = new Map<NodeIndex, Uint8Array>([
    [leafToNode(ownLeaf), options.encryptionPrivateKey],
  ]);
  if (groupSecrets.pathSecret !== undefined) {
    const ancestor = commonAncestor(tree, ownLeaf, leafIndex(groupInfo.signer));
    let secret = groupSecrets.pathSecret;
    for (const node of [ancestor, ...directPath(ancestor, tree.leafCount)]) {
      const parent = tree.parentNode(node);
      if (parent === undefined) continue;
      const pair = nodeKeyPair(crypto, secret);
      if (!constantTimeEqual(pair.publicKey, parent.encryptionKey))
        fail('path secret does not match the tree');
      privateKeys.set(node, pair.privateKey);
      secret = nextPathSecret(crypto, secret);
    }
  }
  return {
    groupContext: context,
    tree,
    ownLeaf,
    secrets,
    interimTranscriptHash: interimTranscriptHash(
      crypto,
      context.confirmedTranscriptHash,
      groupInfo.confirmationTag,
    ),
    privateKeys,
  };
}

/**
 * The leaf equal to our KeyPackage's leaf node. Only leaves with our encryption key (unique in a
 * valid tree) are encoded and compared whole.
 */
function findOwnLeaf(tree: RatchetTree, own: LeafNode): LeafIndex {
  let encoded: Uint8Array | undefined;
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(leafIndex(i));
    if (leaf === undefined || !constantTimeEqual(leaf.encryptionKey, own.encryptionKey)) continue;
    encoded ??= encodeLeafNode(own);
    if (constantTimeEqual(encodeLeafNode(leaf), encoded)) return leafIndex(i);
  }
  return fail('our KeyPackage leaf is not in the tree');
}

function commonAncestor(tree: RatchetTree, a: LeafIndex, b: LeafIndex): NodeIndex {
  const target = leafToNode(b);
  for (const node of directPath(leafToNode(a), tree.leafCount)) {
    if (inSubtree(target, node)) return node;
  }
  return fail('no common ancestor');
}
