import type { TlsReader, TlsWriter } from '@parley/bytes';
import {
  readAuditorTreeHead,
  readAuditorUpdate,
  readConfiguration,
  writeAuditorTreeHead,
  writeAuditorUpdate,
  writeConfiguration,
  readCombinedTreeProof,
  readFullTreeHead,
  readLadderStep,
  readMonitorEntry,
  readPrefixProof,
  readTreeHead,
  readUpdateInfo,
  readUpdateValue,
  writeCombinedTreeProof,
  writeFullTreeHead,
  writeLadderStep,
  writeMonitorEntry,
  writePrefixProof,
  writeTreeHead,
  writeUpdateInfo,
  writeUpdateValue,
} from './codec.js';
import {
  decode,
  encode,
  readLabel,
  readList,
  readOptional,
  readPosition,
  readValue,
  readVersion,
  writeLabel,
  writeList,
  writeOptional,
  writeU64,
  writeValue,
} from './codec-primitives.js';
import { KeyTransError } from './errors.js';
import type {
  AuditorTreeHead,
  AuditorUpdate,
  Configuration,
  ContactMonitorRequest,
  Credential,
  CredentialUpdate,
  DeploymentMode,
  DistinguishedRequest,
  DistinguishedResponse,
  MonitorResponse,
  OwnerInitRequest,
  OwnerInitResponse,
  OwnerMonitorRequest,
  SearchRequest,
  SearchResponse,
  UpdateRequest,
  UpdateResponse,
} from './structures.js';
import { OPENING_LENGTH } from './suite.js';

/**
 * Encoders and decoders of the -05 request and response messages (§§ 12–14). Responses depend
 * on the deployment mode, and a SearchResponse on whether the request named a version.
 */

const writeVersion = (w: TlsWriter, v: number): void => void w.uint32(v);

export function encodeSearchRequest(m: SearchRequest): Uint8Array {
  return encode((w) => {
    writeOptional(w, m.last, writeU64);
    writeLabel(w, m.label);
    writeOptional(w, m.version, writeVersion);
  });
}

export function decodeSearchRequest(bytes: Uint8Array): SearchRequest {
  return decode(bytes, (r) => {
    const last = readOptional(r, readPosition);
    const label = readLabel(r);
    const version = readOptional(r, readVersion);
    return { ...opt('last', last), label, ...opt('version', version) };
  });
}

export function encodeSearchResponse(mode: DeploymentMode, m: SearchResponse): Uint8Array {
  return encode((w) => {
    writeFullTreeHead(w, mode, m.fullTreeHead);
    if (m.version !== undefined) w.uint32(m.version);
    if (m.opening.length !== OPENING_LENGTH)
      throw new KeyTransError('MISUSE', 'opening must be 16 bytes');
    w.bytes(m.opening);
    writeUpdateValue(w, mode, m.value);
    writeList(w, 'u8', m.binaryLadder, writeLadderStep);
    writeCombinedTreeProof(w, m.search);
  });
}

/** `versionRequested`: whether the SearchRequest named a version (then none is sent back). */
export function decodeSearchResponse(
  mode: DeploymentMode,
  versionRequested: boolean,
  bytes: Uint8Array,
): SearchResponse {
  return decode(bytes, (r) => {
    const fullTreeHead = readFullTreeHead(r, mode);
    const version = versionRequested ? undefined : readVersion(r);
    return {
      fullTreeHead,
      ...opt('version', version),
      opening: r.bytes(OPENING_LENGTH),
      value: readUpdateValue(r, mode),
      binaryLadder: readList(r, 'u8', readLadderStep),
      search: readCombinedTreeProof(r),
    };
  });
}

export function encodeContactMonitorRequest(m: ContactMonitorRequest): Uint8Array {
  return encode((w) => {
    writeOptional(w, m.last, writeU64);
    writeLabel(w, m.label);
    writeList(w, 'u8', m.entries, writeMonitorEntry);
  });
}

export function decodeContactMonitorRequest(bytes: Uint8Array): ContactMonitorRequest {
  return decode(bytes, (r) => {
    const last = readOptional(r, readPosition);
    return {
      ...opt('last', last),
      label: readLabel(r),
      entries: readList(r, 'u8', readMonitorEntry),
    };
  });
}

/** ContactMonitorResponse and OwnerMonitorResponse share this shape. */
export function encodeMonitorResponse(mode: DeploymentMode, m: MonitorResponse): Uint8Array {
  return encode((w) => {
    writeFullTreeHead(w, mode, m.fullTreeHead);
    writeCombinedTreeProof(w, m.monitor);
  });
}

export function decodeMonitorResponse(mode: DeploymentMode, bytes: Uint8Array): MonitorResponse {
  return decode(bytes, (r) => ({
    fullTreeHead: readFullTreeHead(r, mode),
    monitor: readCombinedTreeProof(r),
  }));
}

export function encodeOwnerInitRequest(m: OwnerInitRequest): Uint8Array {
  return encode((w) => {
    writeOptional(w, m.last, writeU64);
    writeLabel(w, m.label);
    writeU64(w, m.start);
  });
}

export function decodeOwnerInitRequest(bytes: Uint8Array): OwnerInitRequest {
  return decode(bytes, (r) => {
    const last = readOptional(r, readPosition);
    return { ...opt('last', last), label: readLabel(r), start: readPosition(r) };
  });
}

export function encodeOwnerInitResponse(mode: DeploymentMode, m: OwnerInitResponse): Uint8Array {
  return encode((w) => {
    writeFullTreeHead(w, mode, m.fullTreeHead);
    writeList(w, 'u8', m.greatestVersions, writeVersion);
    writeList(w, 'u16', m.binaryLadder, writeLadderStep);
    writeCombinedTreeProof(w, m.init);
  });
}

export function decodeOwnerInitResponse(
  mode: DeploymentMode,
  bytes: Uint8Array,
): OwnerInitResponse {
  return decode(bytes, (r) => ({
    fullTreeHead: readFullTreeHead(r, mode),
    greatestVersions: readList(r, 'u8', readVersion),
    binaryLadder: readList(r, 'u16', readLadderStep),
    init: readCombinedTreeProof(r),
  }));
}

export function encodeOwnerMonitorRequest(m: OwnerMonitorRequest): Uint8Array {
  return encode((w) => {
    writeOptional(w, m.last, writeU64);
    writeLabel(w, m.label);
    writeList(w, 'u8', m.entries, writeMonitorEntry);
    writeU64(w, m.start);
    writeOptional(w, m.greatestVersion, writeVersion);
  });
}

export function decodeOwnerMonitorRequest(bytes: Uint8Array): OwnerMonitorRequest {
  return decode(bytes, (r) => {
    const last = readOptional(r, readPosition);
    const label = readLabel(r);
    const entries = readList(r, 'u8', readMonitorEntry);
    const start = readPosition(r);
    const greatestVersion = readOptional(r, readVersion);
    return {
      ...opt('last', last),
      label,
      entries,
      start,
      ...opt('greatestVersion', greatestVersion),
    };
  });
}

export function encodeUpdateRequest(m: UpdateRequest): Uint8Array {
  return encode((w) => {
    writeOptional(w, m.last, writeU64);
    writeLabel(w, m.label);
    writeOptional(w, m.greatestVersion, writeVersion);
    writeList(w, 'u8', m.values, writeValue);
  });
}

export function decodeUpdateRequest(bytes: Uint8Array): UpdateRequest {
  return decode(bytes, (r) => {
    const last = readOptional(r, readPosition);
    const label = readLabel(r);
    const greatestVersion = readOptional(r, readVersion);
    const values = readList(r, 'u8', readValue);
    return { ...opt('last', last), label, ...opt('greatestVersion', greatestVersion), values };
  });
}

export function encodeUpdateResponse(mode: DeploymentMode, m: UpdateResponse): Uint8Array {
  return encode((w) => {
    writeFullTreeHead(w, mode, m.fullTreeHead);
    writeU64(w, m.position);
    writeList(w, 'u8', m.values, writeValue);
    writeList(w, 'u8', m.info, (x, i) => writeUpdateInfo(x, mode, i));
    writeList(w, 'u8', m.binaryLadder, writeLadderStep);
    writeCombinedTreeProof(w, m.update);
  });
}

export function decodeUpdateResponse(mode: DeploymentMode, bytes: Uint8Array): UpdateResponse {
  return decode(bytes, (r) => ({
    fullTreeHead: readFullTreeHead(r, mode),
    position: readPosition(r),
    values: readList(r, 'u8', readValue),
    info: readList(r, 'u8', (x) => readUpdateInfo(x, mode)),
    binaryLadder: readList(r, 'u8', readLadderStep),
    update: readCombinedTreeProof(r),
  }));
}

export function encodeDistinguishedRequest(m: DistinguishedRequest): Uint8Array {
  return encode((w) => {
    writeOptional(w, m.last, writeU64);
    writeOptional(w, m.stop, writeU64);
  });
}

export function decodeDistinguishedRequest(bytes: Uint8Array): DistinguishedRequest {
  return decode(bytes, (r) => {
    const last = readOptional(r, readPosition);
    const stop = readOptional(r, readPosition);
    return { ...opt('last', last), ...opt('stop', stop) };
  });
}

export function encodeDistinguishedResponse(
  mode: DeploymentMode,
  m: DistinguishedResponse,
): Uint8Array {
  return encode((w) => {
    writeFullTreeHead(w, mode, m.fullTreeHead);
    writeCombinedTreeProof(w, m.distinguished);
  });
}

export function decodeDistinguishedResponse(
  mode: DeploymentMode,
  bytes: Uint8Array,
): DistinguishedResponse {
  return decode(bytes, (r) => ({
    fullTreeHead: readFullTreeHead(r, mode),
    distinguished: readCombinedTreeProof(r),
  }));
}

export function encodeCredential(mode: DeploymentMode, c: Credential): Uint8Array {
  return encode((w) => {
    writeLabel(w, c.label);
    w.uint32(c.version);
    w.bytes(c.opening);
    writeUpdateValue(w, mode, c.value);
    writeList(w, 'u8', c.binaryLadder, writeLadderStep);
    writeU64(w, c.position);
    if (c.type === 'standard') {
      w.uint8(1);
      writePrefixProof(w, c.distinguished);
    } else {
      w.uint8(2);
      writeTreeHead(w, c.treeHead);
      writeCombinedTreeProof(w, c.search);
    }
  });
}

export function decodeCredential(mode: DeploymentMode, bytes: Uint8Array): Credential {
  return decode(bytes, (r) => {
    const common = {
      label: readLabel(r),
      version: readVersion(r),
      opening: r.bytes(OPENING_LENGTH),
      value: readUpdateValue(r, mode),
      binaryLadder: readList(r, 'u8', readLadderStep),
      position: readPosition(r),
    };
    const type = r.uint8();
    if (type === 1) return { ...common, type: 'standard', distinguished: readPrefixProof(r) };
    if (type === 2) {
      return {
        ...common,
        type: 'provisional',
        treeHead: readTreeHead(r),
        search: readCombinedTreeProof(r),
      };
    }
    throw new KeyTransError('MALFORMED', 'unknown CredentialType');
  });
}

export function encodeCredentialUpdate(c: CredentialUpdate): Uint8Array {
  return encode((w) => {
    writeU64(w, c.position);
    writeCombinedTreeProof(w, c.monitor);
  });
}

export function decodeCredentialUpdate(bytes: Uint8Array): CredentialUpdate {
  return decode(bytes, (r) => ({ position: readPosition(r), monitor: readCombinedTreeProof(r) }));
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export type { TlsReader };

export function encodeAuditorUpdate(u: AuditorUpdate): Uint8Array {
  return encode((w) => writeAuditorUpdate(w, u));
}

export function decodeAuditorUpdate(bytes: Uint8Array): AuditorUpdate {
  return decode(bytes, readAuditorUpdate);
}

export function encodeAuditorTreeHead(h: AuditorTreeHead): Uint8Array {
  return encode((w) => writeAuditorTreeHead(w, h));
}

export function decodeAuditorTreeHead(bytes: Uint8Array): AuditorTreeHead {
  return decode(bytes, readAuditorTreeHead);
}

export function encodeConfiguration(c: Configuration): Uint8Array {
  return encode((w) => writeConfiguration(w, c));
}

export function decodeConfiguration(bytes: Uint8Array): Configuration {
  return decode(bytes, readConfiguration);
}
