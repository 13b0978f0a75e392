import type { KeyPair, KyberCiphertext, PublicKey } from './keys.js';
import type { SpqrState } from './spqr/spqr.js';

/** A chain key and the counter of the next message it yields. */
export interface ChainKey {
  readonly key: Uint8Array;
  readonly index: number;
}

/** A message-key seed kept for a message not yet received. */
export interface SkippedKey {
  readonly counter: number;
  readonly seed: Uint8Array;
}

export interface ReceiverChain {
  readonly ratchetKey: PublicKey;
  readonly chainKey: ChainKey;
  /** Oldest first; at most MAX_MESSAGE_KEYS (the newest are kept). */
  readonly skipped: readonly SkippedKey[];
}

/** What the initiator repeats in every message until the first reply (spec §3). */
export interface PendingPreKey {
  readonly preKeyId: number | undefined;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
  readonly kyberCiphertext: KyberCiphertext;
  readonly baseKey: PublicKey;
  /** When the session was set up (ms since the epoch, as passed in). */
  readonly createdAt: number;
}

/**
 * One session with a remote device, as libsignal keeps it. Values are never mutated: every
 * operation returns a new state, so a failed one leaves the old state untouched.
 */
export interface SessionState {
  readonly localIdentity: PublicKey;
  readonly remoteIdentity: PublicKey;
  readonly localRegistrationId: number;
  readonly remoteRegistrationId: number;
  /** The initiator's base key: how repeated PreKey messages find their session. */
  readonly aliceBaseKey: PublicKey;
  readonly rootKey: Uint8Array;
  readonly senderRatchet: KeyPair;
  readonly senderChain: ChainKey;
  /** Oldest first; at most MAX_RECEIVER_CHAINS. */
  readonly receivers: readonly ReceiverChain[];
  /** Index of the last message sent on the previous sending chain (receivers ignore it). */
  readonly previousCounter: number;
  readonly pendingPreKey: PendingPreKey | undefined;
  readonly spqr: SpqrState;
}
