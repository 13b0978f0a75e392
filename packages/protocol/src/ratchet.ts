/** The Double Ratchet on one session state (spec §4), with SPQR-lite salting each message key. */
import { concatBytes, constantTimeEqual } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { EC_KEY_TYPE, MAC_LENGTH, SERIALIZED_EC_KEY_LENGTH } from './constants.js';
import { decryptionFailed, ProtocolError } from './errors.js';
import { agree, generateKeyPair, type PublicKey } from './keys.js';
import { messageKeySeed, messageKeys, nextChainKey, rootStep } from './kdf.js';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS } from './limits.js';
import {
  encodePreKeySignalMessage,
  encodeSignalMessageBody,
  type SignalMessage,
} from './messages.js';
import type { ReceiverChain, SessionState, SkippedKey } from './session-state.js';
import { spqrRecv, spqrSend } from './spqr/spqr.js';

/** Our ratchet key's lifetime for the backend (see `KeyLifetime`). */
const SESSION = 'session';

/** HMAC-SHA256(macKey, 0x05 ‖ sender ‖ 0x05 ‖ receiver ‖ macInput), cut to 8 bytes. */
function mac(
  p: Primitives,
  macKey: Uint8Array,
  sender: PublicKey,
  receiver: PublicKey,
  macInput: Uint8Array,
): Uint8Array {
  const data = new Uint8Array(2 * SERIALIZED_EC_KEY_LENGTH + macInput.length);
  data[0] = EC_KEY_TYPE;
  data.set(sender, 1);
  data[SERIALIZED_EC_KEY_LENGTH] = EC_KEY_TYPE;
  data.set(receiver, SERIALIZED_EC_KEY_LENGTH + 1);
  data.set(macInput, 2 * SERIALIZED_EC_KEY_LENGTH);
  return p.hmac('sha256', macKey, data).subarray(0, MAC_LENGTH);
}

export interface EncryptResult {
  readonly state: SessionState;
  /** 3 for a PreKeySignalMessage, 2 for a SignalMessage. */
  readonly type: 2 | 3;
  readonly serialized: Uint8Array;
}

/**
 * Encrypts one message. `addresses` is the 36-byte binding, sent (as libsignal does) only in
 * the inner message of a PreKey message.
 */
export function ratchetEncrypt(
  p: Primitives,
  state: SessionState,
  plaintext: Uint8Array,
  addresses: Uint8Array | undefined,
): EncryptResult {
  const chain = state.senderChain;
  const seed = messageKeySeed(p, chain.key);
  const spqr = spqrSend(p, state.spqr);
  const keys = messageKeys(p, seed, spqr.key);
  const ciphertext = p.aesCbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const pending = state.pendingPreKey;
  const body = encodeSignalMessageBody({
    ratchetKey: state.senderRatchet.publicKey,
    counter: chain.index,
    previousCounter: state.previousCounter,
    ciphertext,
    pqRatchet: spqr.message,
    addresses: pending === undefined ? undefined : addresses,
  });
  const message = concatBytes(
    body,
    mac(p, keys.macKey, state.localIdentity, state.remoteIdentity, body),
  );
  const next: SessionState = {
    ...state,
    senderChain: { key: nextChainKey(p, chain.key), index: chain.index + 1 },
    spqr: spqr.state,
  };
  if (pending === undefined) return { state: next, type: 2, serialized: message };
  const serialized = encodePreKeySignalMessage(
    {
      preKeyId: pending.preKeyId,
      baseKey: pending.baseKey,
      identityKey: state.localIdentity,
      registrationId: state.localRegistrationId,
      signedPreKeyId: pending.signedPreKeyId,
      kyberPreKeyId: pending.kyberPreKeyId,
      kyberCiphertext: pending.kyberCiphertext,
    },
    message,
  );
  return { state: next, type: 3, serialized };
}

/** Finds the receiving chain for `ratchetKey`, doing a DH ratchet step if it is new. */
function receiverFor(
  p: Primitives,
  state: SessionState,
  ratchetKey: PublicKey,
): { state: SessionState; chain: ReceiverChain; at: number } {
  const at = state.receivers.findIndex((c) => constantTimeEqual(c.ratchetKey, ratchetKey));
  const existing = state.receivers[at];
  if (existing !== undefined) return { state, chain: existing, at };
  // Our ratchet keys are `session` keys: the backend may keep one prepared from the step that
  // made it to the step that replaces it (ratchetDecrypt forgets it then).
  const receiving = rootStep(
    p,
    state.rootKey,
    agree(p, state.senderRatchet.privateKey, ratchetKey, SESSION),
  );
  const ratchet = generateKeyPair(p);
  const sending = rootStep(p, receiving.rootKey, agree(p, ratchet.privateKey, ratchetKey, SESSION));
  const chain: ReceiverChain = {
    ratchetKey,
    chainKey: { key: receiving.chainKey, index: 0 },
    skipped: [],
  };
  const receivers = [...state.receivers, chain];
  if (receivers.length > MAX_RECEIVER_CHAINS) receivers.shift();
  const next: SessionState = {
    ...state,
    rootKey: sending.rootKey,
    senderRatchet: ratchet,
    senderChain: { key: sending.chainKey, index: 0 },
    previousCounter: Math.max(state.senderChain.index - 1, 0),
    receivers,
  };
  return { state: next, chain, at: receivers.length - 1 };
}

/** The message-key seed for `counter` and the chain after it, or a typed failure. */
function seedFor(
  p: Primitives,
  chain: ReceiverChain,
  counter: number,
): { chain: ReceiverChain; seed: Uint8Array } {
  const { chainKey } = chain;
  if (counter < chainKey.index) {
    const at = chain.skipped.findIndex((k) => k.counter === counter);
    const found = chain.skipped[at];
    if (found === undefined) {
      throw new ProtocolError('DUPLICATE_MESSAGE', 'message key already used');
    }
    return {
      chain: { ...chain, skipped: chain.skipped.filter((_, i) => i !== at) },
      seed: found.seed,
    };
  }
  if (counter - chainKey.index > MAX_FORWARD_JUMPS) throw decryptionFailed();
  const firstKept = Math.max(chainKey.index, counter - MAX_MESSAGE_KEYS);
  const added: SkippedKey[] = [];
  let key = chainKey.key;
  for (let i = chainKey.index; i < counter; i++) {
    if (i >= firstKept) added.push({ counter: i, seed: messageKeySeed(p, key) });
    key = nextChainKey(p, key);
  }
  const all = added.length === 0 ? chain.skipped : [...chain.skipped, ...added];
  const skipped = all.length > MAX_MESSAGE_KEYS ? all.slice(all.length - MAX_MESSAGE_KEYS) : all;
  return {
    chain: { ...chain, chainKey: { key: nextChainKey(p, key), index: counter + 1 }, skipped },
    seed: messageKeySeed(p, key),
  };
}

/**
 * Decrypts a SignalMessage against one state, in libsignal's order: chain, SPQR, keys, MAC,
 * addresses, AES. Returns the plaintext and the new state; throws `DUPLICATE_MESSAGE` or
 * `DECRYPTION_FAILED` (for every other cause) and leaves `state` as it was.
 */
export function ratchetDecrypt(
  p: Primitives,
  state: SessionState,
  message: SignalMessage,
  expectedAddresses: Uint8Array | undefined,
): { state: SessionState; plaintext: Uint8Array } {
  let stepped: ReturnType<typeof receiverFor>;
  try {
    stepped = receiverFor(p, state, message.ratchetKey);
  } catch {
    throw decryptionFailed();
  }
  const { chain, seed } = seedFor(p, stepped.chain, message.counter);
  const spqr = spqrRecv(p, stepped.state.spqr, message.pqRatchet);
  if (spqr === undefined) throw decryptionFailed();
  const keys = messageKeys(p, seed, spqr.key);
  const expected = mac(p, keys.macKey, state.remoteIdentity, state.localIdentity, message.macInput);
  if (!constantTimeEqual(expected, message.mac)) throw decryptionFailed();
  if (
    message.addresses !== undefined &&
    (expectedAddresses === undefined || !constantTimeEqual(message.addresses, expectedAddresses))
  ) {
    throw decryptionFailed();
  }
  let plaintext: Uint8Array;
  try {
    plaintext = p.aesCbcDecrypt(keys.cipherKey, keys.iv, message.ciphertext);
  } catch {
    throw decryptionFailed();
  }
  const receivers = stepped.state.receivers.map((c, i) => (i === stepped.at ? chain : c));
  // A ratchet step replaced our ratchet key: the backend need not keep the old one prepared.
  // (Only now, after the MAC: a forged message must not cost the current key its preparation.)
  if (stepped.state.senderRatchet !== state.senderRatchet)
    p.x25519.forget(state.senderRatchet.privateKey);
  return {
    state: { ...stepped.state, receivers, spqr: spqr.state, pendingPreKey: undefined },
    plaintext,
  };
}
