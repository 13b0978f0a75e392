/**
 * The -05 structures as TypeScript values. uint64 fields are numbers (bounded by `limits.ts`),
 * byte strings are Uint8Array, `optional<T>` is `T | undefined`.
 */

/** DeploymentMode (-05 §"Tree Head Signature"). */
export const DeploymentMode = {
  contactMonitoring: 1,
  thirdPartyManagement: 2,
  thirdPartyAuditing: 3,
} as const;
export type DeploymentMode = (typeof DeploymentMode)[keyof typeof DeploymentMode];

/** The log's long-term configuration, signed into every tree head. */
export interface Configuration {
  readonly ciphersuite: number;
  readonly mode: DeploymentMode;
  readonly signaturePublicKey: Uint8Array;
  readonly vrfPublicKey: Uint8Array;
  /** Present in modes 1 and 2 (-05's select falls through from contactMonitoring). */
  readonly leafPublicKey?: Uint8Array;
  /** Mode 3 only. */
  readonly maxAuditorLag?: number;
  readonly auditorStartPos?: number;
  readonly auditorPublicKey?: Uint8Array;
  readonly maxAhead: number;
  readonly maxBehind: number;
  readonly reasonableMonitoringWindow: number;
  readonly maximumLifetime?: number;
}

export interface TreeHead {
  readonly treeSize: number;
  readonly signature: Uint8Array;
}

export interface AuditorTreeHead {
  readonly timestamp: number;
  readonly treeSize: number;
  readonly signature: Uint8Array;
}

export type FullTreeHead =
  | { readonly type: 'same' }
  | {
      readonly type: 'updated';
      readonly treeHead: TreeHead;
      /** Present exactly in third-party-auditing mode. */
      readonly auditorTreeHead?: AuditorTreeHead;
    };

export interface UpdateValue {
  readonly value: Uint8Array;
  /** The Service Operator's signature; present exactly in third-party-management mode. */
  readonly signature?: Uint8Array;
}

export interface PrefixLeaf {
  readonly vrfOutput: Uint8Array;
  readonly commitment: Uint8Array;
}

/** PrefixSearchResultType: 1 inclusion, 2 nonInclusionLeaf, 3 nonInclusionParent. */
export type PrefixSearchResult =
  | { readonly type: 'inclusion'; readonly depth: number }
  | { readonly type: 'nonInclusionLeaf'; readonly leaf: PrefixLeaf; readonly depth: number }
  | { readonly type: 'nonInclusionParent'; readonly depth: number };

export interface PrefixProof {
  readonly results: readonly PrefixSearchResult[];
  readonly elements: readonly Uint8Array[];
}

export interface CombinedTreeProof {
  readonly timestamps: readonly number[];
  readonly prefixProofs: readonly PrefixProof[];
  readonly prefixRoots: readonly Uint8Array[];
  readonly inclusion: readonly Uint8Array[];
}

export interface BinaryLadderStep {
  readonly proof: Uint8Array;
  readonly commitment?: Uint8Array;
}

export interface SearchRequest {
  readonly last?: number;
  readonly label: Uint8Array;
  readonly version?: number;
}

export interface SearchResponse {
  readonly fullTreeHead: FullTreeHead;
  /** Present exactly when the request had no version. */
  readonly version?: number;
  readonly opening: Uint8Array;
  readonly value: UpdateValue;
  readonly binaryLadder: readonly BinaryLadderStep[];
  readonly search: CombinedTreeProof;
}

export interface MonitorMapEntry {
  readonly position: number;
  readonly version: number;
}

export interface ContactMonitorRequest {
  readonly last?: number;
  readonly label: Uint8Array;
  readonly entries: readonly MonitorMapEntry[];
}

export interface MonitorResponse {
  readonly fullTreeHead: FullTreeHead;
  readonly monitor: CombinedTreeProof;
}

export interface OwnerInitRequest {
  readonly last?: number;
  readonly label: Uint8Array;
  readonly start: number;
}

export interface OwnerInitResponse {
  readonly fullTreeHead: FullTreeHead;
  readonly greatestVersions: readonly number[];
  readonly binaryLadder: readonly BinaryLadderStep[];
  readonly init: CombinedTreeProof;
}

export interface OwnerMonitorRequest {
  readonly last?: number;
  readonly label: Uint8Array;
  readonly entries: readonly MonitorMapEntry[];
  readonly start: number;
  readonly greatestVersion?: number;
}

export interface UpdateRequest {
  readonly last?: number;
  readonly label: Uint8Array;
  readonly greatestVersion?: number;
  readonly values: readonly Uint8Array[];
}

export interface UpdateInfo {
  readonly opening: Uint8Array;
  /** The Service Operator's signature; present exactly in third-party-management mode. */
  readonly signature?: Uint8Array;
}

export interface UpdateResponse {
  readonly fullTreeHead: FullTreeHead;
  readonly position: number;
  readonly values: readonly Uint8Array[];
  readonly info: readonly UpdateInfo[];
  readonly binaryLadder: readonly BinaryLadderStep[];
  readonly update: CombinedTreeProof;
}

export interface DistinguishedRequest {
  readonly last?: number;
  readonly stop?: number;
}

export interface DistinguishedResponse {
  readonly fullTreeHead: FullTreeHead;
  readonly distinguished: CombinedTreeProof;
}

export interface AuditorUpdate {
  readonly timestamp: number;
  readonly added: readonly PrefixLeaf[];
  readonly removed: readonly PrefixLeaf[];
  readonly proof: PrefixProof;
}

export type Credential = {
  readonly label: Uint8Array;
  readonly version: number;
  readonly opening: Uint8Array;
  readonly value: UpdateValue;
  readonly binaryLadder: readonly BinaryLadderStep[];
  readonly position: number;
} & (
  | { readonly type: 'standard'; readonly distinguished: PrefixProof }
  | {
      readonly type: 'provisional';
      readonly treeHead: TreeHead;
      readonly search: CombinedTreeProof;
    }
);

export interface CredentialUpdate {
  readonly position: number;
  readonly monitor: CombinedTreeProof;
}
