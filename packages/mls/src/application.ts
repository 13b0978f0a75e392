import type { Credential } from './credential.js';
import { MlsError } from './errors.js';
import { MAX_PENDING_PROPOSALS } from './limits.js';
import {
  ContentType,
  encodeAuthenticatedContent,
  encodeFramedContentTbs,
  SenderType,
  WireFormat,
  type FramedContent,
  type MlsMessage,
} from './framing.js';
import { assertActive, unprotectInGroup, type GroupState } from './group.js';
import { protectPrivate, protectPublic, unprotectPrivate } from './message-protection.js';
import type { MlsCrypto } from './mls-crypto.js';
import { LeafNodeSource, type LeafNode } from './leaf-node.js';
import { ProposalType, type Proposal } from './proposal.js';
import { encodeLeafNodeTbs } from './ratchet-tree.js';
import { leafIndex, type LeafIndex } from './tree-math.js';

/**
 * Application messages and proposals of the current epoch from our leaf. Each returns the
 * message and the state that sending or receiving it leaves (compute, then commit).
 */

type ContentHeader = Pick<FramedContent, 'groupId' | 'epoch' | 'sender' | 'authenticatedData'>;

function ownContent(state: GroupState, authenticatedData: Uint8Array | undefined): ContentHeader {
  return {
    groupId: state.groupContext.groupId,
    epoch: state.groupContext.epoch,
    sender: { senderType: SenderType.member, leafIndex: state.ownLeaf },
    authenticatedData: authenticatedData ?? new Uint8Array(0),
  };
}

/** Encrypts application data as a PrivateMessage from our leaf. */
export function encryptApplicationMessage(
  crypto: MlsCrypto,
  state: GroupState,
  data: Uint8Array,
  signaturePrivateKey: Uint8Array,
  authenticatedData?: Uint8Array,
): { readonly message: MlsMessage; readonly state: GroupState } {
  assertActive(state);
  const content: FramedContent = {
    ...ownContent(state, authenticatedData),
    contentType: ContentType.application,
    applicationData: data,
  };
  const sealed = protectPrivate(crypto, content, {
    context: state.groupContext,
    signaturePrivateKey,
    secretTree: state.secretTree,
    senderDataSecret: state.secrets.senderDataSecret,
  });
  return {
    message: { wireFormat: WireFormat.privateMessage, privateMessage: sealed.message },
    state: { ...state, secretTree: sealed.secretTree },
  };
}

/** A decrypted application message and the state that reading it leaves. */
export interface DecryptedApplication {
  readonly data: Uint8Array;
  /** The sender's leaf in the tree of the epoch the message was made in. */
  readonly sender: LeafIndex;
  /** The epoch the message was made in (the current one or the previous one). */
  readonly epoch: bigint;
  /**
   * The sender's credential in that epoch: a leaf may have changed hands since (removed, then
   * taken by a newly added member), so name the sender by this, never by today's tree.
   * Absent only for a previous-epoch message read from a state stored in format 1 whose leaf
   * changed hands.
   */
  readonly senderCredential?: Credential;
  readonly state: GroupState;
}

/**
 * Decrypts and verifies an application message of the current epoch, or of the previous one
 * while it is retained. Throws `DECRYPT_FAILED` (or `INVALID_MESSAGE` for another group or
 * epoch) and changes nothing on failure.
 */
export function decryptApplicationMessage(
  crypto: MlsCrypto,
  state: GroupState,
  message: MlsMessage,
): DecryptedApplication {
  if (message.wireFormat !== WireFormat.privateMessage) {
    throw new MlsError('INVALID_MESSAGE', 'application data comes in PrivateMessages');
  }
  const previous = state.previousEpoch;
  if (previous !== undefined && message.privateMessage.epoch === previous.groupContext.epoch) {
    assertActive(state);
    const { content, secretTree } = unprotectPrivate(crypto, message.privateMessage, {
      context: previous.groupContext,
      secretTree: previous.secretTree,
      senderDataSecret: previous.senderDataSecret,
      signatureKey: ({ sender }) =>
        sender.senderType === SenderType.member
          ? previous.members.get(sender.leafIndex)?.signatureKey
          : undefined,
    });
    const { data, sender } = applicationContent(content.content);
    const credential = previous.members.get(sender)?.credential;
    return {
      data,
      sender,
      epoch: previous.groupContext.epoch,
      ...(credential !== undefined && { senderCredential: credential }),
      state: { ...state, previousEpoch: { ...previous, secretTree } },
    };
  }
  const { content, secretTree } = unprotectInGroup(crypto, state, message);
  const { data, sender } = applicationContent(content.content);
  const credential = state.tree.leaf(sender)?.credential;
  return {
    data,
    sender,
    epoch: state.groupContext.epoch,
    ...(credential !== undefined && { senderCredential: credential }),
    state: { ...state, secretTree },
  };
}

function applicationContent(framed: FramedContent): { data: Uint8Array; sender: LeafIndex } {
  if (
    framed.contentType !== ContentType.application ||
    framed.sender.senderType !== SenderType.member
  ) {
    throw new MlsError('INVALID_MESSAGE', 'not an application message');
  }
  return { data: framed.applicationData, sender: leafIndex(framed.sender.leafIndex) };
}

/**
 * Sends a proposal from our leaf, as a PublicMessage or PrivateMessage, and records it in the
 * pending proposals exactly as receivers do, so any member can commit it by reference.
 */
export function createProposal(
  crypto: MlsCrypto,
  state: GroupState,
  proposal: Proposal,
  signaturePrivateKey: Uint8Array,
  options: { readonly privateMessage?: boolean; readonly authenticatedData?: Uint8Array } = {},
): { readonly message: MlsMessage; readonly state: GroupState } {
  assertActive(state);
  if (state.pendingProposals.length >= MAX_PENDING_PROPOSALS) {
    throw new MlsError('LIMIT_EXCEEDED', `more than ${MAX_PENDING_PROPOSALS} pending proposals`);
  }
  const content: FramedContent = {
    ...ownContent(state, options.authenticatedData),
    contentType: ContentType.proposal,
    proposal,
  };
  const wireFormat =
    options.privateMessage === true ? WireFormat.privateMessage : WireFormat.publicMessage;
  const signature = crypto.signWithLabel(
    signaturePrivateKey,
    'FramedContentTBS',
    encodeFramedContentTbs(wireFormat, content, state.groupContext),
  );
  const reference = crypto.makeProposalRef(
    encodeAuthenticatedContent({ wireFormat, content, auth: { signature } }),
  );
  const pendingProposals = [
    ...state.pendingProposals,
    { reference, proposal, sender: content.sender },
  ];
  if (wireFormat === WireFormat.privateMessage) {
    const sealed = protectPrivate(crypto, content, {
      context: state.groupContext,
      signaturePrivateKey,
      signature,
      secretTree: state.secretTree,
      senderDataSecret: state.secrets.senderDataSecret,
    });
    return {
      message: { wireFormat, privateMessage: sealed.message },
      state: { ...state, secretTree: sealed.secretTree, pendingProposals },
    };
  }
  const publicMessage = protectPublic(crypto, content, {
    context: state.groupContext,
    signaturePrivateKey,
    signature,
    membershipKey: state.secrets.membershipKey,
  });
  return { message: { wireFormat, publicMessage }, state: { ...state, pendingProposals } };
}

/**
 * Proposes to replace our leaf with a fresh encryption key (an Update, RFC 9420 §12.1.2). The
 * new private key waits in `pendingUpdateKeys` until another member commits the proposal.
 */
export function createUpdateProposal(
  crypto: MlsCrypto,
  state: GroupState,
  signaturePrivateKey: Uint8Array,
  options: { readonly privateMessage?: boolean; readonly authenticatedData?: Uint8Array } = {},
): { readonly message: MlsMessage; readonly state: GroupState } {
  const current = state.tree.leaf(state.ownLeaf);
  if (current === undefined) throw new MlsError('MISUSE', 'our leaf is not in the tree');
  const pair = crypto.generateKemKeyPair();
  const unsigned: LeafNode = {
    encryptionKey: pair.publicKey,
    signatureKey: current.signatureKey,
    credential: current.credential,
    capabilities: current.capabilities,
    leafNodeSource: LeafNodeSource.update,
    extensions: current.extensions,
    signature: new Uint8Array(0),
  };
  const tbs = encodeLeafNodeTbs(unsigned, state.groupContext.groupId, state.ownLeaf);
  const leafNode: LeafNode = {
    ...unsigned,
    signature: crypto.signWithLabel(signaturePrivateKey, 'LeafNodeTBS', tbs),
  };
  const sent = createProposal(
    crypto,
    state,
    { proposalType: ProposalType.update, leafNode },
    signaturePrivateKey,
    options,
  );
  return {
    message: sent.message,
    state: {
      ...sent.state,
      pendingUpdateKeys: [
        ...sent.state.pendingUpdateKeys,
        { privateKey: pair.privateKey, publicKey: pair.publicKey },
      ],
    },
  };
}
