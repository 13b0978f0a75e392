import type { TlsReader, TlsWriter } from '@parley/bytes';
import { decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { MlsError } from './errors.js';
import { readExtensions, writeExtensions, type Extension } from './extension.js';

/** ProtocolVersion mls10 (RFC 9420 §6). */
export const PROTOCOL_VERSION_MLS10 = 1;

/** GroupContext (RFC 9420 §8.1): what every member of an epoch agrees on. */
export interface GroupContext {
  readonly version: number;
  readonly cipherSuite: number;
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly treeHash: Uint8Array;
  readonly confirmedTranscriptHash: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** Writes a GroupContext. */
export function writeGroupContext(w: TlsWriter, c: GroupContext): void {
  w.uint16(c.version).uint16(c.cipherSuite);
  writeOpaque(w, c.groupId);
  w.uint64(c.epoch);
  writeOpaque(w, c.treeHash);
  writeOpaque(w, c.confirmedTranscriptHash);
  writeExtensions(w, c.extensions);
}

/** Reads a GroupContext; only version mls10 is accepted. */
export function readGroupContext(r: TlsReader): GroupContext {
  const version = r.uint16();
  if (version !== PROTOCOL_VERSION_MLS10) {
    throw new MlsError('INVALID_ENCODING', `unsupported protocol version ${version}`);
  }
  return {
    version,
    cipherSuite: r.uint16(),
    groupId: readOpaque(r),
    epoch: r.uint64(),
    treeHash: readOpaque(r),
    confirmedTranscriptHash: readOpaque(r),
    extensions: readExtensions(r),
  };
}

/** The TLS encoding of a GroupContext. */
export function encodeGroupContext(c: GroupContext): Uint8Array {
  return encodeWith(c, writeGroupContext);
}

/** Decodes a GroupContext, which must use all of `bytes`. */
export function decodeGroupContext(bytes: Uint8Array): GroupContext {
  return decodeWith(bytes, 'GroupContext', readGroupContext);
}
