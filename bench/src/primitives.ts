import type { Primitives } from '@parley/primitives';
import type { Benchmark } from './harness.js';

const enc = new TextEncoder();
const INFO_MESSAGE_KEYS = enc.encode('WhisperMessageKeys');
const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);

/**
 * The primitives one Double Ratchet message costs (specs/signal-v4-wire.md §4): two HMAC chain
 * steps, an 80-byte HKDF salted with the SPQR key, AES-256-CBC of the payload, and the MAC over
 * both identity keys, the version byte and the message.
 */
export function ratchetMessage(p: Primitives, payload: Uint8Array): () => Uint8Array {
  let chainKey = p.randomBytes(32);
  const spqrKey = p.randomBytes(32);
  const identities = p.randomBytes(66);
  return () => {
    const seed = p.hmac('sha256', chainKey, ONE);
    chainKey = p.hmac('sha256', chainKey, TWO);
    const keys = p.hkdf('sha256', seed, spqrKey, INFO_MESSAGE_KEYS, 80);
    const ciphertext = p.aesCbcEncrypt(keys.subarray(0, 32), keys.subarray(64, 80), payload);
    const macInput = new Uint8Array(identities.length + 1 + ciphertext.length);
    macInput.set(identities, 0);
    macInput[identities.length] = 0x44;
    macInput.set(ciphertext, identities.length + 1);
    return p.hmac('sha256', keys.subarray(32, 64), macInput).subarray(0, 8);
  };
}

const INFO_SPQR_NEXT = enc.encode('Signal PQ Ratchet V1 Chain Next');
const ZERO_SALT = new Uint8Array(32);

/**
 * What one message costs a sender in Signal v4 as libsignal 0.103 speaks it: the Double Ratchet
 * message above plus the SPQR chain step whose key salts the message-key HKDF (a 64-byte HKDF
 * per message, spec §6.2). A receiver does the same calls, AES decryption instead.
 */
export function signalMessage(p: Primitives, payload: Uint8Array): () => Uint8Array {
  const ratchet = ratchetMessage(p, payload);
  let seed = p.randomBytes(32);
  const info = new Uint8Array(4 + INFO_SPQR_NEXT.length);
  info.set(INFO_SPQR_NEXT, 4);
  let index = 0;
  return () => {
    index++;
    new DataView(info.buffer).setUint32(0, index);
    seed = p.hkdf('sha256', seed, ZERO_SALT, info, 64).slice(0, 32);
    return ratchet();
  };
}

/** One benchmark per primitive operation for a backend. */
export function primitiveBenchmarks(p: Primitives): Benchmark[] {
  const subject = p.backend;
  const r32 = p.randomBytes(32);
  const m64 = p.randomBytes(64);
  const m100 = p.randomBytes(100);
  const iv16 = p.randomBytes(16);
  const n12 = p.randomBytes(12);
  const n24 = p.randomBytes(24);
  const x = p.x25519.generateKeyPair();
  const peer = p.x25519.generateKeyPair();
  const ed = p.ed25519.generateKeyPair();
  const edSig = p.ed25519.sign(ed.privateKey, r32);
  const xsig = p.xeddsa.sign(x.privateKey, r32);
  const cbc = p.aesCbcEncrypt(r32, iv16, m100);
  const gcm = p.aead['aes-gcm'].seal(r32, n12, m100);
  const list: [string, () => unknown][] = [
    ['sha256 64 B', () => p.hash('sha256', m64)],
    ['sha512 64 B', () => p.hash('sha512', m64)],
    ['hmac-sha256 64 B', () => p.hmac('sha256', r32, m64)],
    ['hkdf-sha256 → 80 B', () => p.hkdf('sha256', r32, r32, m64, 80)],
    ['aes-256-cbc encrypt 100 B', () => p.aesCbcEncrypt(r32, iv16, m100)],
    ['aes-256-cbc decrypt 100 B', () => p.aesCbcDecrypt(r32, iv16, cbc)],
    ['aes-256-ctr 100 B', () => p.aesCtr(r32, iv16, m100)],
    ['aes-256-gcm seal 100 B', () => p.aead['aes-gcm'].seal(r32, n12, m100)],
    ['aes-256-gcm open 100 B', () => p.aead['aes-gcm'].open(r32, n12, gcm)],
    ['aes-256-gcm-siv seal 100 B', () => p.aead['aes-gcm-siv'].seal(r32, n12, m100)],
    ['chacha20-poly1305 seal 100 B', () => p.aead['chacha20-poly1305'].seal(r32, n12, m100)],
    ['xchacha20-poly1305 seal 100 B', () => p.aead['xchacha20-poly1305'].seal(r32, n24, m100)],
    ['x25519 keygen', () => p.x25519.generateKeyPair()],
    // The node backend keeps each key array's KeyObject while the array lives (as libsignal
    // keeps parsed keys): `x25519 dh` reuses both arrays, the next row brings new ones each time,
    // as a key read from a stored record does.
    ['x25519 dh', () => p.x25519.sharedSecret(x.privateKey, peer.publicKey)],
    [
      'x25519 dh, new key arrays',
      () => p.x25519.sharedSecret(Uint8Array.from(x.privateKey), Uint8Array.from(peer.publicKey)),
    ],
    ['ed25519 sign 32 B', () => p.ed25519.sign(ed.privateKey, r32)],
    ['ed25519 verify 32 B', () => p.ed25519.verify(ed.publicKey, r32, edSig)],
    ['xeddsa sign 32 B', () => p.xeddsa.sign(x.privateKey, r32)],
    ['xeddsa verify 32 B', () => p.xeddsa.verify(x.publicKey, r32, xsig)],
    [
      'xeddsa verify 32 B, new key array',
      () => p.xeddsa.verify(Uint8Array.from(x.publicKey), r32, xsig),
    ],
  ];
  for (const name of ['kyber1024', 'ml-kem-768', 'ml-kem-1024'] as const) {
    const kem = p.kem[name];
    const kp = kem.generateKeyPair();
    const { ciphertext } = kem.encapsulate(kp.publicKey);
    list.push([`${name} keygen`, () => kem.generateKeyPair()]);
    list.push([`${name} encaps`, () => kem.encapsulate(kp.publicKey)]);
    list.push([`${name} decaps`, () => kem.decapsulate(ciphertext, kp.secretKey)]);
  }
  list.push(['double ratchet message 100 B', ratchetMessage(p, m100)]);
  list.push(['signal message 100 B (with SPQR)', signalMessage(p, m100)]);
  return list.map(([group, run]) => ({ group, subject, run }));
}
