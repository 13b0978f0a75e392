/**
 * SPQR V1 messages, as they travel in a SignalMessage's `pq_ratchet` field:
 * `0x01 ‖ varint epoch ‖ varint index ‖ type ‖ [varint chunkIndex ‖ 32-byte chunk]`, with
 * unsigned LEB128 varints. Types Hdr, Ek, EkCt1Ack, Ct1 and Ct2 carry a chunk; None and
 * Ct1Ack do not. Trailing bytes are allowed, as in spqr.
 */
import { SPQR_MAX_CHUNK_INDEX, SPQR_MAX_EPOCH } from '../limits.js';
import { CHUNK_BYTES, type Chunk } from './erasure.js';
import { decodeVarint, encodeVarint } from './varint.js';

/** SPQR V1 message types (the type byte). */
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
const MAX_TYPE = 6;
const MAX_INDEX = 0xffff_ffff;

export interface SpqrMessage {
  readonly epoch: number;
  /** The chain index of the key this message was sent with. */
  readonly index: number;
  readonly type: SpqrMessageType;
  /** Present exactly for the types that carry one. */
  readonly chunk?: Chunk;
}

function carriesChunk(type: number): boolean {
  return type !== SpqrMessageType.None && type !== SpqrMessageType.Ct1Ack;
}

export function encodeSpqrMessage(m: SpqrMessage): Uint8Array {
  const head = [SPQR_V1, ...encodeVarint(m.epoch), ...encodeVarint(m.index), m.type];
  if (m.chunk === undefined) return Uint8Array.from(head);
  const index = encodeVarint(m.chunk.index);
  const out = new Uint8Array(head.length + index.length + CHUNK_BYTES);
  out.set(head);
  out.set(index, head.length);
  out.set(m.chunk.data, head.length + index.length);
  return out;
}

/**
 * Parses a V1 message; undefined for anything else (an empty field, another version byte, a
 * zero epoch, a truncated or overlong varint, an unknown type, a short chunk).
 */
export function parseSpqrMessage(bytes: Uint8Array): SpqrMessage | undefined {
  if (bytes[0] !== SPQR_V1) return undefined;
  const epoch = decodeVarint(bytes, 1, SPQR_MAX_EPOCH);
  if (epoch === undefined || epoch.value === 0) return undefined;
  const index = decodeVarint(bytes, epoch.next, MAX_INDEX);
  if (index === undefined) return undefined;
  const type = bytes[index.next];
  if (type === undefined || type > MAX_TYPE) return undefined;
  const message = { epoch: epoch.value, index: index.value, type: type as SpqrMessageType };
  if (!carriesChunk(type)) return message;
  const chunkIndex = decodeVarint(bytes, index.next + 1, SPQR_MAX_CHUNK_INDEX);
  if (chunkIndex === undefined || bytes.length - chunkIndex.next < CHUNK_BYTES) return undefined;
  const data = bytes.slice(chunkIndex.next, chunkIndex.next + CHUNK_BYTES);
  return { ...message, chunk: { index: chunkIndex.value, data } };
}
