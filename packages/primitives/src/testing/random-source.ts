import type { Primitives } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBytes } from './check.js';

/** A deterministic byte stream (a counter), standing in for a seeded test RNG. */
function counterSource(): (length: number) => Uint8Array {
  let next = 0;
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff);
}

/**
 * Checks that a backend draws all its randomness from the injected source, so tests that pass a
 * seeded source get reproducible keys and signatures. `create` builds the backend from options.
 */
export function randomSourceCases(
  create: (options: { randomBytes: (length: number) => Uint8Array }) => Primitives,
): ConformanceCase[] {
  return [
    {
      name: 'an injected randomBytes makes key generation, signing and KEMs reproducible',
      run: () => {
        const a = create({ randomBytes: counterSource() });
        const b = create({ randomBytes: counterSource() });
        const message = Uint8Array.of(1, 2, 3);
        const x = a.x25519.generateKeyPair();
        expectBytes(b.x25519.generateKeyPair().privateKey, x.privateKey, 'X25519 key');
        expectBytes(
          b.ed25519.generateKeyPair().privateKey,
          a.ed25519.generateKeyPair().privateKey,
          'Ed25519 key',
        );
        expectBytes(
          b.xeddsa.sign(x.privateKey, message),
          a.xeddsa.sign(x.privateKey, message),
          'XEdDSA signature',
        );
        for (const kem of ['kyber1024', 'ml-kem-768', 'ml-kem-1024'] as const) {
          const pair = a.kem[kem].generateKeyPair();
          expectBytes(b.kem[kem].generateKeyPair().publicKey, pair.publicKey, `${kem} key`);
          expectBytes(
            b.kem[kem].encapsulate(pair.publicKey).ciphertext,
            a.kem[kem].encapsulate(pair.publicKey).ciphertext,
            `${kem} ciphertext`,
          );
        }
        expectBytes(b.randomBytes(16), a.randomBytes(16), 'randomBytes');
      },
    },
  ];
}
