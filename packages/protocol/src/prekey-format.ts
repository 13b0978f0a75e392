/**
 * Stored forms of the identity key pair and the three prekey records: a format version byte,
 * then a fixed layout (big-endian, keys raw). Version 1 is pinned by
 * `test/fixtures/prekey-records-v1.json`.
 *
 * ```
 * identity     = u8 version(1) ‖ public(32) ‖ private(32)
 * prekey       = u8 version(1) ‖ u32 id ‖ public(32) ‖ private(32)
 * signed       = u8 version(1) ‖ u32 id ‖ public(32) ‖ private(32) ‖ signature(64) ‖ u64 createdAt
 * kyber        = u8 version(1) ‖ u32 id ‖ public(1568) ‖ secret(3168) ‖ signature(64) ‖
 *                u64 createdAt ‖ u8 lastResort
 * ```
 */
import { KYBER_PUBLIC_KEY_LENGTH, KYBER_SECRET_KEY_LENGTH, SIGNATURE_LENGTH } from './constants.js';
import {
  asKyberPublicKey,
  asKyberSecretKey,
  asPrivateKey,
  type IdentityKeyPair,
  type KeyPair,
} from './keys.js';
import type { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './prekeys.js';
import { KEY, Reader, U32, Writer } from './record-codec.js';

export const PREKEY_RECORD_FORMAT_VERSION = 1;
const V = PREKEY_RECORD_FORMAT_VERSION;
const PAIR = 2 * KEY;
const TIME = 2 * U32;

function writePair(w: Writer, pair: KeyPair): void {
  w.key(pair.publicKey);
  w.key(pair.privateKey);
}

function readPair(r: Reader): KeyPair {
  return { publicKey: r.publicKey(), privateKey: asPrivateKey(r.key()) };
}

function parse<T>(bytes: Uint8Array, kind: string, read: (r: Reader) => T): T {
  const r = new Reader(bytes, kind);
  r.version(V);
  const value = read(r);
  r.end();
  return value;
}

export function serializeIdentityKeyPair(pair: IdentityKeyPair): Uint8Array {
  const w = new Writer(1 + PAIR);
  w.u8(V);
  writePair(w, pair);
  return w.finish();
}

export function deserializeIdentityKeyPair(bytes: Uint8Array): IdentityKeyPair {
  return parse(bytes, 'identity key pair', readPair);
}

export function serializePreKeyRecord(record: PreKeyRecord): Uint8Array {
  const w = new Writer(1 + U32 + PAIR);
  w.u8(V);
  w.u32(record.id);
  writePair(w, record.keyPair);
  return w.finish();
}

export function deserializePreKeyRecord(bytes: Uint8Array): PreKeyRecord {
  return parse(bytes, 'prekey record', (r) => ({ id: r.u32(), keyPair: readPair(r) }));
}

export function serializeSignedPreKeyRecord(record: SignedPreKeyRecord): Uint8Array {
  const w = new Writer(1 + U32 + PAIR + SIGNATURE_LENGTH + TIME);
  w.u8(V);
  w.u32(record.id);
  writePair(w, record.keyPair);
  w.key(record.signature);
  w.time(record.createdAt);
  return w.finish();
}

export function deserializeSignedPreKeyRecord(bytes: Uint8Array): SignedPreKeyRecord {
  return parse(bytes, 'signed prekey record', (r) => ({
    id: r.u32(),
    keyPair: readPair(r),
    signature: r.bytes(SIGNATURE_LENGTH),
    createdAt: r.time(),
  }));
}

export function serializeKyberPreKeyRecord(record: KyberPreKeyRecord): Uint8Array {
  const w = new Writer(
    1 + U32 + KYBER_PUBLIC_KEY_LENGTH + KYBER_SECRET_KEY_LENGTH + SIGNATURE_LENGTH + TIME + 1,
  );
  w.u8(V);
  w.u32(record.id);
  w.key(record.keyPair.publicKey);
  w.key(record.keyPair.secretKey);
  w.key(record.signature);
  w.time(record.createdAt);
  w.u8(record.lastResort ? 1 : 0);
  return w.finish();
}

export function deserializeKyberPreKeyRecord(bytes: Uint8Array): KyberPreKeyRecord {
  return parse(bytes, 'Kyber prekey record', (r) => ({
    id: r.u32(),
    keyPair: {
      publicKey: asKyberPublicKey(r.bytes(KYBER_PUBLIC_KEY_LENGTH)),
      secretKey: asKyberSecretKey(r.bytes(KYBER_SECRET_KEY_LENGTH)),
    },
    signature: r.bytes(SIGNATURE_LENGTH),
    createdAt: r.time(),
    lastResort: r.flag(),
  }));
}
