import { constantTimeEqual, utf8Encode } from '@parley/bytes';
import { decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import type { Commit } from './commit.js';
import { MlsError } from './errors.js';
import { ExtensionType, type Extension } from './extension.js';
import {
  ContentType,
  encodeFramedContentTbs,
  SenderType,
  WireFormat,
  type FramedContent,
  type MlsMessage,
} from './framing.js';
import {
  GROUP_STATE_VERSION,
  type CommitProcessingOptions,
  type GroupState,
  type NodeKey,
} from './group.js';
import { encodeGroupContext, type GroupContext } from './group-context.js';
import { createKeyPackage, type KeyPackageOptions } from './key-package-create.js';
import { epochSecrets, externalKeyPair } from './key-schedule.js';
import type { MlsCrypto } from './mls-crypto.js';
import { ProposalType, type Proposal } from './proposal.js';
import { computePskSecret } from './psk.js';
import { NodeType, RatchetTree } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import { confirmedTranscriptHash, interimTranscriptHash } from './transcript-hash.js';
import { createUpdatePath } from './treekem.js';
import { leafIndex, type NodeIndex } from './tree-math.js';
import { validateJoinedTree } from './validation.js';
import { encodeGroupInfoTbs, verifyGroupInfoSignature, type GroupInfo } from './welcome.js';

const EXTERNAL_INIT_LABEL = utf8Encode('MLS 1.0 external init secret');

/** The `external_pub` extension's content (RFC 9420 §12.4.3.2). */
function externalPubExtension(publicKey: Uint8Array): Extension {
  return {
    extensionType: ExtensionType.externalPub,
    extensionData: encodeWith(publicKey, writeOpaque),
  };
}

/**
 * A signed GroupInfo for the current epoch (RFC 9420 §12.4.3), with the `external_pub`
 * extension so that a new member can join by external commit, and the ratchet tree unless
 * `ratchetTree` is false.
 */
export function createGroupInfo(
  crypto: MlsCrypto,
  state: GroupState,
  signaturePrivateKey: Uint8Array,
  options: { readonly ratchetTree?: boolean } = {},
): GroupInfo {
  const external = externalKeyPair(crypto, state.secrets.externalSecret);
  const extensions: Extension[] = [externalPubExtension(external.publicKey)];
  if (options.ratchetTree !== false) {
    extensions.push({
      extensionType: ExtensionType.ratchetTree,
      extensionData: state.tree.encode(),
    });
  }
  const unsigned: GroupInfo = {
    groupContext: state.groupContext,
    extensions,
    confirmationTag: crypto.mac(
      state.secrets.confirmationKey,
      state.groupContext.confirmedTranscriptHash,
    ),
    signer: state.ownLeaf,
    signature: new Uint8Array(0),
  };
  return {
    ...unsigned,
    signature: crypto.signWithLabel(
      signaturePrivateKey,
      'GroupInfoTBS',
      encodeGroupInfoTbs(unsigned),
    ),
  };
}

/** What joining by external commit needs. */
export interface ExternalJoinOptions extends KeyPackageOptions, CommitProcessingOptions {
  readonly groupInfo: GroupInfo;
  /** The encoded ratchet tree, when the GroupInfo does not carry it. */
  readonly ratchetTree?: Uint8Array;
}

function invalid(message: string): never {
  throw new MlsError('INVALID_MESSAGE', message);
}

/**
 * Joins a group from its GroupInfo with an external commit (RFC 9420 §12.4.3.2): verifies the
 * GroupInfo and the tree, exports the init secret to the group's external key, adds our leaf
 * with an UpdatePath, and returns the commit to send and our state in the new epoch (to adopt
 * once the commit is accepted). Resynchronisation (removing an old leaf of ours) is not done.
 */
export function joinByExternalCommit(
  crypto: MlsCrypto,
  options: ExternalJoinOptions,
): { readonly message: MlsMessage; readonly state: GroupState } {
  const { groupInfo } = options;
  const context = groupInfo.groupContext;
  if (context.cipherSuite !== crypto.suite.id) invalid('GroupInfo uses another cipher suite');
  const inline = groupInfo.extensions.find((e) => e.extensionType === ExtensionType.ratchetTree);
  const treeBytes = inline?.extensionData ?? options.ratchetTree;
  if (treeBytes === undefined) invalid('no ratchet tree in the GroupInfo and none given');
  const tree = RatchetTree.decode(crypto, treeBytes);
  if (!constantTimeEqual(tree.treeHash(), context.treeHash))
    invalid('ratchet tree does not match the tree hash');
  if (groupInfo.signer >= tree.leafCount) invalid('GroupInfo signer outside the tree');
  const signer = tree.leaf(leafIndex(groupInfo.signer));
  if (signer === undefined || !verifyGroupInfoSignature(crypto, groupInfo, signer.signatureKey)) {
    throw new MlsError('AUTHENTICATION_FAILED', 'GroupInfo signature did not verify');
  }
  if (!tree.verifyParentHashes()) invalid('ratchet tree parent hashes are invalid');
  validateJoinedTree(
    { crypto, groupId: context.groupId, extensions: context.extensions, policy: options.policy },
    tree,
  );
  const externalPub = groupInfo.extensions.find(
    (e) => e.extensionType === ExtensionType.externalPub,
  );
  if (externalPub === undefined) invalid('GroupInfo has no external_pub');
  const externalKey = decodeWith(externalPub.extensionData, 'external_pub', readOpaque);

  const exported = crypto.hpke.sendExport(
    externalKey,
    new Uint8Array(0),
    EXTERNAL_INIT_LABEL,
    crypto.hashLength,
  );
  const proposals: Proposal[] = [
    { proposalType: ProposalType.externalInit, kemOutput: exported.enc },
  ];
  const own = createKeyPackage(crypto, options);
  const placed = tree.addLeaf(own.keyPackage.leafNode);
  const ownLeaf = placed.leaf;
  const epoch = context.epoch + 1n;
  const provisional = (treeHash: Uint8Array): GroupContext => ({ ...context, epoch, treeHash });
  const path = createUpdatePath(crypto, placed.tree, ownLeaf, {
    leafNode: own.keyPackage.leafNode,
    signaturePrivateKey: options.signaturePrivateKey,
    groupId: context.groupId,
    context: (treeHash) => encodeGroupContext(provisional(treeHash)),
  });
  const commit: Commit = {
    proposals: proposals.map((proposal) => ({ type: 1, proposal })),
    path: path.path,
  };
  const content: FramedContent = {
    groupId: context.groupId,
    epoch: context.epoch,
    sender: { senderType: SenderType.newMemberCommit },
    authenticatedData: new Uint8Array(0),
    contentType: ContentType.commit,
    commit,
  };
  const signature = crypto.signWithLabel(
    options.signaturePrivateKey,
    'FramedContentTBS',
    encodeFramedContentTbs(WireFormat.publicMessage, content, context),
  );
  const interimBefore = interimTranscriptHash(
    crypto,
    context.confirmedTranscriptHash,
    groupInfo.confirmationTag,
  );
  const confirmed = confirmedTranscriptHash(crypto, interimBefore, {
    wireFormat: WireFormat.publicMessage,
    content,
    auth: { signature },
  });
  const groupContext: GroupContext = {
    ...provisional(path.tree.treeHash()),
    confirmedTranscriptHash: confirmed,
  };
  const secrets = epochSecrets(
    crypto,
    exported.secret,
    path.commitSecret,
    computePskSecret(crypto, []),
    groupContext,
  );
  const confirmationTag = crypto.mac(secrets.confirmationKey, confirmed);
  const privateKeys = new Map<NodeIndex, NodeKey>();
  for (const [node, privateKey] of path.privateKeys) {
    const n = path.tree.node(node);
    if (n === undefined) continue;
    const publicKey = n.nodeType === NodeType.leaf ? n.leaf.encryptionKey : n.parent.encryptionKey;
    privateKeys.set(node, { privateKey, publicKey });
  }
  const message: MlsMessage = {
    wireFormat: WireFormat.publicMessage,
    publicMessage: { content, auth: { signature, confirmationTag } },
  };
  const state: GroupState = {
    version: GROUP_STATE_VERSION,
    groupContext,
    tree: path.tree,
    ownLeaf,
    secrets,
    interimTranscriptHash: interimTranscriptHash(crypto, confirmed, confirmationTag),
    privateKeys,
    secretTree: SecretTree.create(crypto, secrets.encryptionSecret, path.tree.leafCount),
    pendingProposals: [],
    resumptionPsks: new Map([[epoch, secrets.resumptionPsk]]),
    pendingUpdateKeys: [],
  };
  return { message, state };
}
