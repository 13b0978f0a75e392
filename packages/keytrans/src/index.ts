export { KeyTransError, type KeyTransErrorCode } from './errors.js';
export * as limits from './limits.js';
export {
  COMMITMENT_KEY,
  HASH_LENGTH,
  KT_128_SHA256_ED25519,
  OPENING_LENGTH,
  VRF_OUTPUT_LENGTH,
  VRF_PROOF_BYTES,
  createSuite,
  type Suite,
} from './suite.js';
export {
  vrfProofToHash,
  vrfProve,
  vrfPublicKey,
  vrfVerify,
  VRF_KEY_LENGTH,
  VRF_PROOF_LENGTH,
  type Sha512,
} from './ecvrf.js';
export type * from './structures.js';
export { DeploymentMode } from './structures.js';
export * from './messages.js';
export {
  readConfiguration,
  writeConfiguration,
  readAuditorUpdate,
  writeAuditorUpdate,
} from './codec.js';
export { encode, decode } from './codec-primitives.js';
export {
  auditorTreeHeadTbs,
  commit,
  logEntryHash,
  prefixLeafHash,
  treeHeadTbs,
  vrfInput,
} from './tbs.js';
export {
  frontier,
  directPath,
  root as searchRoot,
  left as searchLeft,
  right as searchRight,
  level as searchLevel,
} from './implicit-tree.js';
export { baseLadder, monitoringLadder, searchLadderVersions } from './ladder.js';
export { fullSubtrees, parentHash, rootFromFullSubtrees, walkLogTree } from './log-tree.js';
export { LogTreeStore } from './log-tree-store.js';
export { EMPTY, PrefixNodes, evaluatePrefixProof, type SearchedKey } from './prefix-tree.js';
export type { RetainedEntry } from './combined-proof.js';
export {
  MemoryKeyTransStore,
  type ContactState,
  type ContactStore,
  type HeadState,
  type HeadStore,
  type KeyTransChanges,
  type KeyTransStore,
  type KnownVersion,
  type OwnerState,
  type OwnerStore,
} from './state.js';
export { checkConfiguration, type ClientContext } from './verify-head.js';
export {
  MAX_GOSSIP_SIGNATURE_BYTES,
  compareRoots,
  decodeDistinguishedHead,
  distinguishedHeadOf,
  encodeDistinguishedHead,
  verifyDistinguishedHead,
  type DistinguishedHead,
} from './gossip.js';
export {
  compareHeadsWithProof,
  decodeHeadConsistencyProof,
  decodeHeadConsistencyRequest,
  encodeHeadConsistencyProof,
  encodeHeadConsistencyRequest,
  headConsistencyProof,
  type HeadConsistencyRequest,
} from './head-consistency.js';
export {
  contactMonitorRequest,
  overdueMonitoring,
  ownerMonitorRequest,
  verifyContactMonitor,
  verifyDistinguished,
  verifyOwnerInit,
  verifyOwnerMonitor,
  verifySearch,
  verifyUpdate,
  type SearchOutput,
  type UpdateOutput,
  type Verified,
} from './client.js';
export { TransparencyLog, type LabelVersion, type LogKeys, type LogOptions } from './log.js';
export {
  appendFullSubtrees,
  applyAuditorUpdate,
  initialAuditorState,
  type AuditorState,
} from './auditor.js';
export {
  LabelKind,
  accountKeyLabel,
  decodeAccountKeyValue,
  decodeDeviceListValue,
  decodeUsernameValue,
  deviceListLabel,
  encodeAccountKeyValue,
  encodeDeviceListValue,
  encodeUsernameValue,
  parseLabel,
  usernameLabel,
  type AccountKeyValue,
  type DeviceListValue,
} from './parley-labels.js';
