import { webcrypto } from 'node:crypto';
import { PrivateKey } from '@signalapp/libsignal-client';
import type { Benchmark } from './harness.js';

const subtle = webcrypto.subtle;
const enc = new TextEncoder();
const INFO_MESSAGE_KEYS = enc.encode('WhisperMessageKeys');

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

/**
 * The same Double Ratchet message as `ratchetMessage`, on Node's asynchronous WebCrypto: the
 * alternative that the synchronous Primitives interface was chosen over.
 */
function webCryptoRatchetMessage(payload: Uint8Array): () => Promise<Uint8Array> {
  let chainKey: Uint8Array = webcrypto.getRandomValues(new Uint8Array(32));
  const spqrKey = webcrypto.getRandomValues(new Uint8Array(32));
  const identities = webcrypto.getRandomValues(new Uint8Array(66));
  return async () => {
    const seed = await hmac(chainKey, Uint8Array.of(1));
    chainKey = await hmac(chainKey, Uint8Array.of(2));
    const ikm = await subtle.importKey('raw', seed, 'HKDF', false, ['deriveBits']);
    const keys = new Uint8Array(
      await subtle.deriveBits(
        { name: 'HKDF', hash: 'SHA-256', salt: spqrKey, info: INFO_MESSAGE_KEYS },
        ikm,
        640,
      ),
    );
    const aes = await subtle.importKey('raw', keys.subarray(0, 32), 'AES-CBC', false, ['encrypt']);
    const ciphertext = new Uint8Array(
      await subtle.encrypt({ name: 'AES-CBC', iv: keys.subarray(64, 80) }, aes, payload),
    );
    const macInput = new Uint8Array(identities.length + 1 + ciphertext.length);
    macInput.set(identities, 0);
    macInput[identities.length] = 0x44;
    macInput.set(ciphertext, identities.length + 1);
    return (await hmac(keys.subarray(32, 64), macInput)).subarray(0, 8);
  };
}

/** Peers measured in the same run: libsignal-client's native code and Node's WebCrypto. */
export function peerBenchmarks(): Benchmark[] {
  const payload = webcrypto.getRandomValues(new Uint8Array(100));
  const msg = webcrypto.getRandomValues(new Uint8Array(32));
  const a = PrivateKey.generate();
  const b = PrivateKey.generate().getPublicKey();
  const sig = a.sign(msg);
  const pub = a.getPublicKey();
  return [
    { group: 'x25519 keygen', subject: 'libsignal', run: () => PrivateKey.generate() },
    { group: 'x25519 dh', subject: 'libsignal', run: () => a.agree(b) },
    { group: 'xeddsa sign 32 B', subject: 'libsignal', run: () => a.sign(msg) },
    { group: 'xeddsa verify 32 B', subject: 'libsignal', run: () => pub.verify(msg, sig) },
    {
      group: 'double ratchet message 100 B',
      subject: 'webcrypto-async',
      run: webCryptoRatchetMessage(payload),
    },
  ];
}
