import { concatBytes } from '@parley/bytes';
import { SPQR_MAX_CHUNK_INDEX, SPQR_MAX_EPOCH } from '../limits.js';
import { decodeVarint, encodeVarint } from './varint.js';

/** SPQR V1 message types (spqr `src/v1/chunked/states/serialize.rs`). */
export const SpqrMessageType = {
  None: 0,
  Hdr: 1,
  Ek: 2,
  EkCt1Ack: 3,
  Ct1Ack: 4,
  Ct1: 5,
  Ct2: 6,
} as const;
export type SpqrMessageType = (typeof SpqrMessageType)[keyof typeof SpqrMessageType];

const SPQR_V1 = 0x01;
const CHUNK_LENGTH = 32;
/** Types that carry a chunk index and a 32-byte chunk. */
const WITH_CHUNK = new Set<number>([1, 2, 3, 5, 6]);
const MAX_TYPE = 6;
const MAX_INDEX = 0xffff_ffff;

export interface SpqrFrame {
  readonly epoch: number;
  readonly index: number;
  readonly type: SpqrMessageType;
}

/** `0x01 ‖ varint epoch ‖ varint index ‖ type`: what SPQR-lite sends (type None, no chunk). */
export function encodeSpqrNone(epoch: number, index: number): Uint8Array {
  return concatBytes(
    Uint8Array.of(SPQR_V1),
    Uint8Array.from(encodeVarint(epoch)),
    Uint8Array.from(encodeVarint(index)),
    Uint8Array.of(SpqrMessageType.None),
  );
}

/**
 * Parses a V1 frame; chunk contents are checked for length and ignored. Trailing bytes are
 * allowed, as in spqr. Returns undefined for anything else (including an empty field or a
 * version other than 1).
 */
export function parseSpqrFrame(bytes: Uint8Array): SpqrFrame | undefined {
  if (bytes[0] !== SPQR_V1) return undefined;
  const epoch = decodeVarint(bytes, 1, SPQR_MAX_EPOCH);
  if (epoch === undefined || epoch.value === 0) return undefined;
  const index = decodeVarint(bytes, epoch.next, MAX_INDEX);
  if (index === undefined) return undefined;
  const type = bytes[index.next];
  if (type === undefined || type > MAX_TYPE) return undefined;
  if (WITH_CHUNK.has(type)) {
    const chunk = decodeVarint(bytes, index.next + 1, SPQR_MAX_CHUNK_INDEX);
    if (chunk === undefined || bytes.length - chunk.next < CHUNK_LENGTH) return undefined;
  }
  return { epoch: epoch.value, index: index.value, type: type as SpqrMessageType };
}
