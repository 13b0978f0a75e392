import { constantTimeEqual, toHex } from '@parley/bytes';
import { decodeWith, readUint16List } from './codec.js';
import type { Credential } from './credential.js';
import { MlsError } from './errors.js';
import { ExtensionType, type Extension } from './extension.js';
import { SenderType, type Sender } from './framing.js';
import { PROTOCOL_VERSION_MLS10 } from './group-context.js';
import { verifyKeyPackageSignature } from './key-package-create.js';
import { LeafNodeSource, type LeafNode } from './leaf-node.js';
import type { MlsCrypto } from './mls-crypto.js';
import { ProposalType, type Proposal } from './proposal.js';
import { verifyLeafNodeSignature, type RatchetTree } from './ratchet-tree.js';
import { leafIndex, type LeafIndex } from './tree-math.js';

/**
 * Validation of leaf nodes (RFC 9420 §7.3), ratchet trees on joining, and proposal lists
 * (§12.2). Failures throw `MlsError('INVALID_MESSAGE')` with a reason that names the rule and
 * the leaf index, never key material or identities.
 */

/**
 * Decides whether a credential, with the signature key it is presented with, belongs in this
 * group. Parley wires it to the signed device lists: the leaf must be a device in the member's
 * signed list, with the signature key listed there.
 */
export type AuthenticateCredential = (credential: Credential, signatureKey: Uint8Array) => boolean;

/** What validation needs from the application. */
export interface ValidationPolicy {
  readonly authenticate: AuthenticateCredential;
  /** Seconds since the Unix epoch; when given, KeyPackage lifetimes are checked against it. */
  readonly now?: bigint;
}

/** Extension types that need not (and must not) be listed in capabilities (RFC 9420 §7.2). */
const DEFAULT_EXTENSION_TYPES: readonly number[] = [1, 2, 3, 4, 5];
/** Proposal types that need not be listed in capabilities (RFC 9420 §7.2). */
const DEFAULT_PROPOSAL_TYPES: readonly number[] = [1, 2, 3, 4, 5, 6, 7];

function invalid(reason: string): never {
  throw new MlsError('INVALID_MESSAGE', reason);
}

interface RequiredCapabilities {
  readonly extensions: readonly number[];
  readonly proposals: readonly number[];
  readonly credentials: readonly number[];
}

/** The `required_capabilities` extension of the group, if any. */
export function requiredCapabilities(
  extensions: readonly Extension[],
): RequiredCapabilities | undefined {
  const found = extensions.find((e) => e.extensionType === ExtensionType.requiredCapabilities);
  if (found === undefined) return undefined;
  return decodeWith(found.extensionData, 'required_capabilities', (r) => ({
    extensions: readUint16List(r),
    proposals: readUint16List(r),
    credentials: readUint16List(r),
  }));
}

/** The group's parameters a leaf node is checked against. */
export interface LeafContext {
  readonly crypto: MlsCrypto;
  readonly groupId: Uint8Array;
  readonly extensions: readonly Extension[];
  readonly policy: ValidationPolicy;
}

/**
 * Validates one leaf node (RFC 9420 §7.3) apart from uniqueness and credential-type
 * compatibility, which need the whole tree: the credential is accepted by the application, the
 * signature verifies (with group id and leaf index unless from a KeyPackage), the capabilities
 * cover the required ones, its own credential type, the group's version, and its
 * non-default extensions; the source is the expected one; the lifetime holds when a clock is
 * given.
 */
export function validateLeafNode(
  context: LeafContext,
  leaf: LeafNode,
  expectedSource: 1 | 2 | 3,
  index: LeafIndex,
): void {
  const { crypto, policy } = context;
  const at = `leaf ${index}`;
  if (leaf.leafNodeSource !== expectedSource) invalid(`${at}: unexpected leaf node source`);
  if (!policy.authenticate(leaf.credential, leaf.signatureKey))
    invalid(`${at}: credential not accepted`);
  if (!verifyLeafNodeSignature(crypto, leaf, context.groupId, index))
    invalid(`${at}: bad leaf signature`);
  const caps = leaf.capabilities;
  if (!caps.versions.includes(PROTOCOL_VERSION_MLS10)) invalid(`${at}: does not support MLS 1.0`);
  // The group's cipher suite need not be in `caps.cipherSuites`: RFC 9420 §7.3 does not ask
  // for it (a KeyPackage's own cipher_suite field is what must match the group's, §10.1), and
  // the official suite-7 interop vectors hold leaves that list only suites 1–6.
  if (!caps.credentials.includes(leaf.credential.credentialType)) {
    invalid(`${at}: its own credential type is not in its capabilities`);
  }
  for (const e of leaf.extensions) {
    if (
      !DEFAULT_EXTENSION_TYPES.includes(e.extensionType) &&
      !caps.extensions.includes(e.extensionType)
    ) {
      invalid(`${at}: extension ${e.extensionType} not in its capabilities`);
    }
  }
  const required = requiredCapabilities(context.extensions);
  if (required !== undefined) {
    const missing =
      required.extensions.some(
        (t) => !DEFAULT_EXTENSION_TYPES.includes(t) && !caps.extensions.includes(t),
      ) ||
      required.proposals.some(
        (t) => !DEFAULT_PROPOSAL_TYPES.includes(t) && !caps.proposals.includes(t),
      ) ||
      required.credentials.some((t) => !caps.credentials.includes(t));
    if (missing) invalid(`${at}: lacks a required capability`);
  }
  if (
    leaf.leafNodeSource === LeafNodeSource.keyPackage &&
    policy.now !== undefined &&
    (policy.now < leaf.lifetime.notBefore || policy.now > leaf.lifetime.notAfter)
  ) {
    invalid(`${at}: outside its lifetime`);
  }
}

/**
 * Checks what needs the whole tree (RFC 9420 §7.3): signature and encryption keys unique among
 * the leaves, every leaf's credential type supported by every leaf, and every credential type
 * in use supported by each leaf. O(leaves) with sets.
 */
export function validateTreeLeaves(tree: RatchetTree): void {
  const signatureKeys = new Set<string>();
  const encryptionKeys = new Set<string>();
  const inUse = new Set<number>();
  const leaves: LeafNode[] = [];
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(leafIndex(i));
    if (leaf === undefined) continue;
    const sig = toHex(leaf.signatureKey);
    const enc = toHex(leaf.encryptionKey);
    if (signatureKeys.has(sig)) invalid(`leaf ${i}: signature key used twice`);
    if (encryptionKeys.has(enc)) invalid(`leaf ${i}: encryption key used twice`);
    signatureKeys.add(sig);
    encryptionKeys.add(enc);
    inUse.add(leaf.credential.credentialType);
    leaves.push(leaf);
  }
  for (const leaf of leaves) {
    for (const type of inUse) {
      if (!leaf.capabilities.credentials.includes(type))
        invalid('a leaf does not support a credential type in use');
    }
  }
}

/**
 * Byte equality of two public keys, stopping at the first difference: they are public, so the
 * comparison need not take constant time, and it runs once per leaf of the tree.
 */
function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Above this many changed leaves, the whole tree is checked with sets instead of pairwise. */
const PAIRWISE_CHECK_LIMIT = 16;

/**
 * The tree-wide checks of {@link validateTreeLeaves} for a commit that changed only `changed`
 * leaves (its committer, Updates and Adds): each changed leaf's keys against every other leaf,
 * and credential-type compatibility between the changed leaves and the rest. O(changed ×
 * leaves) comparisons, with no encoding, so a small commit in a large group stays cheap.
 */
export function validateChangedLeaves(tree: RatchetTree, changed: readonly LeafIndex[]): void {
  if (changed.length > PAIRWISE_CHECK_LIMIT) {
    validateTreeLeaves(tree);
    return;
  }
  const inUse = new Set<number>();
  const leaves: { index: number; leaf: LeafNode }[] = [];
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(leafIndex(i));
    if (leaf === undefined) continue;
    inUse.add(leaf.credential.credentialType);
    leaves.push({ index: i, leaf });
  }
  for (const index of changed) {
    const leaf = tree.leaf(index);
    if (leaf === undefined) continue;
    for (const type of inUse) {
      if (!leaf.capabilities.credentials.includes(type)) {
        invalid(`leaf ${index}: does not support a credential type in use`);
      }
    }
    for (const other of leaves) {
      if (other.index === index) continue;
      if (!other.leaf.capabilities.credentials.includes(leaf.credential.credentialType)) {
        invalid(`leaf ${index}: credential type not supported by leaf ${other.index}`);
      }
      if (samePublicKey(other.leaf.signatureKey, leaf.signatureKey)) {
        invalid(`leaf ${index}: signature key used twice`);
      }
      if (samePublicKey(other.leaf.encryptionKey, leaf.encryptionKey)) {
        invalid(`leaf ${index}: encryption key used twice`);
      }
    }
  }
}

/**
 * Validates every non-blank leaf of a tree we are joining: each leaf on its own, as it says it
 * was made (KeyPackage, update or commit), then uniqueness and credential compatibility.
 */
export function validateJoinedTree(context: LeafContext, tree: RatchetTree): void {
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(leafIndex(i));
    if (leaf !== undefined) validateLeafNode(context, leaf, leaf.leafNodeSource, leafIndex(i));
  }
  validateTreeLeaves(tree);
}

/** A proposal with who sent it. */
export interface ResolvedProposal {
  readonly proposal: Proposal;
  readonly sender: Sender;
}

function sameLeaf(sender: Sender, leaf: number): boolean {
  return sender.senderType === SenderType.member && sender.leafIndex === leaf;
}

/**
 * Validates a commit's proposal list against the current tree (RFC 9420 §12.2) before it is
 * applied: the rules for regular and external commits, each Add's KeyPackage and each Update's
 * leaf node. Leaves in the resulting tree are checked by {@link validateTreeLeaves} afterwards.
 */
export function validateProposalList(
  context: LeafContext,
  tree: RatchetTree,
  proposals: readonly ResolvedProposal[],
  committer: Sender,
): void {
  const external = committer.senderType === SenderType.newMemberCommit;
  const counts = new Map<number, number>();
  for (const { proposal } of proposals) {
    counts.set(proposal.proposalType, (counts.get(proposal.proposalType) ?? 0) + 1);
  }
  const count = (type: number): number => counts.get(type) ?? 0;
  if (external) {
    const allowed: readonly number[] = [
      ProposalType.externalInit,
      ProposalType.remove,
      ProposalType.psk,
    ];
    if ([...counts.keys()].some((t) => !allowed.includes(t)))
      invalid('external commit with a disallowed proposal');
    if (count(ProposalType.externalInit) !== 1)
      invalid('external commit without exactly one ExternalInit');
    if (count(ProposalType.remove) > 1) invalid('external commit removing more than one leaf');
  } else {
    if (count(ProposalType.externalInit) > 0) invalid('ExternalInit in a member commit');
    if (count(ProposalType.reinit) > 0 && proposals.length > 1)
      invalid('ReInit with other proposals');
  }
  if (count(ProposalType.groupContextExtensions) > 1)
    invalid('more than one GroupContextExtensions');

  const touched = new Set<number>();
  const removedKeys = new Set<string>();
  const pskIds = new Set<string>();
  const addedKeys = new Set<string>();
  for (const { proposal, sender } of proposals) {
    validateProposal(context, tree, proposal, sender);
    switch (proposal.proposalType) {
      case ProposalType.update: {
        const leaf = sender.senderType === SenderType.member ? sender.leafIndex : -1;
        if (sameLeaf(committer, leaf)) invalid('the committer cannot commit its own Update');
        if (touched.has(leaf)) invalid(`leaf ${leaf}: updated or removed twice`);
        touched.add(leaf);
        break;
      }
      case ProposalType.remove: {
        const target = proposal.removed;
        if (sameLeaf(committer, target)) invalid('the committer cannot remove itself');
        if (touched.has(target)) invalid(`leaf ${target}: updated or removed twice`);
        touched.add(target);
        const removedLeaf = tree.leaf(leafIndex(target));
        if (removedLeaf !== undefined) removedKeys.add(toHex(removedLeaf.signatureKey));
        break;
      }
      case ProposalType.add: {
        const key = toHex(proposal.keyPackage.leafNode.signatureKey);
        if (addedKeys.has(key)) invalid('two Adds of the same client');
        addedKeys.add(key);
        break;
      }
      case ProposalType.psk: {
        const id = proposal.psk;
        const key =
          id.pskType === 1
            ? `e:${toHex(id.pskId)}:${toHex(id.pskNonce)}`
            : `r:${id.usage}:${toHex(id.pskGroupId)}:${id.pskEpoch}:${toHex(id.pskNonce)}`;
        if (pskIds.has(key)) invalid('the same PSK twice');
        pskIds.add(key);
        break;
      }
      default:
        break;
    }
  }
  if (addedKeys.size === 0) return;
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(leafIndex(i));
    if (leaf === undefined) continue;
    const key = toHex(leaf.signatureKey);
    if (addedKeys.has(key) && !removedKeys.has(key))
      invalid('Add of a client already in the group');
  }
}

/** Proposal types an external sender may send (RFC 9420 §12.1.8). */
const EXTERNAL_SENDER_PROPOSALS: readonly number[] = [
  ProposalType.add,
  ProposalType.remove,
  ProposalType.psk,
  ProposalType.reinit,
  ProposalType.groupContextExtensions,
];

/**
 * Validates one proposal's content against the current tree, as when it is received (RFC 9420
 * §12.1): who may send it, an Update's new leaf (a different encryption key), a Remove's target,
 * an Add's KeyPackage and leaf, a ReInit's version. The list-level rules are
 * {@link validateProposalList}'s.
 */
export function validateProposal(
  context: LeafContext,
  tree: RatchetTree,
  proposal: Proposal,
  sender: Sender,
): void {
  if (
    sender.senderType === SenderType.external &&
    !EXTERNAL_SENDER_PROPOSALS.includes(proposal.proposalType)
  ) {
    invalid('an external sender may not send this proposal');
  }
  if (
    sender.senderType === SenderType.newMemberProposal &&
    proposal.proposalType !== ProposalType.add
  ) {
    invalid('a new member may only propose adding itself');
  }
  switch (proposal.proposalType) {
    case ProposalType.update: {
      if (sender.senderType !== SenderType.member) invalid('Update from a non-member');
      if (sender.leafIndex >= tree.leafCount) invalid('Update from outside the tree');
      const index = leafIndex(sender.leafIndex);
      const current = tree.leaf(index);
      if (current === undefined) invalid(`leaf ${index}: Update of a blank leaf`);
      validateLeafNode(context, proposal.leafNode, LeafNodeSource.update, index);
      if (constantTimeEqual(current.encryptionKey, proposal.leafNode.encryptionKey)) {
        invalid(`leaf ${index}: Update keeps the encryption key`);
      }
      return;
    }
    case ProposalType.remove: {
      const target = proposal.removed;
      if (target >= tree.leafCount || tree.leaf(leafIndex(target)) === undefined) {
        invalid(`leaf ${target}: Remove of a blank or absent leaf`);
      }
      return;
    }
    case ProposalType.add: {
      const kp = proposal.keyPackage;
      if (!verifyKeyPackageSignature(context.crypto, kp)) invalid('Add with an invalid KeyPackage');
      validateLeafNode(context, kp.leafNode, LeafNodeSource.keyPackage, leafIndex(0));
      return;
    }
    case ProposalType.reinit:
      if (proposal.version !== PROTOCOL_VERSION_MLS10) invalid('ReInit to an unknown version');
      return;
    default:
      return;
  }
}

/**
 * Checks new GroupContext extensions against every leaf of the tree they will apply to (RFC
 * 9420 §12.1.7): each non-default extension type is in every leaf's capabilities, and every
 * leaf supports the `required_capabilities`, if present.
 */
export function validateGroupExtensions(tree: RatchetTree, extensions: readonly Extension[]): void {
  const required = requiredCapabilities(extensions);
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(leafIndex(i));
    if (leaf === undefined) continue;
    const caps = leaf.capabilities;
    for (const e of extensions) {
      if (
        !DEFAULT_EXTENSION_TYPES.includes(e.extensionType) &&
        !caps.extensions.includes(e.extensionType)
      ) {
        invalid(`leaf ${i}: does not support group extension ${e.extensionType}`);
      }
    }
    if (
      required !== undefined &&
      (required.extensions.some(
        (t) => !DEFAULT_EXTENSION_TYPES.includes(t) && !caps.extensions.includes(t),
      ) ||
        required.proposals.some(
          (t) => !DEFAULT_PROPOSAL_TYPES.includes(t) && !caps.proposals.includes(t),
        ) ||
        required.credentials.some((t) => !caps.credentials.includes(t)))
    ) {
      invalid(`leaf ${i}: lacks a required capability`);
    }
  }
}
