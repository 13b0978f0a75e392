/**
 * Test oracle: the smallest slice of PQXDH, the Double Ratchet and epoch-0 SPQR ("SPQR-lite")
 * needed to open and to build the *first* PreKeySignalMessage of a libsignal 0.103.0 session.
 * It exists only to prove Kyber interop through the protocol; the protocol package (a later
 * issue) will replace it. Section numbers refer to shared/specs/signal-v4-wire.md.
 *
 * KEM operations stay with the caller (a callback or a precomputed result), so the oracle can
 * be driven by any KEM, including an asynchronous one under evaluation.
 */
import type { Primitives } from '@parley/primitives';

export type OraclePrimitives = Pick<
  Primitives,
  'hkdf' | 'hmac' | 'aesCbcEncrypt' | 'aesCbcDecrypt' | 'x25519'
>;

/** §1 constants. */
export const VERSION_BYTE = 0x44;
export const EC_KEY_TYPE = 0x05;
export const KYBER_KEY_TYPE = 0x08;
export const MAC_LENGTH = 8;
/** §6.2: SPQR V1, epoch 1, index 1, type None. */
export const SPQR_NONE_EPOCH1_INDEX1 = Uint8Array.of(0x01, 0x01, 0x01, 0x00);

const PQXDH_INFO = 'WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024';
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const NO_SALT = new Uint8Array(0);
const ZERO_SALT = new Uint8Array(32);

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `type ‖ raw`, the libsignal serialization of a typed key or ciphertext. */
export function typed(type: number, raw: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type), raw);
}

/** Strips and checks the type byte. */
export function untyped(type: number, bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== type) throw new Error(`expected type byte ${type}, got ${bytes[0]}`);
  return bytes.subarray(1);
}

// ---- Minimal protobuf (wire types 0 and 2 are all these messages use) ----

export type ProtoValue = number | Uint8Array;
export type ProtoField = readonly [field: number, value: ProtoValue];

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Encodes the fields in the order given (libsignal writes ascending field numbers, §3 / trap 16). */
export function encodeProto(fields: readonly ProtoField[]): Uint8Array {
  const out: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number') out.push(...varint(field * 8), ...varint(value));
    else out.push(...varint(field * 8 + 2), ...varint(value.length), ...value);
  }
  return Uint8Array.from(out);
}

/** Reads the unsigned varint at `offset`; returns it and the offset after it. */
function readVarint(bytes: Uint8Array, offset: number): [value: number, next: number] {
  let result = 0;
  let i = offset;
  for (let scale = 1; scale <= 2 ** 49; scale *= 0x80) {
    const b = bytes[i++];
    if (b === undefined) break;
    result += (b & 0x7f) * scale;
    if (b < 0x80) return [result, i];
  }
  throw new Error('bad varint');
}

export function decodeProto(bytes: Uint8Array): Map<number, ProtoValue> {
  const fields = new Map<number, ProtoValue>();
  let i = 0;
  while (i < bytes.length) {
    const [key, afterKey] = readVarint(bytes, i);
    const field = Math.floor(key / 8);
    switch (key % 8) {
      case 0: {
        const [value, next] = readVarint(bytes, afterKey);
        fields.set(field, value);
        i = next;
        break;
      }
      case 1:
        i = afterKey + 8; // fixed64 (a record's timestamp): skipped
        break;
      case 2: {
        const [length, start] = readVarint(bytes, afterKey);
        if (start + length > bytes.length) throw new Error('truncated field');
        fields.set(field, bytes.subarray(start, start + length));
        i = start + length;
        break;
      }
      default:
        throw new Error(`unsupported wire type ${key % 8}`);
    }
  }
  return fields;
}

function bytesField(fields: Map<number, ProtoValue>, n: number): Uint8Array {
  const v = fields.get(n);
  if (!(v instanceof Uint8Array)) throw new Error(`missing bytes field ${n}`);
  return v;
}

function uintField(fields: Map<number, ProtoValue>, n: number): number {
  const v = fields.get(n);
  if (typeof v !== 'number') throw new Error(`missing uint field ${n}`);
  return v;
}

// ---- Message parsing (§3, §4) ----

export interface ParsedPreKeyMessage {
  readonly preKeyId: number | undefined;
  /** Raw 32-byte X25519 keys (type byte stripped). */
  readonly baseKey: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
  /** Raw 1568-byte Kyber ciphertext (type byte stripped). */
  readonly kyberCiphertext: Uint8Array;
  /** The serialized inner SignalMessage, MAC included. */
  readonly message: Uint8Array;
}

export function parsePreKeyMessage(bytes: Uint8Array): ParsedPreKeyMessage {
  if (bytes[0] !== VERSION_BYTE) throw new Error('not a v4 PreKeySignalMessage');
  const f = decodeProto(bytes.subarray(1));
  const preKeyId = f.get(1);
  return {
    preKeyId: typeof preKeyId === 'number' ? preKeyId : undefined,
    baseKey: untyped(EC_KEY_TYPE, bytesField(f, 2)),
    identityKey: untyped(EC_KEY_TYPE, bytesField(f, 3)),
    message: bytesField(f, 4),
    signedPreKeyId: uintField(f, 6),
    kyberPreKeyId: uintField(f, 7),
    kyberCiphertext: untyped(KYBER_KEY_TYPE, bytesField(f, 8)),
  };
}

export interface ParsedSignalMessage {
  readonly ratchetKey: Uint8Array;
  readonly counter: number;
  readonly ciphertext: Uint8Array;
  readonly pqRatchet: Uint8Array;
  /** Version byte ‖ protobuf: what the MAC covers after the two identity keys. */
  readonly macInput: Uint8Array;
  readonly mac: Uint8Array;
}

export function parseSignalMessage(bytes: Uint8Array): ParsedSignalMessage {
  if (bytes[0] !== VERSION_BYTE || bytes.length < 1 + MAC_LENGTH) {
    throw new Error('not a v4 SignalMessage');
  }
  const macInput = bytes.subarray(0, bytes.length - MAC_LENGTH);
  const f = decodeProto(macInput.subarray(1));
  return {
    ratchetKey: untyped(EC_KEY_TYPE, bytesField(f, 1)),
    counter: uintField(f, 2),
    ciphertext: bytesField(f, 4),
    pqRatchet: bytesField(f, 5),
    macInput,
    mac: bytes.subarray(bytes.length - MAC_LENGTH),
  };
}

/** The (epoch, index) of an SPQR V1 message (§6.2 framing); chunk contents are ignored. */
export function spqrEpochIndex(pqRatchet: Uint8Array): { epoch: number; index: number } {
  if (pqRatchet[0] !== 0x01) throw new Error('not an SPQR V1 message');
  const [epoch, next] = readVarint(pqRatchet, 1);
  const [index] = readVarint(pqRatchet, next);
  return { epoch, index };
}

// ---- Key schedule (§1, §3, §4, §6.2) ----

export interface PqxdhSecrets {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
  /** SPQR authentication key, the input of the SPQR chain start. */
  readonly pqrKey: Uint8Array;
}

/** §3 step 3: HKDF(0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS). */
export function pqxdhKdf(
  p: OraclePrimitives,
  dhs: readonly Uint8Array[],
  kemSecret: Uint8Array,
): PqxdhSecrets {
  const ikm = concat(new Uint8Array(32).fill(0xff), ...dhs, kemSecret);
  const okm = p.hkdf('sha256', ikm, NO_SALT, utf8(PQXDH_INFO), 96);
  return {
    rootKey: okm.subarray(0, 32),
    chainKey: okm.subarray(32, 64),
    pqrKey: okm.subarray(64, 96),
  };
}

/** §4 root step: HKDF(salt = RK, ikm = DH, "WhisperRatchet", 64) → RK' ‖ CK. */
export function rootStep(
  p: OraclePrimitives,
  rootKey: Uint8Array,
  dh: Uint8Array,
): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const okm = p.hkdf('sha256', dh, rootKey, utf8('WhisperRatchet'), 64);
  return { rootKey: okm.subarray(0, 32), chainKey: okm.subarray(32, 64) };
}

/** §6.2: the epoch-0 SPQR key with the given index (1-based) on one direction's chain. */
export function spqrEpoch0Key(
  p: OraclePrimitives,
  pqrKey: Uint8Array,
  direction: 'a2b' | 'b2a',
  index: number,
): Uint8Array {
  const start = p.hkdf('sha256', pqrKey, ZERO_SALT, utf8('Signal PQ Ratchet V1 Chain  Start'), 96);
  let seed = direction === 'a2b' ? start.subarray(32, 64) : start.subarray(64, 96);
  let key: Uint8Array = new Uint8Array(0);
  for (let ctr = 1; ctr <= index; ctr++) {
    const info = concat(new Uint8Array(4), utf8('Signal PQ Ratchet V1 Chain Next'));
    new DataView(info.buffer).setUint32(0, ctr);
    const o = p.hkdf('sha256', seed, ZERO_SALT, info, 64);
    seed = o.subarray(0, 32);
    key = o.subarray(32, 64);
  }
  return key;
}

export interface MessageKeys {
  readonly cipherKey: Uint8Array;
  readonly macKey: Uint8Array;
  readonly iv: Uint8Array;
}

/** §4: keys of message `counter` of a chain; the SPQR key is the HKDF salt (trap 3). */
export function messageKeys(
  p: OraclePrimitives,
  chainKey: Uint8Array,
  counter: number,
  spqrKey: Uint8Array,
): MessageKeys {
  let ck = chainKey;
  for (let i = 0; i < counter; i++) ck = p.hmac('sha256', ck, Uint8Array.of(0x02));
  const seed = p.hmac('sha256', ck, Uint8Array.of(0x01));
  const okm = p.hkdf('sha256', seed, spqrKey, utf8('WhisperMessageKeys'), 80);
  return { cipherKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64), iv: okm.subarray(64, 80) };
}

/** §4 MAC: HMAC(macKey, senderIK(33) ‖ receiverIK(33) ‖ version ‖ protobuf), first 8 bytes. */
export function signalMac(
  p: OraclePrimitives,
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
  macInput: Uint8Array,
): Uint8Array {
  const data = concat(
    typed(EC_KEY_TYPE, senderIdentity),
    typed(EC_KEY_TYPE, receiverIdentity),
    macInput,
  );
  return p.hmac('sha256', macKey, data).subarray(0, MAC_LENGTH);
}

// ---- Bob: open the first message (§3 step 5, §4) ----

/** Bob's private keys, raw 32-byte X25519 scalars and the raw 3168-byte Kyber secret key. */
export interface ResponderKeys {
  readonly identityPrivate: Uint8Array;
  readonly signedPreKeyPrivate: Uint8Array;
  readonly oneTimePreKeyPrivate?: Uint8Array;
}

export interface OpenedFirstMessage {
  readonly kemSecret: Uint8Array;
  readonly macValid: boolean;
  /** Present only when the MAC verified. */
  readonly plaintext: Uint8Array | undefined;
}

export function openFirstMessage(
  p: OraclePrimitives,
  bob: ResponderKeys,
  preKeyMessage: Uint8Array,
  decapsulate: (kyberCiphertext: Uint8Array) => Uint8Array,
): OpenedFirstMessage {
  const outer = parsePreKeyMessage(preKeyMessage);
  const inner = parseSignalMessage(outer.message);
  const kemSecret = decapsulate(outer.kyberCiphertext);
  const dh = (priv: Uint8Array, pub: Uint8Array): Uint8Array => p.x25519.sharedSecret(priv, pub);
  const dhs = [
    dh(bob.signedPreKeyPrivate, outer.identityKey),
    dh(bob.identityPrivate, outer.baseKey),
    dh(bob.signedPreKeyPrivate, outer.baseKey),
  ];
  if (outer.preKeyId !== undefined) {
    if (bob.oneTimePreKeyPrivate === undefined) throw new Error('one-time prekey expected');
    dhs.push(dh(bob.oneTimePreKeyPrivate, outer.baseKey));
  }
  const secrets = pqxdhKdf(p, dhs, kemSecret);
  // Bob's signed prekey is his first ratchet key (§3 step 4): one receiving root step.
  const receiving = rootStep(p, secrets.rootKey, dh(bob.signedPreKeyPrivate, inner.ratchetKey));
  const { epoch, index } = spqrEpochIndex(inner.pqRatchet);
  if (epoch !== 1) throw new Error('oracle handles SPQR epoch 1 only');
  const spqrKey = spqrEpoch0Key(p, secrets.pqrKey, 'a2b', index);
  const keys = messageKeys(p, receiving.chainKey, inner.counter, spqrKey);
  const bobIdentity = p.x25519.publicKey(bob.identityPrivate);
  const mac = signalMac(p, keys.macKey, outer.identityKey, bobIdentity, inner.macInput);
  const macValid = equalBytes(mac, inner.mac);
  const plaintext = macValid
    ? p.aesCbcDecrypt(keys.cipherKey, keys.iv, inner.ciphertext)
    : undefined;
  return { kemSecret, macValid, plaintext };
}

// ---- Alice: build the first message (§3 steps 1–4, §4) ----

/** Bob's published keys, raw (no type bytes); ids as in his bundle. */
export interface RecipientBundle {
  readonly registrationId: number;
  readonly identityKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly signedPreKey: Uint8Array;
  readonly oneTimePreKey?: { readonly id: number; readonly publicKey: Uint8Array };
  readonly kyberPreKeyId: number;
}

export interface InitiatorInput {
  readonly registrationId: number;
  readonly identityPrivate: Uint8Array;
  readonly bundle: RecipientBundle;
  /** The result of encapsulating to Bob's Kyber prekey (raw ciphertext, 32-byte secret). */
  readonly encapsulation: { readonly ciphertext: Uint8Array; readonly sharedSecret: Uint8Array };
  readonly plaintext: Uint8Array;
}

/** A PreKeySignalMessage carrying one SignalMessage with counter 0 and an SPQR None header. */
export function buildFirstMessage(p: OraclePrimitives, a: InitiatorInput): Uint8Array {
  const { bundle } = a;
  const base = p.x25519.generateKeyPair();
  const dh = (priv: Uint8Array, pub: Uint8Array): Uint8Array => p.x25519.sharedSecret(priv, pub);
  const dhs = [
    dh(a.identityPrivate, bundle.signedPreKey),
    dh(base.privateKey, bundle.identityKey),
    dh(base.privateKey, bundle.signedPreKey),
  ];
  if (bundle.oneTimePreKey) dhs.push(dh(base.privateKey, bundle.oneTimePreKey.publicKey));
  const secrets = pqxdhKdf(p, dhs, a.encapsulation.sharedSecret);
  const ratchet = p.x25519.generateKeyPair();
  const sending = rootStep(p, secrets.rootKey, dh(ratchet.privateKey, bundle.signedPreKey));
  const spqrKey = spqrEpoch0Key(p, secrets.pqrKey, 'a2b', 1);
  const keys = messageKeys(p, sending.chainKey, 0, spqrKey);
  const ciphertext = p.aesCbcEncrypt(keys.cipherKey, keys.iv, a.plaintext);
  const macInput = concat(
    Uint8Array.of(VERSION_BYTE),
    encodeProto([
      [1, typed(EC_KEY_TYPE, ratchet.publicKey)],
      [2, 0],
      [3, 0],
      [4, ciphertext],
      [5, SPQR_NONE_EPOCH1_INDEX1],
    ]),
  );
  const identityPublic = p.x25519.publicKey(a.identityPrivate);
  const mac = signalMac(p, keys.macKey, identityPublic, bundle.identityKey, macInput);
  const fields: ProtoField[] = [];
  if (bundle.oneTimePreKey) fields.push([1, bundle.oneTimePreKey.id]);
  fields.push(
    [2, typed(EC_KEY_TYPE, base.publicKey)],
    [3, typed(EC_KEY_TYPE, identityPublic)],
    [4, concat(macInput, mac)],
    [5, a.registrationId],
    [6, bundle.signedPreKeyId],
    [7, bundle.kyberPreKeyId],
    [8, typed(KYBER_KEY_TYPE, a.encapsulation.ciphertext)],
  );
  return concat(Uint8Array.of(VERSION_BYTE), encodeProto(fields));
}
