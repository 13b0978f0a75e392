import { constantTimeEqual, utf8Encode } from '@parley/bytes';
import type { Commit } from './commit.js';
import type { Credential } from './credential.js';
import { MlsError } from './errors.js';
import { externalSenders, type Extension } from './extension.js';
import {
  ContentType,
  encodeAuthenticatedContent,
  SenderType,
  WireFormat,
  type AuthenticatedContent,
  type FramedContent,
  type MlsMessage,
  type Sender,
} from './framing.js';
import { encodeGroupContext, type GroupContext } from './group-context.js';
import type { JoinedGroup, PskLookup } from './join.js';
import { epochSecrets, externalKeyPair, type EpochSecrets } from './key-schedule.js';
import { MAX_PENDING_PROPOSALS, MAX_RETAINED_RESUMPTION_PSKS } from './limits.js';
import { unprotectPrivate, unprotectPublic } from './message-protection.js';
import type { MlsCrypto } from './mls-crypto.js';
import { ProposalType, type Proposal } from './proposal.js';
import { computePskSecret, PskType, type PskInput } from './psk.js';
import { LeafNodeSource } from './leaf-node.js';
import { NodeType, type RatchetTree } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import {
  confirmedTranscriptHash,
  interimTranscriptHash,
  verifyConfirmationTag,
} from './transcript-hash.js';
import { decryptUpdatePath, mergeUpdatePath } from './treekem.js';
import {
  validateLeafNode,
  validateChangedLeaves,
  validateGroupExtensions,
  validateProposal,
  validateProposalList,
  type ValidationPolicy,
} from './validation.js';
import { leafIndex, leafToNode, type LeafIndex, type NodeIndex } from './tree-math.js';

/** Version of the {@link GroupState} record; bump it when its shape changes. */
export const GROUP_STATE_VERSION = 2;

/** An HPKE key pair we hold for a node; the public key tells whether the node still has it. */
export interface NodeKey {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A proposal received in the current epoch, waiting to be committed by reference. */
export interface PendingProposal {
  readonly reference: Uint8Array;
  readonly proposal: Proposal;
  readonly sender: Sender;
}

/**
 * One member's view of a group in one epoch: a versioned record that operations return anew
 * (compute, then commit). Serialisation for storage is not written yet.
 */
export interface GroupState {
  readonly version: typeof GROUP_STATE_VERSION;
  readonly groupContext: GroupContext;
  readonly tree: RatchetTree;
  readonly ownLeaf: LeafIndex;
  readonly secrets: EpochSecrets;
  readonly interimTranscriptHash: Uint8Array;
  readonly privateKeys: ReadonlyMap<NodeIndex, NodeKey>;
  readonly secretTree: SecretTree;
  readonly pendingProposals: readonly PendingProposal[];
  /** resumption_psk of this and recent epochs, by epoch. */
  readonly resumptionPsks: ReadonlyMap<bigint, Uint8Array>;
  /** HPKE keys of our Update proposals of this epoch, until one is committed. */
  readonly pendingUpdateKeys: readonly NodeKey[];
  /**
   * What reading late application messages of the previous epoch needs (`RETAINED_PAST_EPOCHS`
   * is 1): its context, its remaining message keys and its members' signature keys.
   */
  readonly previousEpoch?: PreviousEpoch;
  /**
   * Set once a commit with a ReInit proposal is processed: the group accepts nothing more and
   * is to be re-created with these parameters (RFC 9420 §11.2).
   */
  readonly reinit?: ReInitProposal;
}

/** Who held a leaf in a retained epoch: enough to verify and to name a late message's sender. */
export interface PastMember {
  readonly signatureKey: Uint8Array;
  /**
   * The leaf's credential in that epoch (absent only for states stored in format 1 whose leaf
   * changed hands since).
   */
  readonly credential?: Credential;
}

/** The retained part of the previous epoch. */
export interface PreviousEpoch {
  readonly groupContext: GroupContext;
  readonly senderDataSecret: Uint8Array;
  readonly secretTree: SecretTree;
  /** Each member leaf of that epoch: its signature key and credential. */
  readonly members: ReadonlyMap<number, PastMember>;
}

/** The part of `state`'s epoch to keep once the next epoch begins. */
export function retainEpoch(state: GroupState): PreviousEpoch {
  const members = new Map<number, PastMember>();
  for (let i = 0; i < state.tree.leafCount; i++) {
    const leaf = state.tree.leaf(leafIndex(i));
    if (leaf !== undefined)
      members.set(i, { signatureKey: leaf.signatureKey, credential: leaf.credential });
  }
  return {
    groupContext: state.groupContext,
    senderDataSecret: state.secrets.senderDataSecret,
    secretTree: state.secretTree,
    members,
  };
}

/** The state without the previous epoch's secrets (for forward secrecy, once late messages are in). */
export function dropPreviousEpoch(state: GroupState): GroupState {
  if (state.previousEpoch === undefined) return state;
  return {
    version: state.version,
    groupContext: state.groupContext,
    tree: state.tree,
    ownLeaf: state.ownLeaf,
    secrets: state.secrets,
    interimTranscriptHash: state.interimTranscriptHash,
    privateKeys: state.privateKeys,
    secretTree: state.secretTree,
    pendingProposals: state.pendingProposals,
    resumptionPsks: state.resumptionPsks,
    pendingUpdateKeys: state.pendingUpdateKeys,
    ...(state.reinit === undefined ? {} : { reinit: state.reinit }),
  };
}

/** A ReInit proposal's parameters. */
export type ReInitProposal = Extract<Proposal, { readonly proposalType: 5 }>;

/** Throws unless the group still accepts messages (no ReInit has been committed). */
export function assertActive(state: GroupState): void {
  if (state.reinit !== undefined) {
    throw new MlsError('INVALID_MESSAGE', 'the group was re-initialised; it accepts nothing more');
  }
}

function invalid(message: string): never {
  throw new MlsError('INVALID_MESSAGE', message);
}

export function publicKeyOf(tree: RatchetTree, node: NodeIndex): Uint8Array | undefined {
  const n = tree.node(node);
  if (n === undefined) return undefined;
  return n.nodeType === NodeType.leaf ? n.leaf.encryptionKey : n.parent.encryptionKey;
}

/** Keeps the keys whose node still carries the same public key. */
export function keysStillInTree(
  tree: RatchetTree,
  keys: ReadonlyMap<NodeIndex, NodeKey>,
): Map<NodeIndex, NodeKey> {
  const kept = new Map<NodeIndex, NodeKey>();
  for (const [node, key] of keys) {
    if (node >= 2 * tree.leafCount - 1) continue;
    const current = publicKeyOf(tree, node);
    if (current !== undefined && constantTimeEqual(current, key.publicKey)) kept.set(node, key);
  }
  return kept;
}

export function retainPsk(
  psks: ReadonlyMap<bigint, Uint8Array>,
  epoch: bigint,
  psk: Uint8Array,
): Map<bigint, Uint8Array> {
  const out = new Map(psks);
  out.set(epoch, psk);
  while (out.size > MAX_RETAINED_RESUMPTION_PSKS) {
    const oldest = [...out.keys()].reduce((a, b) => (a < b ? a : b));
    out.delete(oldest);
  }
  return out;
}

/** The group state of a member who has just joined. */
export function groupStateFromJoin(crypto: MlsCrypto, joined: JoinedGroup): GroupState {
  const privateKeys = new Map<NodeIndex, NodeKey>();
  for (const [node, privateKey] of joined.privateKeys) {
    const publicKey = publicKeyOf(joined.tree, node);
    if (publicKey !== undefined) privateKeys.set(node, { privateKey, publicKey });
  }
  return {
    version: GROUP_STATE_VERSION,
    groupContext: joined.groupContext,
    tree: joined.tree,
    ownLeaf: joined.ownLeaf,
    secrets: joined.secrets,
    interimTranscriptHash: joined.interimTranscriptHash,
    privateKeys,
    secretTree: SecretTree.create(crypto, joined.secrets.encryptionSecret, joined.tree.leafCount),
    pendingProposals: [],
    resumptionPsks: new Map([[joined.groupContext.epoch, joined.secrets.resumptionPsk]]),
    pendingUpdateKeys: [],
  };
}

/**
 * The signature key of a framed message's sender (RFC 9420 §6.1): a member's leaf, an external
 * sender from the `external_senders` extension, the KeyPackage of a new member's Add, or the
 * UpdatePath leaf of an external commit.
 */
function senderSignatureKey(state: GroupState, content: FramedContent): Uint8Array | undefined {
  const sender = content.sender;
  switch (sender.senderType) {
    case SenderType.member:
      return sender.leafIndex < state.tree.leafCount
        ? state.tree.leaf(leafIndex(sender.leafIndex))?.signatureKey
        : undefined;
    case SenderType.external:
      return externalSenders(state.groupContext.extensions)[sender.senderIndex]?.signatureKey;
    case SenderType.newMemberProposal:
      return content.contentType === ContentType.proposal &&
        content.proposal.proposalType === ProposalType.add
        ? content.proposal.keyPackage.leafNode.signatureKey
        : undefined;
    case SenderType.newMemberCommit:
      return content.contentType === ContentType.commit
        ? content.commit.path?.leafNode.signatureKey
        : undefined;
  }
}

/**
 * Verifies a framed message of the current epoch (any sender type), returning its content and the
 * secret tree after it (unchanged for a PublicMessage).
 */
export function unprotectInGroup(
  crypto: MlsCrypto,
  state: GroupState,
  message: MlsMessage,
): { content: AuthenticatedContent; secretTree: SecretTree } {
  assertActive(state);
  const signatureKey = (content: FramedContent): Uint8Array | undefined =>
    senderSignatureKey(state, content);
  if (message.wireFormat === WireFormat.publicMessage) {
    const content = unprotectPublic(crypto, message.publicMessage, {
      context: state.groupContext,
      membershipKey: state.secrets.membershipKey,
      signatureKey,
    });
    return { content, secretTree: state.secretTree };
  }
  if (message.wireFormat === WireFormat.privateMessage) {
    return unprotectPrivate(crypto, message.privateMessage, {
      context: state.groupContext,
      secretTree: state.secretTree,
      senderDataSecret: state.secrets.senderDataSecret,
      signatureKey,
    });
  }
  return invalid('not a framed message');
}

/**
 * Verifies and validates a proposal sent in the current epoch (by a member, an external sender
 * or a new member) and keeps it for a commit by reference. The rules that concern the whole
 * list (duplicates, the committer's own proposals) are checked when it is committed.
 */
export function processProposal(
  crypto: MlsCrypto,
  state: GroupState,
  message: MlsMessage,
  policy: ValidationPolicy,
): GroupState {
  const { content, secretTree } = unprotectInGroup(crypto, state, message);
  const framed = content.content;
  if (framed.contentType !== ContentType.proposal) invalid('not a proposal');
  if (state.pendingProposals.length >= MAX_PENDING_PROPOSALS) {
    throw new MlsError('LIMIT_EXCEEDED', `more than ${MAX_PENDING_PROPOSALS} pending proposals`);
  }
  const { groupId, extensions } = state.groupContext;
  validateProposal(
    { crypto, groupId, extensions, policy },
    state.tree,
    framed.proposal,
    framed.sender,
  );
  const pending: PendingProposal = {
    reference: crypto.makeProposalRef(encodeAuthenticatedContent(content)),
    proposal: framed.proposal,
    sender: framed.sender,
  };
  return { ...state, secretTree, pendingProposals: [...state.pendingProposals, pending] };
}

function resolveProposals(
  state: GroupState,
  commit: Commit,
  committer: Sender,
): { proposal: Proposal; sender: Sender }[] {
  return commit.proposals.map((p) => {
    if (p.type === 1) return { proposal: p.proposal, sender: committer };
    const found = state.pendingProposals.find((q) => constantTimeEqual(q.reference, p.reference));
    if (found === undefined) invalid('commit refers to an unknown proposal');
    return { proposal: found.proposal, sender: found.sender };
  });
}

/** True when a commit with these proposals must carry an UpdatePath (RFC 9420 §12.4). */
export function pathRequired(proposals: readonly Proposal[]): boolean {
  const needs: readonly number[] = [
    ProposalType.update,
    ProposalType.remove,
    ProposalType.externalInit,
    ProposalType.groupContextExtensions,
  ];
  return proposals.length === 0 || proposals.some((p) => needs.includes(p.proposalType));
}

/** What creating or processing a commit needs from the application. */
export interface CommitProcessingOptions {
  readonly psks: PskLookup;
  /** Which credentials are acceptable, and the clock for lifetimes. */
  readonly policy: ValidationPolicy;
}

/** The tree, extensions, new leaves, PSKs and init secret after a commit's proposals. */
export interface AppliedProposals {
  readonly tree: RatchetTree;
  readonly extensions: readonly Extension[];
  /** Leaves added by Add proposals, in order. */
  readonly added: readonly LeafIndex[];
  readonly pskInputs: readonly PskInput[];
  readonly initSecret: Uint8Array;
}

/**
 * Applies a commit's proposals in the RFC 9420 §12.3 order: GroupContextExtensions and
 * ExternalInit, then Updates, Removes and Adds, and resolves the PSKs. `sender` is the
 * committer (a member, or a joiner for an external commit).
 */
export function applyProposals(
  crypto: MlsCrypto,
  state: GroupState,
  resolved: readonly { proposal: Proposal; sender: Sender }[],
  sender: Sender,
  options: CommitProcessingOptions,
): AppliedProposals {
  const { psks } = options;
  const external = sender.senderType === SenderType.newMemberCommit;
  const proposals = resolved.map((r) => r.proposal);
  let tree = state.tree;
  let extensions: readonly Extension[] = state.groupContext.extensions;
  let initSecret = state.secrets.initSecret;
  const externalInits = proposals.filter((p) => p.proposalType === ProposalType.externalInit);
  if (externalInits.length !== (external ? 1 : 0)) {
    invalid('an external commit has exactly one ExternalInit, a member commit none');
  }
  for (const proposal of proposals) {
    if (proposal.proposalType === ProposalType.groupContextExtensions)
      extensions = proposal.extensions;
    if (proposal.proposalType === ProposalType.externalInit) {
      const externalPrivate = externalKeyPair(crypto, state.secrets.externalSecret).privateKey;
      initSecret = crypto.hpke.receiveExport(
        proposal.kemOutput,
        externalPrivate,
        new Uint8Array(0),
        EXTERNAL_INIT_LABEL,
        crypto.hashLength,
      );
    }
  }
  validateProposalList(
    { crypto, groupId: state.groupContext.groupId, extensions, policy: options.policy },
    state.tree,
    resolved,
    sender,
  );
  for (const { proposal, sender: proposer } of resolved) {
    if (proposal.proposalType !== ProposalType.update) continue;
    const fromCommitter =
      sender.senderType === SenderType.member &&
      proposer.senderType === SenderType.member &&
      proposer.leafIndex === sender.leafIndex;
    if (proposer.senderType !== SenderType.member || fromCommitter) {
      invalid('an Update comes from a member other than the committer');
    }
    tree = tree.updateLeaf(leafIndex(proposer.leafIndex), proposal.leafNode);
  }
  for (const proposal of proposals) {
    if (proposal.proposalType !== ProposalType.remove) continue;
    if (proposal.removed >= tree.leafCount) invalid('Remove of a leaf outside the tree');
    const removed = leafIndex(proposal.removed);
    if (tree.leaf(removed) === undefined) invalid('Remove of a blank leaf');
    if (removed === state.ownLeaf) invalid('we are removed by this commit');
    tree = tree.removeLeaf(removed);
  }
  const newLeaves = proposals.flatMap((p) =>
    p.proposalType === ProposalType.add ? [p.keyPackage.leafNode] : [],
  );
  let added: readonly LeafIndex[] = [];
  if (newLeaves.length > 0) ({ tree, leaves: added } = tree.addLeaves(newLeaves));
  const pskInputs: PskInput[] = [];
  for (const proposal of proposals) {
    if (proposal.proposalType !== ProposalType.psk) continue;
    const id = proposal.psk;
    let psk: Uint8Array | undefined;
    if (id.pskType === PskType.external) psk = psks(id);
    else if (constantTimeEqual(id.pskGroupId, state.groupContext.groupId)) {
      psk = state.resumptionPsks.get(id.pskEpoch);
    }
    if (psk === undefined) invalid('commit names a PSK we do not have');
    pskInputs.push({ id, psk });
  }
  if (proposals.some((p) => p.proposalType === ProposalType.groupContextExtensions)) {
    validateGroupExtensions(tree, extensions);
  }
  return { tree, extensions, added, pskInputs, initSecret };
}

const EXTERNAL_INIT_LABEL = utf8Encode('MLS 1.0 external init secret');

/**
 * Processes a commit of the current epoch from another member, or an external commit by a
 * joiner (RFC 9420 §12.4.2, §12.4.3.2): applies its proposals (by value or by reference) to the
 * tree, merges and decrypts its UpdatePath, runs the key schedule with its PSKs (and, for an
 * external commit, the init secret exported from its ExternalInit), checks the confirmation
 * tag, and returns the next epoch's state. Nothing changes if anything fails. ReInit is not
 * acted on and most proposal validation is not done yet (README.md).
 */
export function processCommit(
  crypto: MlsCrypto,
  state: GroupState,
  message: MlsMessage,
  options: CommitProcessingOptions,
): GroupState {
  const { content } = unprotectInGroup(crypto, state, message);
  const framed = content.content;
  if (framed.contentType !== ContentType.commit) invalid('not a commit');
  const sender = framed.sender;
  if (sender.senderType !== SenderType.member && sender.senderType !== SenderType.newMemberCommit) {
    invalid('commits come from members or joiners');
  }
  const external = sender.senderType === SenderType.newMemberCommit;
  if (!external && sender.leafIndex === state.ownLeaf) {
    throw new MlsError('MISUSE', 'our own commit is merged, not processed');
  }
  const tag = content.auth.confirmationTag;
  if (tag === undefined) invalid('commit without confirmation tag');
  const commit = framed.commit;
  const resolved = resolveProposals(state, commit, sender);
  const proposals = resolved.map((r) => r.proposal);
  if ((external || pathRequired(proposals)) && commit.path === undefined) {
    invalid('commit needs an UpdatePath');
  }

  const applied = applyProposals(crypto, state, resolved, sender, options);
  let tree = applied.tree;
  const { extensions, pskInputs, initSecret } = applied;
  const added = new Set<number>(applied.added);
  let committer: LeafIndex;
  if (sender.senderType === SenderType.member) {
    committer = leafIndex(sender.leafIndex);
  } else {
    const path = commit.path;
    if (path === undefined) return invalid('commit needs an UpdatePath');
    const joined = tree.addLeaf(path.leafNode);
    tree = joined.tree;
    committer = joined.leaf;
  }

  const epoch = state.groupContext.epoch + 1n;
  let commitSecret: Uint8Array = new Uint8Array(crypto.hashLength);
  let privateKeys = keysStillInTree(tree, withCommittedUpdate(tree, state));
  if (commit.path !== undefined) {
    tree = mergeUpdatePath(crypto, tree, committer, commit.path);
    validateLeafNode(
      { crypto, groupId: state.groupContext.groupId, extensions, policy: options.policy },
      commit.path.leafNode,
      LeafNodeSource.commit,
      committer,
    );
    const provisional: GroupContext = {
      ...state.groupContext,
      epoch,
      treeHash: tree.treeHash(),
      extensions,
    };
    const ownKeys = new Map<NodeIndex, Uint8Array>();
    for (const [node, key] of keysStillInTree(tree, privateKeys)) ownKeys.set(node, key.privateKey);
    const decrypted = decryptUpdatePath(
      crypto,
      tree,
      committer,
      commit.path,
      encodeGroupContext(provisional),
      state.ownLeaf,
      ownKeys,
      added,
    );
    commitSecret = decrypted.commitSecret;
    privateKeys = keysStillInTree(tree, privateKeys);
    for (const [node, privateKey] of decrypted.privateKeys) {
      const publicKey = publicKeyOf(tree, node);
      if (publicKey !== undefined) privateKeys.set(node, { privateKey, publicKey });
    }
  }

  const changed = [
    committer,
    ...applied.added,
    ...resolved.flatMap(({ proposal, sender: proposer }) =>
      proposal.proposalType === ProposalType.update && proposer.senderType === SenderType.member
        ? [leafIndex(proposer.leafIndex)]
        : [],
    ),
  ];
  validateChangedLeaves(tree, changed);
  const confirmed = confirmedTranscriptHash(crypto, state.interimTranscriptHash, content);
  const groupContext: GroupContext = {
    ...state.groupContext,
    epoch,
    treeHash: tree.treeHash(),
    confirmedTranscriptHash: confirmed,
    extensions,
  };
  const secrets = epochSecrets(
    crypto,
    initSecret,
    commitSecret,
    computePskSecret(crypto, pskInputs),
    groupContext,
  );
  if (!verifyConfirmationTag(crypto, secrets.confirmationKey, confirmed, tag)) {
    throw new MlsError('AUTHENTICATION_FAILED', 'commit confirmation tag did not verify');
  }
  return {
    version: GROUP_STATE_VERSION,
    groupContext,
    tree,
    ownLeaf: state.ownLeaf,
    secrets,
    interimTranscriptHash: interimTranscriptHash(crypto, confirmed, tag),
    privateKeys,
    secretTree: SecretTree.create(crypto, secrets.encryptionSecret, tree.leafCount),
    pendingProposals: [],
    resumptionPsks: retainPsk(state.resumptionPsks, epoch, secrets.resumptionPsk),
    pendingUpdateKeys: [],
    previousEpoch: retainEpoch(state),
    ...reinitOf(proposals),
  };
}

/** `{ reinit }` when the proposals include a ReInit, else nothing. */
export function reinitOf(proposals: readonly Proposal[]): { reinit?: ReInitProposal } {
  const found = proposals.find((p): p is ReInitProposal => p.proposalType === ProposalType.reinit);
  return found === undefined ? {} : { reinit: found };
}

/**
 * Our private keys plus, when another member committed one of our Update proposals, the key of
 * the leaf it installed.
 */
function withCommittedUpdate(
  tree: RatchetTree,
  state: GroupState,
): ReadonlyMap<NodeIndex, NodeKey> {
  const leaf = tree.leaf(state.ownLeaf);
  const key = state.pendingUpdateKeys.find(
    (k) => leaf !== undefined && constantTimeEqual(k.publicKey, leaf.encryptionKey),
  );
  if (key === undefined) return state.privateKeys;
  const keys = new Map(state.privateKeys);
  keys.set(leafToNode(state.ownLeaf), key);
  return keys;
}
