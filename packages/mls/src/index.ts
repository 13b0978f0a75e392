/**
 * Messaging Layer Security (RFC 9420) over Parley's synchronous `Primitives`. This is the
 * foundation: cipher suites, HPKE, the labeled operations, tree math, the codecs, the key
 * schedule, the secret tree, PSKs, transcript hashes, message framing, the ratchet tree with
 * cached tree hashes, TreeKEM update paths, joining from a Welcome and processing other members'
 * proposals and commits. Creating commits is not built yet; README.md says what is and is not.
 */
export { MlsError, type MlsErrorCode } from './errors.js';
export {
  MAX_EXPAND_LENGTH,
  MAX_FORWARD_RATCHET_STEPS,
  MAX_LEAVES,
  MAX_PADDING_BYTES,
  MAX_PENDING_PROPOSALS,
  MAX_PSKS,
  MAX_RETAINED_RATCHET_KEYS,
  MAX_RETAINED_RESUMPTION_PSKS,
  RETAINED_PAST_EPOCHS,
} from './limits.js';
export {
  cipherSuite,
  isSupportedCipherSuite,
  SUPPORTED_CIPHER_SUITES,
  type CipherSuite,
  type HpkeAlgorithms,
  type Kem,
  type KemGroup,
  type SignatureAlgorithm,
} from './cipher-suite.js';
export { Hpke, type HpkeInfo, type HpkeSealed, type KemDh } from './hpke.js';
export { MlsCrypto, type HpkeCiphertext, type Label } from './mls-crypto.js';
export {
  copath,
  directPath,
  inSubtree,
  isLeaf,
  leafIndex,
  leafToNode,
  left,
  level,
  nodeIndex,
  nodeToLeaf,
  nodeWidth,
  parent,
  right,
  root,
  sibling,
  type LeafIndex,
  type NodeIndex,
} from './tree-math.js';
export {
  externalSenders,
  ExtensionType,
  type Extension,
  type ExternalSender,
} from './extension.js';
export {
  decodeGroupContext,
  encodeGroupContext,
  PROTOCOL_VERSION_MLS10,
  type GroupContext,
} from './group-context.js';
export { CredentialType, type Credential } from './credential.js';
export {
  decodeLeafNode,
  encodeLeafNode,
  LeafNodeSource,
  type Capabilities,
  type LeafNode,
  type LeafNodeOrigin,
  type Lifetime,
} from './leaf-node.js';
export { decodeKeyPackage, encodeKeyPackage, type KeyPackage } from './key-package.js';
export {
  computePskSecret,
  PskType,
  ResumptionPskUsage,
  type PreSharedKeyId,
  type PskInput,
} from './psk.js';
export { decodeProposal, encodeProposal, ProposalType, type Proposal } from './proposal.js';
export {
  computeParentHash,
  decodeRatchetTreeNodes,
  encodeLeafNodeTbs,
  encodeRatchetTreeNodes,
  NodeType,
  RatchetTree,
  verifyLeafNodeSignature,
  type ParentNode,
  type TreeNode,
} from './ratchet-tree.js';
export {
  createUpdatePath,
  decryptUpdatePath,
  mergeUpdatePath,
  nextPathSecret,
  nodeKeyPair,
  type CreatedPath,
  type CreateUpdatePathOptions,
  type DecryptedPath,
  type NodePrivateKeys,
} from './treekem.js';
export { joinFromWelcome, type JoinedGroup, type JoinOptions, type PskLookup } from './join.js';
export {
  createKeyPackage,
  defaultCapabilities,
  verifyKeyPackage,
  verifyKeyPackageSignature,
  type CreatedKeyPackage,
  type KeyPackageOptions,
} from './key-package-create.js';
export {
  createCommit,
  createGroup,
  type CommitOptions,
  type CreatedCommit,
  type CreateGroupOptions,
} from './group-create.js';
export {
  createProposal,
  createUpdateProposal,
  decryptApplicationMessage,
  type DecryptedApplication,
  encryptApplicationMessage,
} from './application.js';
export {
  requiredCapabilities,
  validateChangedLeaves,
  validateGroupExtensions,
  validateJoinedTree,
  validateLeafNode,
  validateProposal,
  validateProposalList,
  validateTreeLeaves,
  type AuthenticateCredential,
  type LeafContext,
  type ResolvedProposal,
  type ValidationPolicy,
} from './validation.js';
export { decodeGroupState, encodeGroupState } from './group-state-codec.js';
export {
  createGroupInfo,
  joinByExternalCommit,
  type ExternalJoinOptions,
} from './external-join.js';
export {
  dropPreviousEpoch,
  GROUP_STATE_VERSION,
  groupStateFromJoin,
  processCommit,
  processProposal,
  type CommitProcessingOptions,
  type GroupState,
  type NodeKey,
  type PendingProposal,
  type PastMember,
  type PreviousEpoch,
  type ReInitProposal,
} from './group.js';
export {
  decodeGroupInfo,
  decodeGroupSecrets,
  decryptGroupInfo,
  decryptGroupSecrets,
  encodeGroupInfo,
  encodeGroupInfoTbs,
  encodeGroupSecrets,
  verifyGroupInfoSignature,
  welcomeKeyNonce,
  type EncryptedGroupSecrets,
  type GroupInfo,
  type GroupSecrets,
  type Welcome,
} from './welcome.js';
export {
  decodeCommit,
  decodeUpdatePath,
  encodeCommit,
  encodeUpdatePath,
  type Commit,
  type ProposalOrRef,
  type UpdatePath,
  type UpdatePathNode,
} from './commit.js';
export {
  ContentType,
  decodeAuthenticatedContent,
  decodeMlsMessage,
  encodeAuthenticatedContent,
  encodeFramedContentTbs,
  encodeMlsMessage,
  SenderType,
  WireFormat,
  type AuthenticatedContent,
  type FramedBody,
  type FramedContent,
  type FramedContentAuthData,
  type MlsMessage,
  type PrivateMessage,
  type PublicMessage,
  type Sender,
} from './framing.js';
export {
  confirmationTag,
  confirmedTranscriptHash,
  encodeConfirmedTranscriptHashInput,
  interimTranscriptHash,
  updateTranscriptHashes,
  verifyConfirmationTag,
  type TranscriptHashes,
} from './transcript-hash.js';
export {
  epochSecrets,
  epochSecretsFromJoiner,
  externalKeyPair,
  joinerSecret,
  mlsExporter,
  welcomeSecret,
  type EpochSecrets,
} from './key-schedule.js';
export {
  SecretTree,
  senderDataKeyNonce,
  type RatchetKey,
  type RatchetType,
} from './secret-tree.js';
export {
  protectPrivate,
  protectPublic,
  unprotectPrivate,
  unprotectPublic,
  type ProtectOptions,
  type ProtectPrivateOptions,
  type SignatureKeyLookup,
  type UnprotectPrivateOptions,
  type UnprotectPublicOptions,
} from './message-protection.js';
