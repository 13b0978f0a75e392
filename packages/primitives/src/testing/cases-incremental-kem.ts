import type { Primitives } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBytes, expectDifferent, expectEqual, expectError, expectTrue } from './check.js';
import { concat, counting, flipBit } from './test-bytes.js';

const LABEL = 'Incremental ML-KEM-768';
/** How many random key pairs the agreement case draws. */
const RANDOM_KEYS = 8;

/**
 * Incremental ML-KEM-768 against whole-key ML-KEM-768 (FIPS 203) of the same backend: sizes,
 * agreement on random keys in both directions, determinism and the header check. The
 * Wycheproof ML-KEM-768 runners add every official vector.
 */
export function incrementalKemCases(p: Primitives): ConformanceCase[] {
  const inc = p.incrementalMlKem768;
  const whole = p.kem['ml-kem-768'];
  /** The expanded form of a decapsulation key in either form. */
  const expandedKey = (dk: Uint8Array): Uint8Array =>
    dk.length === inc.decapsulationSeedLength ? whole.generateKeyPair(dk).secretKey : dk;
  return [
    {
      name: `${LABEL}: sizes 64/1152/2400 (or a 64-byte seed) and ciphertext parts 960/128`,
      run: () => {
        expectEqual(inc.headerLength, 64, 'headerLength');
        expectEqual(inc.encapsulationKeyLength, 1152, 'encapsulationKeyLength');
        expectEqual(inc.decapsulationKeyLength, 2400, 'decapsulationKeyLength');
        expectEqual(inc.decapsulationSeedLength, 64, 'decapsulationSeedLength');
        expectEqual(inc.ciphertext1Length, 960, 'ciphertext1Length');
        expectEqual(inc.ciphertext2Length, 128, 'ciphertext2Length');
        expectEqual(inc.sharedSecretLength, 32, 'sharedSecretLength');
      },
    },
    {
      name: `${LABEL}: agrees with whole-key ML-KEM-768 on random keys, both ways`,
      run: () => {
        for (let i = 0; i < RANDOM_KEYS; i++) {
          const keys = inc.generateKeyPair();
          expectTrue(
            inc.encapsulationKeyMatches(keys.header, keys.encapsulationKey),
            'key matches its header',
          );
          const publicKey = concat(keys.encapsulationKey, keys.header.subarray(0, 32));
          const first = inc.encapsulate1(keys.header);
          const ct2 = inc.encapsulate2(first.state, keys.encapsulationKey);
          const ciphertext = concat(first.ciphertext1, ct2);
          expectTrue(
            [inc.decapsulationKeyLength, inc.decapsulationSeedLength].includes(
              keys.decapsulationKey.length,
            ),
            'decapsulation key expanded or a seed',
          );
          expectBytes(
            whole.decapsulate(ciphertext, expandedKey(keys.decapsulationKey)),
            first.sharedSecret,
            'whole-key decapsulation of ct1 ‖ ct2',
          );
          const m = p.randomBytes(32);
          const standard = whole.encapsulate(publicKey, m);
          const again = inc.encapsulate1(keys.header, m);
          expectBytes(
            concat(again.ciphertext1, inc.encapsulate2(again.state, keys.encapsulationKey)),
            standard.ciphertext,
            'ct1 ‖ ct2 against whole-key encapsulation',
          );
          expectBytes(again.sharedSecret, standard.sharedSecret, 'secret');
          const cut = inc.ciphertext1Length;
          expectBytes(
            inc.decapsulate(
              standard.ciphertext.subarray(0, cut),
              standard.ciphertext.subarray(cut),
              keys.decapsulationKey,
            ),
            standard.sharedSecret,
            'incremental decapsulation of a whole-key ciphertext',
          );
        }
      },
    },
    {
      name: `${LABEL}: deterministic in its seeds, equal to whole-key key generation`,
      run: () => {
        const seed = counting(0x21, 64);
        const a = inc.generateKeyPair(seed);
        const w = whole.generateKeyPair(Uint8Array.from(seed));
        const split = inc.splitPublicKey(w.publicKey);
        expectBytes(a.header, split.header, 'header');
        expectBytes(a.encapsulationKey, split.encapsulationKey, 'vector part');
        expectBytes(
          a.decapsulationKey,
          a.decapsulationKey.length === inc.decapsulationSeedLength ? seed : w.secretKey,
          'decapsulation key (expanded, or the seed itself)',
        );
        const m = counting(0x90, 32);
        const one = inc.encapsulate1(a.header, m);
        const two = inc.encapsulate1(a.header, Uint8Array.from(m));
        expectBytes(two.ciphertext1, one.ciphertext1, 'ct1 from the same m');
        expectBytes(two.sharedSecret, one.sharedSecret, 'secret from the same m');
      },
    },
    {
      name: `${LABEL}: decapsulates under the seed and under the expanded key alike`,
      run: () => {
        const seed = counting(0x47, 64);
        const expanded = whole.generateKeyPair(Uint8Array.from(seed));
        const keys = inc.generateKeyPair(Uint8Array.from(seed));
        const first = inc.encapsulate1(keys.header);
        const ct2 = inc.encapsulate2(first.state, keys.encapsulationKey);
        expectBytes(inc.decapsulate(first.ciphertext1, ct2, seed), first.sharedSecret, 'seed');
        expectBytes(
          inc.decapsulate(first.ciphertext1, ct2, expanded.secretKey),
          first.sharedSecret,
          'expanded key',
        );
        const bad = flipBit(ct2, 5);
        expectBytes(
          inc.decapsulate(first.ciphertext1, bad, seed),
          inc.decapsulate(first.ciphertext1, bad, expanded.secretKey),
          'the same implicit rejection under both forms',
        );
        expectError(
          () => inc.decapsulate(first.ciphertext1, ct2, seed.subarray(1)),
          'INVALID_KEY',
          'a key of neither length',
        );
      },
    },
    {
      name: `${LABEL}: a key of another header, or out of range, is refused`,
      run: () => {
        const a = inc.generateKeyPair();
        const b = inc.generateKeyPair();
        expectTrue(!inc.encapsulationKeyMatches(a.header, b.encapsulationKey), 'foreign key');
        expectTrue(
          !inc.encapsulationKeyMatches(flipBit(a.header, 3), a.encapsulationKey),
          'modified ρ',
        );
        const first = inc.encapsulate1(a.header);
        expectError(
          () => inc.encapsulate2(first.state, b.encapsulationKey),
          'INVALID_KEY',
          'encapsulate2 with a foreign key',
        );
        const unreduced = Uint8Array.from(a.encapsulationKey);
        unreduced[0] = 0xff;
        unreduced[1] = (unreduced[1] ?? 0) | 0x0f;
        expectTrue(!inc.encapsulationKeyMatches(a.header, unreduced), 'unreduced coefficient');
        const rejected = inc.decapsulate(
          flipBit(first.ciphertext1, 9),
          inc.encapsulate2(first.state, a.encapsulationKey),
          a.decapsulationKey,
        );
        expectDifferent(rejected, first.sharedSecret, 'implicit rejection');
        expectError(() => inc.encapsulate1(a.header.subarray(1)), 'INVALID_KEY', 'short header');
      },
    },
  ];
}
