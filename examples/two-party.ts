import { createNodePrimitives } from '@parley/primitives-node';

const p = createNodePrimitives();
const utf8 = new TextEncoder();
const alice = p.x25519.generateKeyPair();
const bob = p.x25519.generateKeyPair();
const deriveKey = (dh: Uint8Array) =>
  p.hkdf('sha256', dh, new Uint8Array(0), utf8.encode('demo'), 32);
const aead = p.aead['chacha20-poly1305'];

// Alice: a key from X25519, the message sealed, the ciphertext signed with her XEdDSA key.
const nonce = p.randomBytes(aead.nonceLength);
const key = deriveKey(p.x25519.sharedSecret(alice.privateKey, bob.publicKey));
const sealed = aead.seal(key, nonce, utf8.encode('hello, Bob'));
const signature = p.xeddsa.sign(alice.privateKey, sealed);

// Bob: checks the signature, derives the same key, opens the message.
if (!p.xeddsa.verify(alice.publicKey, sealed, signature)) throw new Error('bad signature');
const bobKey = deriveKey(p.x25519.sharedSecret(bob.privateKey, alice.publicKey));
export const received = new TextDecoder().decode(aead.open(bobKey, nonce, sealed));
console.log(received); // hello, Bob
