import { concatBytes } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import type { PreKeyBundle } from './bundle.js';
import { verifyBundle } from './bundle.js';
import { ProtocolError } from './errors.js';
import {
  agree,
  asKyberCiphertext,
  generateKeyPair,
  isCanonicalPublicKey,
  type IdentityKeyPair,
  type KeyPair,
  type KyberSecretKey,
} from './keys.js';
import { pqxdhSecrets, rootStep } from './kdf.js';
import type { PreKeySignalMessage } from './messages.js';
import type { SessionState } from './session-state.js';
import { spqrInit } from './spqr/spqr.js';

/** Identity keys and signed prekeys are loaded again for every session: see `KeyLifetime`. */
const LONG_LIVED = 'long-lived';
/** Our ratchet key, kept by the session record until the next ratchet step: see `KeyLifetime`. */
const SESSION = 'session';

/** The 32 × 0xFF prefix of the PQXDH input (spec §3). */
const PREFIX = new Uint8Array(32).fill(0xff);

export interface InitiateInput {
  readonly identity: IdentityKeyPair;
  readonly registrationId: number;
  readonly bundle: PreKeyBundle;
  /** Milliseconds since the epoch: when the session is set up. */
  readonly now: number;
}

/**
 * Alice's side (spec §3 steps 1–4): verifies the bundle, runs PQXDH and returns a session that
 * sends PreKey messages until the first reply.
 */
export function pqxdhInitiate(p: Primitives, input: InitiateInput): SessionState {
  const { bundle, identity } = input;
  verifyBundle(p, bundle);
  const base = generateKeyPair(p);
  let encapsulated: { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  try {
    encapsulated = p.kem.kyber1024.encapsulate(bundle.kyberPreKey.publicKey);
  } catch {
    throw new ProtocolError('INVALID_KEY', 'Kyber prekey rejected');
  }
  const dhs = [
    agree(p, identity.privateKey, bundle.signedPreKey.publicKey, LONG_LIVED),
    agree(p, base.privateKey, bundle.identityKey),
    agree(p, base.privateKey, bundle.signedPreKey.publicKey),
  ];
  if (bundle.preKey !== undefined) dhs.push(agree(p, base.privateKey, bundle.preKey.publicKey));
  const secrets = pqxdhSecrets(p, concatBytes(PREFIX, ...dhs, encapsulated.sharedSecret));
  // Bob's signed prekey is his first ratchet key: a receiving chain for it, then our own step.
  const sendingRatchet = generateKeyPair(p);
  const sending = rootStep(
    p,
    secrets.rootKey,
    agree(p, sendingRatchet.privateKey, bundle.signedPreKey.publicKey, SESSION),
  );
  return {
    localIdentity: identity.publicKey,
    remoteIdentity: bundle.identityKey,
    localRegistrationId: input.registrationId,
    remoteRegistrationId: bundle.registrationId,
    aliceBaseKey: base.publicKey,
    rootKey: sending.rootKey,
    senderRatchet: sendingRatchet,
    senderChain: { key: sending.chainKey, index: 0 },
    receivers: [
      {
        ratchetKey: bundle.signedPreKey.publicKey,
        chainKey: { key: secrets.chainKey, index: 0 },
        skipped: [],
      },
    ],
    previousCounter: 0,
    pendingPreKey: {
      preKeyId: bundle.preKey?.id,
      signedPreKeyId: bundle.signedPreKey.id,
      kyberPreKeyId: bundle.kyberPreKey.id,
      kyberCiphertext: asKyberCiphertext(encapsulated.ciphertext),
      baseKey: base.publicKey,
      createdAt: input.now,
    },
    spqr: spqrInit(p, secrets.pqrKey, true),
  };
}

export interface AcceptInput {
  readonly identity: IdentityKeyPair;
  readonly registrationId: number;
  readonly signedPreKey: KeyPair;
  readonly oneTimePreKey: KeyPair | undefined;
  readonly kyberSecretKey: KyberSecretKey;
  /** A last-resort Kyber prekey is kept and used again; a one-time one is deleted after use. */
  readonly kyberLastResort: boolean;
  readonly message: PreKeySignalMessage;
}

/** Bob's side (spec §3 step 5): the mirror DH order; the signed prekey is his sending ratchet. */
export function pqxdhAccept(p: Primitives, input: AcceptInput): SessionState {
  const { message, identity, signedPreKey } = input;
  if (!isCanonicalPublicKey(message.baseKey)) {
    throw new ProtocolError('INVALID_KEY', 'non-canonical base key');
  }
  if ((message.preKeyId === undefined) !== (input.oneTimePreKey === undefined)) {
    throw new ProtocolError('INVALID_PREKEY_ID', 'one-time prekey mismatch');
  }
  const dhs = [
    agree(p, signedPreKey.privateKey, message.identityKey, LONG_LIVED),
    agree(p, identity.privateKey, message.baseKey, LONG_LIVED),
    agree(p, signedPreKey.privateKey, message.baseKey, LONG_LIVED),
  ];
  if (input.oneTimePreKey !== undefined) {
    dhs.push(agree(p, input.oneTimePreKey.privateKey, message.baseKey));
  }
  const kemSecret = p.kem.kyber1024.decapsulate(
    message.kyberCiphertext,
    input.kyberSecretKey,
    input.kyberLastResort ? LONG_LIVED : undefined,
  );
  const secrets = pqxdhSecrets(p, concatBytes(PREFIX, ...dhs, kemSecret));
  return {
    localIdentity: identity.publicKey,
    remoteIdentity: message.identityKey,
    localRegistrationId: input.registrationId,
    remoteRegistrationId: message.registrationId,
    aliceBaseKey: message.baseKey,
    rootKey: secrets.rootKey,
    senderRatchet: signedPreKey,
    senderChain: { key: secrets.chainKey, index: 0 },
    receivers: [],
    previousCounter: 0,
    pendingPreKey: undefined,
    spqr: spqrInit(p, secrets.pqrKey, false),
  };
}
