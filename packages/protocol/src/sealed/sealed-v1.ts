/**
 * Sealed sender v1 (version byte `0x11`): one recipient.
 *
 * ```text
 * e ← X25519 key pair
 * chain ‖ ck₁ ‖ mk₁ = HKDF(salt = "UnidentifiedDelivery" ‖ R(33) ‖ E(33), ikm = DH(e, R), info = "", 96)
 * encryptedStatic  = CTR(ck₁, S(33)) ‖ HMAC(mk₁, ·)[0..10]
 * _ ‖ ck₂ ‖ mk₂    = HKDF(salt = chain ‖ encryptedStatic, ikm = DH(s, R), info = "", 96)
 * encryptedMessage = CTR(ck₂, USMC) ‖ HMAC(mk₂, ·)[0..10]
 * wire = 0x11 ‖ protobuf {1 E(33), 2 encryptedStatic, 3 encryptedMessage}
 * ```
 * AES-256-CTR starts from an all-zero counter block; the 10-byte MAC covers the ciphertext only.
 */
import {
  ProtoReader,
  ProtoWriter,
  concatBytes,
  constantTimeEqual,
  utf8Encode,
} from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { decryptionFailed, ProtocolError } from '../errors.js';
import {
  agree,
  deserializePublicKey,
  generateKeyPair,
  serializePublicKey,
  type IdentityKeyPair,
  type PublicKey,
} from '../keys.js';
import { MAX_MESSAGE_BYTES } from '../limits.js';
import { parsing } from '../messages.js';
import { identityAgreement } from './static-agreements.js';

export const SEALED_SENDER_V1_VERSION_BYTE = 0x11;

const SALT_PREFIX = utf8Encode('UnidentifiedDelivery');
const NO_INFO = new Uint8Array(0);
const ZERO_COUNTER = new Uint8Array(16);
const V1_MAC_LENGTH = 10;

interface CipherKeys {
  readonly cipherKey: Uint8Array;
  readonly macKey: Uint8Array;
}

function derive(
  p: Primitives,
  ikm: Uint8Array,
  salt: Uint8Array,
): CipherKeys & { chain: Uint8Array } {
  const okm = p.hkdf('sha256', ikm, salt, NO_INFO, 96);
  return { chain: okm.slice(0, 32), cipherKey: okm.slice(32, 64), macKey: okm.slice(64, 96) };
}

function ephemeralKeys(
  p: Primitives,
  dh: Uint8Array,
  recipient: PublicKey,
  ephemeral: PublicKey,
): CipherKeys & { chain: Uint8Array } {
  return derive(
    p,
    dh,
    concatBytes(SALT_PREFIX, serializePublicKey(recipient), serializePublicKey(ephemeral)),
  );
}

function staticKeys(
  p: Primitives,
  dh: Uint8Array,
  chain: Uint8Array,
  encryptedStatic: Uint8Array,
): CipherKeys {
  const { cipherKey, macKey } = derive(p, dh, concatBytes(chain, encryptedStatic));
  return { cipherKey, macKey };
}

function seal(p: Primitives, keys: CipherKeys, plaintext: Uint8Array): Uint8Array {
  const ciphertext = p.aesCtr(keys.cipherKey, ZERO_COUNTER, plaintext);
  return concatBytes(
    ciphertext,
    p.hmac('sha256', keys.macKey, ciphertext).subarray(0, V1_MAC_LENGTH),
  );
}

function open(p: Primitives, keys: CipherKeys, sealed: Uint8Array): Uint8Array {
  if (sealed.length < V1_MAC_LENGTH) throw decryptionFailed();
  const ciphertext = sealed.subarray(0, sealed.length - V1_MAC_LENGTH);
  const mac = p.hmac('sha256', keys.macKey, ciphertext).subarray(0, V1_MAC_LENGTH);
  if (!constantTimeEqual(mac, sealed.subarray(sealed.length - V1_MAC_LENGTH)))
    throw decryptionFailed();
  return p.aesCtr(keys.cipherKey, ZERO_COUNTER, ciphertext);
}

/** Seals serialized USMC bytes from `sender` to the device whose identity key is `recipient`. */
export function sealV1(
  p: Primitives,
  sender: IdentityKeyPair,
  recipient: PublicKey,
  content: Uint8Array,
): Uint8Array {
  if (content.length > MAX_MESSAGE_BYTES) throw new ProtocolError('MISUSE', 'content too long');
  const e = generateKeyPair(p);
  const eph = ephemeralKeys(p, agree(p, e.privateKey, recipient), recipient, e.publicKey);
  const encryptedStatic = seal(p, eph, serializePublicKey(sender.publicKey));
  const st = staticKeys(
    p,
    identityAgreement(p, sender.privateKey, recipient),
    eph.chain,
    encryptedStatic,
  );
  const encryptedMessage = seal(p, st, content);
  const body = new ProtoWriter()
    .bytes(1, serializePublicKey(e.publicKey))
    .bytes(2, encryptedStatic)
    .bytes(3, encryptedMessage)
    .finish();
  return concatBytes(Uint8Array.of(SEALED_SENDER_V1_VERSION_BYTE), body);
}

export interface ParsedV1 {
  readonly ephemeral: PublicKey;
  readonly encryptedStatic: Uint8Array;
  readonly encryptedMessage: Uint8Array;
}

/** Parses the protobuf after the version byte (the caller has checked the version). */
export function parseV1(body: Uint8Array): ParsedV1 {
  return parsing('sealed sender v1', () => {
    let ephemeral: PublicKey | undefined;
    let encryptedStatic: Uint8Array | undefined;
    let encryptedMessage: Uint8Array | undefined;
    for (const f of new ProtoReader(body)) {
      if (f.fieldNumber === 1) ephemeral = deserializePublicKey(f.bytes());
      else if (f.fieldNumber === 2) encryptedStatic = f.bytes();
      else if (f.fieldNumber === 3) encryptedMessage = f.bytes();
    }
    if (
      ephemeral === undefined ||
      encryptedStatic === undefined ||
      encryptedMessage === undefined
    ) {
      throw new ProtocolError('INVALID_MESSAGE', 'sealed sender v1: missing field');
    }
    return { ephemeral, encryptedStatic, encryptedMessage };
  });
}

/**
 * Opens a v1 envelope with our identity key pair: returns the sender's identity key as the
 * envelope proves it and the USMC bytes (not yet parsed or checked against the certificate).
 * Any MAC failure or bad key is `DECRYPTION_FAILED`.
 */
export function openV1(
  p: Primitives,
  us: IdentityKeyPair,
  message: ParsedV1,
): { senderKey: PublicKey; content: Uint8Array } {
  let eph: ReturnType<typeof ephemeralKeys>;
  try {
    eph = ephemeralKeys(
      p,
      agree(p, us.privateKey, message.ephemeral, 'long-lived'),
      us.publicKey,
      message.ephemeral,
    );
  } catch {
    throw decryptionFailed();
  }
  const senderBytes = open(p, eph, message.encryptedStatic);
  let senderKey: PublicKey;
  let dh: Uint8Array;
  try {
    senderKey = deserializePublicKey(senderBytes);
    dh = identityAgreement(p, us.privateKey, senderKey);
  } catch {
    throw decryptionFailed();
  }
  const st = staticKeys(p, dh, eph.chain, message.encryptedStatic);
  return { senderKey, content: open(p, st, message.encryptedMessage) };
}
