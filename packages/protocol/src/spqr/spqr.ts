/**
 * The Sparse Post-Quantum Ratchet as the Double Ratchet uses it (libsignal's triple ratchet):
 * every message sent carries one SPQR message and takes its key from SPQR's chain; every
 * message received is fed to the braid and yields its key. The braid (`braid.ts`) runs an
 * ML-KEM-768 exchange in 32-byte erasure-coded chunks, and each finished exchange adds an
 * epoch to the chain (`chain.ts`), so keys after it depend on a fresh post-quantum secret.
 *
 * A session record from before the braid (format version 1, "SPQR-lite") has no authenticator
 * key; it keeps running without a braid: epoch 1 and the epoch-0 chain only, as it always did.
 */
import type { Primitives } from '@parley/primitives';
import { braidRecv, braidSend, braidStart } from './braid.js';
import type { BraidState } from './braid-states.js';
import { chainAddEpoch, chainRecvKey, chainSendKey, chainStart, type Chain } from './chain.js';
import { encodeSpqrMessage, parseSpqrMessage, SpqrMessageType } from './message.js';

/** The SPQR state of one session. */
export interface SpqrState {
  /** The braid; undefined for a session migrated from SPQR-lite, which stays in epoch 1. */
  readonly braid: BraidState | undefined;
  readonly chain: Chain;
  /** The highest epoch of a message received (0 before the first). */
  readonly recvEpoch: number;
}

/** The epochs a session is in, for diagnostics (the JSON-lines peers' `session_info`). */
export interface SpqrEpochs {
  /** The epoch the braid is negotiating; the next message sent carries it. */
  readonly braid: number;
  /** The epoch of the chain the last message sent took its key from, plus one (its message epoch). */
  readonly sending: number;
  /** The highest message epoch received. */
  readonly receiving: number;
}

const NO_KEY = new Uint8Array(0);

/** A new session's state from PQXDH's SPQR key; the initiator sends the first ML-KEM key. */
export function spqrInit(p: Primitives, pqrKey: Uint8Array, initiator: boolean): SpqrState {
  return {
    braid: braidStart(p, pqrKey, initiator),
    chain: chainStart(p, pqrKey, initiator),
    recvEpoch: 0,
  };
}

export function spqrEpochs(s: SpqrState): SpqrEpochs {
  return {
    braid: s.braid?.epoch ?? 1,
    sending: s.chain.sendEpoch + 1,
    receiving: s.recvEpoch,
  };
}

/** The next sending key and the `pq_ratchet` bytes that announce it. */
export function spqrSend(
  p: Primitives,
  state: SpqrState,
): { state: SpqrState; message: Uint8Array; key: Uint8Array } {
  const sent =
    state.braid === undefined
      ? { state: undefined, type: SpqrMessageType.None }
      : braidSend(p, state.braid);
  const epoch = state.braid?.epoch ?? 1;
  const secret = 'epochSecret' in sent ? sent.epochSecret : undefined;
  const chain = secret === undefined ? state.chain : chainAddEpoch(p, state.chain, secret.secret);
  const taken = chainSendKey(p, chain, epoch - 1);
  // The braid never sends in an epoch whose chain link is missing: it adds each link itself.
  if (taken === undefined) throw new RangeError('SPQR chain has no link for the sending epoch');
  const chunk = 'chunk' in sent ? sent.chunk : undefined;
  const message = encodeSpqrMessage(
    chunk === undefined
      ? { epoch, index: taken.index, type: sent.type }
      : { epoch, index: taken.index, type: sent.type, chunk },
  );
  return {
    state: { ...state, braid: sent.state ?? state.braid, chain: taken.chain },
    message,
    key: taken.key,
  };
}

/**
 * The key for a received `pq_ratchet` (empty: no salt) and the state after it; undefined when
 * the message must be refused: empty or version 0 (libsignal's "Minimum version"), malformed,
 * of an epoch the braid or the chain cannot take, failing a braid MAC or key check, or naming a
 * key already used, dropped or too far ahead. A version above 1 is ignored, as by libsignal.
 */
export function spqrRecv(
  p: Primitives,
  state: SpqrState,
  bytes: Uint8Array,
): { state: SpqrState; key: Uint8Array } | undefined {
  const version = bytes[0];
  if (version === undefined || version === 0) return undefined;
  if (version > 1) return { state, key: NO_KEY };
  const message = parseSpqrMessage(bytes);
  if (message === undefined) return undefined;
  let braid = state.braid;
  let chain = state.chain;
  if (braid === undefined) {
    if (message.epoch !== 1) return undefined;
  } else {
    const got = braidRecv(p, braid, message);
    if (typeof got === 'string') return undefined;
    braid = got.state;
    if (got.epochSecret !== undefined) chain = chainAddEpoch(p, chain, got.epochSecret.secret);
  }
  const recvEpoch = Math.max(state.recvEpoch, message.epoch);
  if (message.epoch === 1 && message.index === 0)
    return { state: { braid, chain, recvEpoch }, key: NO_KEY };
  const taken = chainRecvKey(p, chain, message.epoch - 1, message.index);
  if (typeof taken === 'string') return undefined;
  return { state: { braid, chain: taken.chain, recvEpoch }, key: taken.key };
}
