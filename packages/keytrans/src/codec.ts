import type { TlsReader, TlsWriter } from '@parley/bytes';
import {
  readHash,
  readLabel,
  readList,
  readOptional,
  readPosition,
  readTimestamp,
  readU64,
  readValue,
  readVersion,
  writeHash,
  writeLabel,
  writeList,
  writeOptional,
  writeU64,
  writeValue,
} from './codec-primitives.js';
import { KeyTransError } from './errors.js';
import { MAX_PREFIX_DEPTH, MAX_TIMESTAMP } from './limits.js';
import type {
  AuditorTreeHead,
  AuditorUpdate,
  BinaryLadderStep,
  CombinedTreeProof,
  Configuration,
  DeploymentMode,
  FullTreeHead,
  MonitorMapEntry,
  PrefixLeaf,
  PrefixProof,
  PrefixSearchResult,
  TreeHead,
  UpdateInfo,
  UpdateValue,
} from './structures.js';
import {
  HASH_LENGTH,
  KT_128_SHA256_ED25519,
  OPENING_LENGTH,
  VRF_OUTPUT_LENGTH,
  VRF_PROOF_BYTES,
} from './suite.js';

/** Codecs of the structures that appear inside others (-05 §§ 9–11). */

const MODES: readonly number[] = [1, 2, 3];

export function writeConfiguration(w: TlsWriter, c: Configuration): void {
  w.uint16(c.ciphersuite);
  w.uint8(c.mode);
  w.opaque('u16', c.signaturePublicKey);
  w.opaque('u16', c.vrfPublicKey);
  if (c.mode === 3) {
    writeU64(w, c.maxAuditorLag ?? 0);
    writeU64(w, c.auditorStartPos ?? 0);
    w.opaque('u16', c.auditorPublicKey ?? new Uint8Array());
  } else {
    w.opaque('u16', c.leafPublicKey ?? new Uint8Array());
  }
  writeU64(w, c.maxAhead);
  writeU64(w, c.maxBehind);
  writeU64(w, c.reasonableMonitoringWindow);
  writeOptional(w, c.maximumLifetime, writeU64);
}

export function readConfiguration(r: TlsReader): Configuration {
  const ciphersuite = r.uint16();
  if (ciphersuite !== KT_128_SHA256_ED25519)
    throw new KeyTransError('MALFORMED', 'unsupported cipher suite');
  const mode = r.uint8();
  if (!MODES.includes(mode)) throw new KeyTransError('MALFORMED', 'unknown deployment mode');
  const signaturePublicKey = r.opaque('u16');
  const vrfPublicKey = r.opaque('u16');
  let modeFields: Partial<Configuration>;
  if (mode === 3) {
    modeFields = {
      maxAuditorLag: readU64(r, MAX_TIMESTAMP, 'max_auditor_lag'),
      auditorStartPos: readPosition(r),
      auditorPublicKey: r.opaque('u16'),
    };
  } else {
    modeFields = { leafPublicKey: r.opaque('u16') };
  }
  const maxAhead = readU64(r, MAX_TIMESTAMP, 'max_ahead');
  const maxBehind = readU64(r, MAX_TIMESTAMP, 'max_behind');
  const reasonableMonitoringWindow = readU64(r, MAX_TIMESTAMP, 'reasonable_monitoring_window');
  const maximumLifetime = readOptional(r, (x) => readU64(x, MAX_TIMESTAMP, 'maximum_lifetime'));
  return {
    ciphersuite,
    mode: mode as DeploymentMode,
    signaturePublicKey,
    vrfPublicKey,
    ...modeFields,
    maxAhead,
    maxBehind,
    reasonableMonitoringWindow,
    ...(maximumLifetime === undefined ? {} : { maximumLifetime }),
  };
}

export function writeTreeHead(w: TlsWriter, h: TreeHead): void {
  writeU64(w, h.treeSize);
  w.opaque('u16', h.signature);
}

export function readTreeHead(r: TlsReader): TreeHead {
  return { treeSize: readPosition(r), signature: r.opaque('u16') };
}

export function writeAuditorTreeHead(w: TlsWriter, h: AuditorTreeHead): void {
  writeU64(w, h.timestamp);
  writeU64(w, h.treeSize);
  w.opaque('u16', h.signature);
}

export function readAuditorTreeHead(r: TlsReader): AuditorTreeHead {
  return { timestamp: readTimestamp(r), treeSize: readPosition(r), signature: r.opaque('u16') };
}

export function writeFullTreeHead(w: TlsWriter, mode: DeploymentMode, h: FullTreeHead): void {
  if (h.type === 'same') {
    w.uint8(1);
    return;
  }
  w.uint8(2);
  writeTreeHead(w, h.treeHead);
  if (mode === 3) {
    if (h.auditorTreeHead === undefined)
      throw new KeyTransError('MISUSE', 'mode 3 needs an auditor tree head');
    writeAuditorTreeHead(w, h.auditorTreeHead);
  }
}

export function readFullTreeHead(r: TlsReader, mode: DeploymentMode): FullTreeHead {
  const type = r.uint8();
  if (type === 1) return { type: 'same' };
  if (type !== 2) throw new KeyTransError('MALFORMED', 'unknown FullTreeHeadType');
  const treeHead = readTreeHead(r);
  if (mode !== 3) return { type: 'updated', treeHead };
  return { type: 'updated', treeHead, auditorTreeHead: readAuditorTreeHead(r) };
}

export function writeUpdateValue(w: TlsWriter, mode: DeploymentMode, v: UpdateValue): void {
  writeValue(w, v.value);
  if (mode === 2) w.opaque('u16', v.signature ?? new Uint8Array());
}

export function readUpdateValue(r: TlsReader, mode: DeploymentMode): UpdateValue {
  const value = readValue(r);
  if (mode !== 2) return { value };
  return { value, signature: r.opaque('u16') };
}

export function writePrefixLeaf(w: TlsWriter, leaf: PrefixLeaf): void {
  writeHash(w, leaf.vrfOutput);
  writeHash(w, leaf.commitment);
}

export function readPrefixLeaf(r: TlsReader): PrefixLeaf {
  return { vrfOutput: r.bytes(VRF_OUTPUT_LENGTH), commitment: readHash(r) };
}

function writeSearchResult(w: TlsWriter, result: PrefixSearchResult): void {
  if (result.type === 'inclusion') w.uint8(1);
  else if (result.type === 'nonInclusionLeaf') {
    w.uint8(2);
    writePrefixLeaf(w, result.leaf);
  } else w.uint8(3);
  w.uint8(result.depth);
}

function readSearchResult(r: TlsReader): PrefixSearchResult {
  const type = r.uint8();
  if (type === 1) return { type: 'inclusion', depth: readDepth(r) };
  if (type === 2) {
    const leaf = readPrefixLeaf(r);
    return { type: 'nonInclusionLeaf', leaf, depth: readDepth(r) };
  }
  if (type === 3) return { type: 'nonInclusionParent', depth: readDepth(r) };
  throw new KeyTransError('MALFORMED', 'unknown PrefixSearchResultType');
}

function readDepth(r: TlsReader): number {
  const depth = r.uint8();
  if (depth > MAX_PREFIX_DEPTH) throw new KeyTransError('MALFORMED', 'prefix depth out of range');
  return depth;
}

export function writePrefixProof(w: TlsWriter, p: PrefixProof): void {
  writeList(w, 'u8', p.results, writeSearchResult);
  writeList(w, 'u16', p.elements, writeHash);
}

export function readPrefixProof(r: TlsReader): PrefixProof {
  return { results: readList(r, 'u8', readSearchResult), elements: readList(r, 'u16', readHash) };
}

export function writeCombinedTreeProof(w: TlsWriter, p: CombinedTreeProof): void {
  writeList(w, 'u8', p.timestamps, writeU64);
  writeList(w, 'u8', p.prefixProofs, writePrefixProof);
  writeList(w, 'u8', p.prefixRoots, writeHash);
  writeList(w, 'u16', p.inclusion, writeHash);
}

export function readCombinedTreeProof(r: TlsReader): CombinedTreeProof {
  return {
    timestamps: readList(r, 'u8', readTimestamp),
    prefixProofs: readList(r, 'u8', readPrefixProof),
    prefixRoots: readList(r, 'u8', readHash),
    inclusion: readList(r, 'u16', readHash),
  };
}

export function writeLadderStep(w: TlsWriter, s: BinaryLadderStep): void {
  if (s.proof.length !== VRF_PROOF_BYTES)
    throw new KeyTransError('MISUSE', 'VRF proof must be 80 bytes');
  w.bytes(s.proof);
  writeOptional(w, s.commitment, writeHash);
}

export function readLadderStep(r: TlsReader): BinaryLadderStep {
  const proof = r.bytes(VRF_PROOF_BYTES);
  const commitment = readOptional(r, readHash);
  return commitment === undefined ? { proof } : { proof, commitment };
}

export function writeMonitorEntry(w: TlsWriter, e: MonitorMapEntry): void {
  writeU64(w, e.position);
  w.uint32(e.version);
}

export function readMonitorEntry(r: TlsReader): MonitorMapEntry {
  return { position: readPosition(r), version: readVersion(r) };
}

export function writeUpdateInfo(w: TlsWriter, mode: DeploymentMode, i: UpdateInfo): void {
  if (i.opening.length !== OPENING_LENGTH)
    throw new KeyTransError('MISUSE', 'opening must be 16 bytes');
  w.bytes(i.opening);
  if (mode === 2) w.opaque('u16', i.signature ?? new Uint8Array());
}

export function readUpdateInfo(r: TlsReader, mode: DeploymentMode): UpdateInfo {
  const opening = r.bytes(OPENING_LENGTH);
  return mode === 2 ? { opening, signature: r.opaque('u16') } : { opening };
}

export function writeAuditorUpdate(w: TlsWriter, u: AuditorUpdate): void {
  writeU64(w, u.timestamp);
  writeList(w, 'u16', u.added, writePrefixLeaf);
  writeList(w, 'u16', u.removed, writePrefixLeaf);
  writePrefixProof(w, u.proof);
}

export function readAuditorUpdate(r: TlsReader): AuditorUpdate {
  return {
    timestamp: readTimestamp(r),
    added: readList(r, 'u16', readPrefixLeaf),
    removed: readList(r, 'u16', readPrefixLeaf),
    proof: readPrefixProof(r),
  };
}

export { readLabel, readVersion, writeLabel, HASH_LENGTH };
