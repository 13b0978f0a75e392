/**
 * SPQR-lite (spec §6.2): valid SPQR V1 framing on every message and the epoch-0 symmetric
 * chain whose keys salt the message-key HKDF. We always send `{epoch 1, index n, None}` and
 * ignore the content of the peer's chunks, so the ML-KEM braid never advances: this gives
 * post-quantum protection at session setup (PQXDH's Kyber) only, no post-quantum ratcheting.
 * The full braid is a later issue; it replaces this module behind the same three functions.
 */
import { concatBytes, uint32BE, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { SPQR_MAX_JUMP, SPQR_MAX_OOO_KEYS } from '../limits.js';
import { encodeSpqrNone, parseSpqrFrame } from './framing.js';

/** Note the two spaces (trap 4). */
const INFO_CHAIN_START = utf8Encode('Signal PQ Ratchet V1 Chain  Start');
const INFO_CHAIN_NEXT = utf8Encode('Signal PQ Ratchet V1 Chain Next');
const ZERO_SALT = new Uint8Array(32);
/** SPQR-lite never leaves epoch 1, whose keys come from the epoch-0 chain. */
const EPOCH = 1;

export interface SpqrSkippedKey {
  readonly index: number;
  readonly key: Uint8Array;
}

/** The SPQR state of one session: both directions of the epoch-0 chain. */
export interface SpqrState {
  readonly sendSeed: Uint8Array;
  /** Index of the last key sent (0 before the first). */
  readonly sendIndex: number;
  readonly recvSeed: Uint8Array;
  /** Highest index received (0 before the first). */
  readonly recvIndex: number;
  /** Keys of indices below `recvIndex` not yet received, oldest first, at most SPQR_MAX_OOO_KEYS. */
  readonly skipped: readonly SpqrSkippedKey[];
}

/** Chain start from PQXDH's SPQR authentication key; the initiator sends on A2B. */
export function spqrInit(p: Primitives, pqrKey: Uint8Array, initiator: boolean): SpqrState {
  const start = p.hkdf('sha256', pqrKey, ZERO_SALT, INFO_CHAIN_START, 96);
  const a2b = start.slice(32, 64);
  const b2a = start.slice(64, 96);
  return {
    sendSeed: initiator ? a2b : b2a,
    sendIndex: 0,
    recvSeed: initiator ? b2a : a2b,
    recvIndex: 0,
    skipped: [],
  };
}

function chainNext(
  p: Primitives,
  seed: Uint8Array,
  index: number,
): { seed: Uint8Array; key: Uint8Array } {
  const o = p.hkdf('sha256', seed, ZERO_SALT, concatBytes(uint32BE(index), INFO_CHAIN_NEXT), 64);
  return { seed: o.subarray(0, 32), key: o.subarray(32, 64) };
}

/** The next sending key and the `pq_ratchet` bytes that announce it. */
export function spqrSend(
  p: Primitives,
  state: SpqrState,
): { state: SpqrState; message: Uint8Array; key: Uint8Array } {
  const index = state.sendIndex + 1;
  const next = chainNext(p, state.sendSeed, index);
  return {
    state: { ...state, sendSeed: next.seed, sendIndex: index },
    message: encodeSpqrNone(EPOCH, index),
    key: next.key,
  };
}

/**
 * The key for a received `pq_ratchet`, and the state after it; undefined when the frame is
 * missing or malformed (including the empty field libsignal rejects as "Minimum version"), is
 * of another epoch, jumps too far, or names a key already used or dropped.
 */
export function spqrRecv(
  p: Primitives,
  state: SpqrState,
  message: Uint8Array,
): { state: SpqrState; key: Uint8Array } | undefined {
  const frame = parseSpqrFrame(message);
  if (frame === undefined || frame.epoch !== EPOCH || frame.index === 0) return undefined;
  const { index } = frame;
  if (index <= state.recvIndex) {
    const at = state.skipped.findIndex((k) => k.index === index);
    const found = state.skipped[at];
    if (found === undefined) return undefined;
    return {
      state: { ...state, skipped: state.skipped.filter((_, i) => i !== at) },
      key: found.key,
    };
  }
  if (index - state.recvIndex > SPQR_MAX_JUMP) return undefined;
  const firstKept = Math.max(state.recvIndex + 1, index - SPQR_MAX_OOO_KEYS);
  const added: SpqrSkippedKey[] = [];
  let seed = state.recvSeed;
  for (let i = state.recvIndex + 1; i < index; i++) {
    const next = chainNext(p, seed, i);
    if (i >= firstKept) added.push({ index: i, key: next.key.slice() });
    seed = next.seed;
  }
  const last = chainNext(p, seed, index);
  const all = added.length === 0 ? state.skipped : [...state.skipped, ...added];
  const skipped = all.length > SPQR_MAX_OOO_KEYS ? all.slice(all.length - SPQR_MAX_OOO_KEYS) : all;
  return {
    state: { ...state, recvSeed: last.seed.slice(), recvIndex: index, skipped },
    key: last.key,
  };
}
