import { fromHex, toHex } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { vrfProofToHash, vrfProve, vrfPublicKey, vrfVerify } from '../ecvrf.js';
import { expectHex, type KeyTransCase } from './case.js';

interface VrfVector {
  readonly name: string;
  readonly sk: string;
  readonly pk: string;
  readonly alpha: string;
  readonly pi: string;
  readonly beta: string;
}

/** RFC 9381 Appendix B.3 cases (the parsed `vectors/rfc9381-edwards25519-sha512-tai.json`). */
export function vrfCases(primitives: Primitives, file: unknown): KeyTransCase[] {
  const sha512 = (d: Uint8Array): Uint8Array => primitives.hash('sha512', d);
  const vectors = (file as { vectors: VrfVector[] }).vectors;
  return vectors.map((v) => ({
    name: `RFC 9381 B.3 ${v.name}`,
    run() {
      const sk = fromHex(v.sk);
      const alpha = fromHex(v.alpha);
      expectHex('public key', toHex(vrfPublicKey(sha512, sk)), v.pk);
      expectHex('pi', toHex(vrfProve(sha512, sk, alpha)), v.pi);
      expectHex('beta', toHex(vrfProofToHash(sha512, fromHex(v.pi))), v.beta);
      expectHex(
        'verify',
        toHex(vrfVerify(sha512, fromHex(v.pk), alpha, fromHex(v.pi)) ?? new Uint8Array()),
        v.beta,
      );
    },
  }));
}
