import { encodeWith } from './codec.js';
import type { Commit, ProposalOrRef } from './commit.js';
import { MlsError } from './errors.js';
import { ExtensionType, type Extension } from './extension.js';
import {
  ContentType,
  encodeFramedContentTbs,
  SenderType,
  WireFormat,
  type FramedContent,
  type MlsMessage,
  type Sender,
} from './framing.js';
import {
  applyProposals,
  assertActive,
  GROUP_STATE_VERSION,
  keysStillInTree,
  pathRequired,
  publicKeyOf,
  reinitOf,
  retainEpoch,
  retainPsk,
  type GroupState,
  type NodeKey,
} from './group.js';
import { encodeGroupContext, PROTOCOL_VERSION_MLS10, type GroupContext } from './group-context.js';
import type { PskLookup } from './join.js';
import { validateChangedLeaves, type ValidationPolicy } from './validation.js';
import { createKeyPackage, type KeyPackageOptions } from './key-package-create.js';
import { encodeKeyPackage, type KeyPackage } from './key-package.js';
import { epochSecrets } from './key-schedule.js';
import { protectPrivate, protectPublic } from './message-protection.js';
import type { MlsCrypto } from './mls-crypto.js';
import { ProposalType, type Proposal } from './proposal.js';
import { computePskSecret } from './psk.js';
import { RatchetTree, NodeType } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import { confirmedTranscriptHash, interimTranscriptHash } from './transcript-hash.js';
import { createUpdatePath } from './treekem.js';
import {
  directPath,
  inSubtree,
  leafIndex,
  leafToNode,
  type LeafIndex,
  type NodeIndex,
} from './tree-math.js';
import {
  encodeGroupInfoTbs,
  encodeGroupSecrets,
  welcomeKeyNonce,
  writeGroupInfo,
  type GroupInfo,
  type Welcome,
} from './welcome.js';

/** What creating a group needs besides its id. */
export interface CreateGroupOptions extends KeyPackageOptions {
  readonly groupId: Uint8Array;
  /** GroupContext extensions of epoch 0. */
  readonly groupExtensions?: readonly Extension[];
}

/**
 * Creates a one-member group at epoch 0 (RFC 9420 §11): the creator's leaf, a random init
 * secret, zero commit and PSK secrets, and the transcript hashes from a zero-length confirmed
 * transcript hash.
 */
export function createGroup(crypto: MlsCrypto, options: CreateGroupOptions): GroupState {
  const { keyPackage, encryptionPrivateKey } = createKeyPackage(crypto, options);
  const tree = RatchetTree.fromNodes(crypto, [
    { nodeType: NodeType.leaf, leaf: keyPackage.leafNode },
  ]);
  const groupContext: GroupContext = {
    version: PROTOCOL_VERSION_MLS10,
    cipherSuite: crypto.suite.id,
    groupId: options.groupId,
    epoch: 0n,
    treeHash: tree.treeHash(),
    confirmedTranscriptHash: new Uint8Array(0),
    extensions: options.groupExtensions ?? [],
  };
  const zero = new Uint8Array(crypto.hashLength);
  const initSecret = crypto.primitives.randomBytes(crypto.hashLength);
  const secrets = epochSecrets(crypto, initSecret, zero, zero, groupContext);
  const tag = crypto.mac(secrets.confirmationKey, groupContext.confirmedTranscriptHash);
  const own = leafIndex(0);
  return {
    version: GROUP_STATE_VERSION,
    groupContext,
    tree,
    ownLeaf: own,
    secrets,
    interimTranscriptHash: interimTranscriptHash(crypto, groupContext.confirmedTranscriptHash, tag),
    privateKeys: new Map([
      [
        leafToNode(own),
        { privateKey: encryptionPrivateKey, publicKey: keyPackage.leafNode.encryptionKey },
      ],
    ]),
    secretTree: SecretTree.create(crypto, secrets.encryptionSecret, 1),
    pendingProposals: [],
    resumptionPsks: new Map([[0n, secrets.resumptionPsk]]),
    pendingUpdateKeys: [],
  };
}

/** What creating a commit needs. */
export interface CommitOptions {
  readonly signaturePrivateKey: Uint8Array;
  /** Proposals sent by value, in order (Adds create the Welcome). */
  readonly proposals?: readonly Proposal[];
  /** Commit every pending proposal by reference too (default true). */
  readonly includePending?: boolean;
  /** Include an UpdatePath even when the proposals do not require one (default true). */
  readonly updatePath?: boolean;
  /** Send the commit as a PrivateMessage instead of a PublicMessage (default false). */
  readonly privateMessage?: boolean;
  /** Put the ratchet tree in the Welcome's GroupInfo (default true). */
  readonly ratchetTreeInWelcome?: boolean;
  readonly psks: PskLookup;
  /** Which credentials are acceptable, and the clock for lifetimes. */
  readonly policy: ValidationPolicy;
  readonly authenticatedData?: Uint8Array;
}

/** A created commit: the message to send, the Welcome for new members, and the next state. */
export interface CreatedCommit {
  readonly message: MlsMessage;
  readonly welcome?: Welcome;
  /** The state to adopt once the commit is accepted (compute, then commit). */
  readonly state: GroupState;
}

function lowestCommonAncestor(a: LeafIndex, b: LeafIndex, leafCount: number): NodeIndex {
  const target = leafToNode(b);
  for (const node of directPath(leafToNode(a), leafCount)) if (inSubtree(target, node)) return node;
  throw new MlsError('MISUSE', 'a leaf has no common ancestor with itself');
}

/**
 * Creates a commit from our leaf (RFC 9420 §12.4.1): applies the proposals, generates the
 * UpdatePath, signs the commit, derives the next epoch and its confirmation tag, and builds the
 * Welcome for added members. Returns the message and the next state without changing `state`.
 */
export function createCommit(
  crypto: MlsCrypto,
  state: GroupState,
  options: CommitOptions,
): CreatedCommit {
  const self: Sender = { senderType: SenderType.member, leafIndex: state.ownLeaf };
  assertActive(state);
  // Our own Updates are never committed by us: the UpdatePath replaces our leaf anyway.
  const pending =
    options.includePending === false
      ? []
      : state.pendingProposals.filter(
          (p) =>
            !(
              p.proposal.proposalType === ProposalType.update &&
              p.sender.senderType === SenderType.member &&
              p.sender.leafIndex === state.ownLeaf
            ),
        );
  const byValue = options.proposals ?? [];
  const resolved = [
    ...pending.map((p) => ({ proposal: p.proposal, sender: p.sender })),
    ...byValue.map((proposal) => ({ proposal, sender: self })),
  ];
  const applied = applyProposals(crypto, state, resolved, self, options);
  const epoch = state.groupContext.epoch + 1n;
  const provisional = (treeHash: Uint8Array): GroupContext => ({
    ...state.groupContext,
    epoch,
    treeHash,
    extensions: applied.extensions,
  });

  let tree = applied.tree;
  let commitSecret: Uint8Array = new Uint8Array(crypto.hashLength);
  let privateKeys = keysStillInTree(tree, state.privateKeys);
  let pathSecrets: ReadonlyMap<NodeIndex, Uint8Array> = new Map();
  const ownLeafNode = tree.leaf(state.ownLeaf);
  if (ownLeafNode === undefined) throw new MlsError('MISUSE', 'our leaf is not in the tree');
  const withPath = options.updatePath !== false || pathRequired(resolved.map((r) => r.proposal));
  let path: Commit['path'];
  if (withPath) {
    const created = createUpdatePath(crypto, tree, state.ownLeaf, {
      leafNode: ownLeafNode,
      signaturePrivateKey: options.signaturePrivateKey,
      groupId: state.groupContext.groupId,
      context: (treeHash) => encodeGroupContext(provisional(treeHash)),
      excludedLeaves: new Set(applied.added),
    });
    tree = created.tree;
    path = created.path;
    commitSecret = created.commitSecret;
    pathSecrets = created.pathSecrets;
    privateKeys = keysStillInTree(tree, privateKeys);
    for (const [node, privateKey] of created.privateKeys) {
      const publicKey = publicKeyOf(tree, node);
      if (publicKey !== undefined) privateKeys.set(node, { privateKey, publicKey });
    }
  }

  validateChangedLeaves(tree, [
    state.ownLeaf,
    ...applied.added,
    ...resolved.flatMap(({ proposal, sender }) =>
      proposal.proposalType === ProposalType.update && sender.senderType === SenderType.member
        ? [leafIndex(sender.leafIndex)]
        : [],
    ),
  ]);
  const proposals: ProposalOrRef[] = [
    ...pending.map((p): ProposalOrRef => ({ type: 2, reference: p.reference })),
    ...byValue.map((proposal): ProposalOrRef => ({ type: 1, proposal })),
  ];
  const commit: Commit = path === undefined ? { proposals } : { proposals, path };
  const content: FramedContent = {
    groupId: state.groupContext.groupId,
    epoch: state.groupContext.epoch,
    sender: self,
    authenticatedData: options.authenticatedData ?? new Uint8Array(0),
    contentType: ContentType.commit,
    commit,
  };
  const wireFormat =
    options.privateMessage === true ? WireFormat.privateMessage : WireFormat.publicMessage;
  const signature = crypto.signWithLabel(
    options.signaturePrivateKey,
    'FramedContentTBS',
    encodeFramedContentTbs(wireFormat, content, state.groupContext),
  );
  const confirmed = confirmedTranscriptHash(crypto, state.interimTranscriptHash, {
    wireFormat,
    content,
    auth: { signature },
  });
  const groupContext: GroupContext = {
    ...provisional(tree.treeHash()),
    confirmedTranscriptHash: confirmed,
  };
  const secrets = epochSecrets(
    crypto,
    applied.initSecret,
    commitSecret,
    computePskSecret(crypto, applied.pskInputs),
    groupContext,
  );
  const confirmationTag = crypto.mac(secrets.confirmationKey, confirmed);

  const protectOptions = {
    context: state.groupContext,
    signaturePrivateKey: options.signaturePrivateKey,
    confirmationTag,
    signature,
  };
  let message: MlsMessage;
  if (wireFormat === WireFormat.privateMessage) {
    const sealed = protectPrivate(crypto, content, {
      ...protectOptions,
      secretTree: state.secretTree,
      senderDataSecret: state.secrets.senderDataSecret,
    });
    message = { wireFormat, privateMessage: sealed.message };
  } else {
    const publicMessage = protectPublic(crypto, content, {
      ...protectOptions,
      membershipKey: state.secrets.membershipKey,
    });
    message = { wireFormat, publicMessage };
  }

  const next: GroupState = {
    version: GROUP_STATE_VERSION,
    groupContext,
    tree,
    ownLeaf: state.ownLeaf,
    secrets,
    interimTranscriptHash: interimTranscriptHash(crypto, confirmed, confirmationTag),
    privateKeys: privateKeys satisfies ReadonlyMap<NodeIndex, NodeKey>,
    secretTree: SecretTree.create(crypto, secrets.encryptionSecret, tree.leafCount),
    pendingProposals: [],
    resumptionPsks: retainPsk(state.resumptionPsks, epoch, secrets.resumptionPsk),
    pendingUpdateKeys: [],
    previousEpoch: retainEpoch(state),
    ...reinitOf(resolved.map((r) => r.proposal)),
  };
  if (applied.added.length === 0) return { message, state: next };

  const extensions: Extension[] =
    options.ratchetTreeInWelcome === false
      ? []
      : [{ extensionType: ExtensionType.ratchetTree, extensionData: tree.encode() }];
  const unsigned: GroupInfo = {
    groupContext,
    extensions,
    confirmationTag,
    signer: state.ownLeaf,
    signature: new Uint8Array(0),
  };
  const groupInfoTbs = encodeGroupInfoTbs(unsigned);
  const groupInfo: GroupInfo = {
    ...unsigned,
    signature: crypto.signWithLabel(options.signaturePrivateKey, 'GroupInfoTBS', groupInfoTbs),
  };
  const { key, nonce } = welcomeKeyNonce(crypto, secrets.welcomeSecret);
  const encryptedGroupInfo = crypto.seal(
    key,
    nonce,
    new Uint8Array(0),
    encodeWith(groupInfo, writeGroupInfo),
  );
  const addedKeyPackages = resolved
    .map((r) => r.proposal)
    .flatMap((p): KeyPackage[] => (p.proposalType === ProposalType.add ? [p.keyPackage] : []));
  const encrypt = crypto.encryptorWithLabel('Welcome', encryptedGroupInfo, applied.added.length);
  const secretsList = applied.added.map((leaf, i) => {
    const keyPackage = addedKeyPackages[i];
    if (keyPackage === undefined) throw new MlsError('MISUSE', 'added leaf without KeyPackage');
    const ancestor = lowestCommonAncestor(state.ownLeaf, leaf, tree.leafCount);
    const pathSecret = pathSecrets.get(ancestor);
    const groupSecrets = encodeGroupSecrets({
      joinerSecret: secrets.joinerSecret,
      psks: applied.pskInputs.map((p) => p.id),
      ...(pathSecret === undefined ? {} : { pathSecret }),
    });
    return {
      newMember: crypto.makeKeyPackageRef(encodeKeyPackage(keyPackage)),
      encryptedGroupSecrets: encrypt(keyPackage.initKey, groupSecrets),
    };
  });
  return {
    message,
    welcome: { cipherSuite: crypto.suite.id, secrets: secretsList, encryptedGroupInfo },
    state: next,
  };
}
