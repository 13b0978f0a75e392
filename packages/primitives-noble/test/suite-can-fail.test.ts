/**
 * Proof that the shared suite can fail: a noble backend with one method broken must fail the
 * cases that cover that method (and only those we name), and the Wycheproof runner must count
 * the damage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadJsonVector } from '@parley/conformance';
import { PrimitivesError, type Primitives } from '@parley/primitives';
import { primitivesConformance, runWycheproof } from '@parley/primitives/testing';
import { createNoblePrimitives } from '@parley/primitives-noble';

function failingCases(p: Primitives, nameIncludes: string): { failed: string[]; ran: number } {
  const cases = primitivesConformance(p).filter((c) => c.name.includes(nameIncludes));
  const failed: string[] = [];
  for (const c of cases) {
    try {
      c.run();
    } catch {
      failed.push(c.name);
    }
  }
  return { failed, ran: cases.length };
}

function flipFirstBit(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[0] = (out[0] ?? 0) ^ 1;
  return out;
}

const good = createNoblePrimitives();

test('the unbroken backend passes the cases these tests break', () => {
  for (const part of ['SHA256', 'XEdDSA', 'X25519', 'AEAD chacha20-poly1305', 'ML-KEM-768']) {
    assert.deepEqual(failingCases(good, part).failed, [], part);
  }
});

test('a SHA-256 that returns wrong bytes fails the FIPS 180-4 SHA-256 cases', () => {
  const broken: Primitives = {
    ...good,
    hash: (algorithm, data) =>
      algorithm === 'sha256'
        ? flipFirstBit(good.hash(algorithm, data))
        : good.hash(algorithm, data),
  };
  const { failed, ran } = failingCases(broken, 'FIPS 180-4 SHA256');
  assert.equal(ran, 2);
  assert.equal(failed.length, ran);
  assert.deepEqual(failingCases(broken, 'FIPS 180-4 SHA512').failed, []);
});

test('an XEdDSA verify that accepts everything fails the rejection cases', () => {
  const broken: Primitives = { ...good, xeddsa: { ...good.xeddsa, verify: () => true } };
  const { failed } = failingCases(broken, 'XEdDSA');
  for (const expected of [
    'bit 0 flipped is rejected',
    'every flipped signature bit',
    'top three bits',
    'wrong key rejected',
  ]) {
    assert.ok(
      failed.some((name) => name.includes(expected)),
      `no failing case mentions "${expected}"`,
    );
  }
});

test('an X25519 that skips the zero check fails RFC 7748 §6.1', () => {
  const broken: Primitives = {
    ...good,
    x25519: { ...good.x25519, sharedSecret: () => new Uint8Array(32) },
  };
  assert.equal(failingCases(broken, 'RFC 7748 §6.1 zero check').failed.length, 1);
  assert.equal(failingCases(broken, 'RFC 7748 §5.2 X25519 test vector 1').failed.length, 1);
});

test('an AEAD whose open skips authentication fails the tamper case', () => {
  const aead = good.aead['chacha20-poly1305'];
  const broken: Primitives = {
    ...good,
    aead: {
      ...good.aead,
      'chacha20-poly1305': {
        ...aead,
        open: (key, nonce, sealed, aad) => {
          try {
            return aead.open(key, nonce, sealed, aad);
          } catch (error) {
            if (!(error instanceof PrimitivesError) || error.code !== 'DECRYPT_FAILED') throw error;
            return sealed.subarray(0, Math.max(0, sealed.length - aead.tagLength));
          }
        },
      },
    },
  };
  const { failed } = failingCases(broken, 'AEAD chacha20-poly1305');
  assert.deepEqual(failed, ['AEAD chacha20-poly1305: any tampering gives DECRYPT_FAILED']);
});

test('an ML-KEM-768 decapsulation that returns wrong bytes fails round trip and Wycheproof', () => {
  const kem = good.kem['ml-kem-768'];
  const broken: Primitives = {
    ...good,
    kem: {
      ...good.kem,
      'ml-kem-768': { ...kem, decapsulate: (c, sk) => flipFirstBit(kem.decapsulate(c, sk)) },
    },
  };
  assert.ok(failingCases(broken, 'ML-KEM-768').failed.length >= 2);
  const file = loadJsonVector('wycheproof/mlkem_768_test.json');
  if (!file.found) assert.fail(file.reason);
  const result = runWycheproof('mlkem_768_test.json', file.data, broken);
  assert.equal(result.passed + result.failed + result.skipped, result.numberOfTests);
  // Every valid test decapsulates; the 40 invalid ones are rejected before the broken step.
  assert.ok(result.failed > 0 && result.failures.every((f) => f.includes(': K ')));
});

test('an X25519 that returns wrong bytes fails Wycheproof valid and acceptable tests', () => {
  const broken: Primitives = {
    ...good,
    x25519: {
      ...good.x25519,
      sharedSecret: (k, u) => flipFirstBit(good.x25519.sharedSecret(k, u)),
    },
  };
  const file = loadJsonVector('wycheproof/x25519_test.json');
  if (!file.found) assert.fail(file.reason);
  const result = runWycheproof('x25519_test.json', file.data, broken);
  assert.equal(result.passed + result.failed + result.skipped, result.numberOfTests);
  // Only the all-zero outputs (rejected before the wrong bytes) still pass.
  assert.ok(result.failed > 0 && result.passed < result.numberOfTests / 2);
});

test('an AES-CTR stream that restarts its keystream at every update fails the stream cases', () => {
  const broken: Primitives = {
    ...good,
    createAesCtr: (key, iv) => ({
      update(input, output) {
        const bytes = good.aesCtr(key, iv, input);
        if (output === undefined) return bytes;
        output.set(bytes);
        return output.subarray(0, input.length);
      },
    }),
  };
  const { failed, ran } = failingCases(broken, 'createAesCtr');
  assert.equal(ran, 4);
  assert.deepEqual(failed, [
    'createAesCtr: NIST SP 800-38A F.5.5 in pieces of any size, across block boundaries',
    'createAesCtr: equals aesCtr across the 128-bit counter wrap, at any split',
    'createAesCtr: output given, in place, unaligned or not given; the input is left alone',
    'createAesCtr: bad key or IV refused; a short output gives INVALID_LENGTH and changes nothing',
  ]);
});
