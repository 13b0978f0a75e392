import { PrimitivesError, type PrimitivesErrorCode } from '../errors.js';
import type { AeadAlgorithm, KemAlgorithm, Primitives } from '../primitives.js';
import { attempt, describeError } from './check.js';
import { bytesEqual, concat, firstDifference, isAllZero } from './test-bytes.js';
import {
  asObject,
  getHex,
  getNumber,
  getOptionalHex,
  getString,
  type JsonObject,
} from './wycheproof-json.js';

/** What a test must do once `acceptable` has been decided: succeed exactly, or be rejected. */
export type Expectation = 'valid' | 'invalid';

/** The outcome of one Wycheproof test. */
export type Verdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'fail'; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string; readonly documented: boolean };

/** One test with its group and what it must do. */
export interface TestContext {
  readonly group: JsonObject;
  readonly test: JsonObject;
  readonly expect: Expectation;
  readonly flags: readonly string[];
}

/** Runs one test of a schema against a backend. */
export type TestRunner = (p: Primitives, c: TestContext) => Verdict;

const PASS: Verdict = { kind: 'pass' };
const BITS_PER_BYTE = 8;
/** The interface fixes every AEAD tag at 128 bits. */
const AEAD_TAG_BITS = 128;

const UNKNOWN_PARAMETER_SET: Verdict = {
  kind: 'skip',
  reason: 'parameter set not in the interface',
  documented: false,
};

function fail(reason: string): Verdict {
  return { kind: 'fail', reason };
}

function compare(actual: Uint8Array, expected: Uint8Array, what: string): Verdict {
  if (bytesEqual(actual, expected)) return PASS;
  return actual.length === expected.length
    ? fail(`${what} differs from byte ${firstDifference(actual, expected)}`)
    : fail(`${what} has ${actual.length} bytes, expected ${expected.length}`);
}

function produces(fn: () => Uint8Array, expected: Uint8Array, what: string): Verdict {
  const outcome = attempt(fn);
  if (!outcome.ok) return fail(`${what} threw ${describeError(outcome.error)}`);
  return compare(outcome.value, expected, what);
}

function rejects(fn: () => unknown, what: string, code?: PrimitivesErrorCode): Verdict {
  const outcome = attempt(fn);
  if (outcome.ok) return fail(`${what} accepted an invalid input`);
  if (!(outcome.error instanceof PrimitivesError))
    return fail(`${what} threw ${describeError(outcome.error)}`);
  if (code !== undefined && outcome.error.code !== code) {
    return fail(`${what} rejected with ${outcome.error.code}, expected ${code}`);
  }
  return PASS;
}

/** The first failing verdict, else pass. */
function all(...verdicts: readonly Verdict[]): Verdict {
  return verdicts.find((v) => v.kind !== 'pass') ?? PASS;
}

/** AeadTest (aead_test_schema_v1): seal must give ct ‖ tag and open must invert it. */
export function aeadRunner(algorithm: AeadAlgorithm): TestRunner {
  return (p, { group, test, expect, flags }) => {
    const tagSize = getNumber(group, 'tagSize');
    if (tagSize !== AEAD_TAG_BITS) {
      return {
        kind: 'skip',
        reason: `${tagSize}-bit tags: the interface fixes 128`,
        documented: true,
      };
    }
    const aead = p.aead[algorithm];
    const key = getHex(test, 'key');
    const iv = getHex(test, 'iv');
    if (
      expect === 'valid' &&
      (iv.length < aead.minNonceLength || iv.length > aead.maxNonceLength)
    ) {
      // A backend may advertise a narrower nonce range than the algorithm allows; it must then
      // reject the nonce cleanly.
      const rejected = rejects(
        () => aead.seal(key, iv, new Uint8Array(0)),
        'seal',
        'INVALID_LENGTH',
      );
      if (rejected.kind !== 'pass') return rejected;
      const range = `${aead.minNonceLength}–${aead.maxNonceLength}`;
      return {
        kind: 'skip',
        reason: `${iv.length}-byte IV outside the backend's advertised ${range} bytes`,
        documented: true,
      };
    }
    const aad = getHex(test, 'aad');
    const msg = getHex(test, 'msg');
    const sealed = concat(getHex(test, 'ct'), getHex(test, 'tag'));
    if (expect === 'valid') {
      return all(
        produces(() => aead.seal(key, iv, msg, aad), sealed, 'seal'),
        produces(() => aead.open(key, iv, sealed, aad), msg, 'open'),
      );
    }
    const badNonce = flags.includes('InvalidNonceSize') || flags.includes('ZeroLengthIv');
    const code: PrimitivesErrorCode | undefined = badNonce
      ? 'INVALID_LENGTH'
      : flags.includes('ModifiedTag')
        ? 'DECRYPT_FAILED'
        : undefined;
    const sealOutcome = attempt(() => aead.seal(key, iv, msg, aad));
    const sealAccepted = sealOutcome.ok && bytesEqual(sealOutcome.value, sealed);
    return all(
      rejects(() => aead.open(key, iv, sealed, aad), 'open', code),
      sealAccepted ? fail('seal produced the invalid ciphertext') : PASS,
      badNonce ? rejects(() => aead.seal(key, iv, msg, aad), 'seal', 'INVALID_LENGTH') : PASS,
    );
  };
}

/** IndCpaTest (ind_cpa_test_schema_v1) for AES-CBC with PKCS#5/7 padding. */
export const aesCbcRunner: TestRunner = (p, { test, expect }) => {
  const key = getHex(test, 'key');
  const iv = getHex(test, 'iv');
  const msg = getHex(test, 'msg');
  const ct = getHex(test, 'ct');
  if (expect === 'valid') {
    return all(
      produces(() => p.aesCbcEncrypt(key, iv, msg), ct, 'encrypt'),
      produces(() => p.aesCbcDecrypt(key, iv, ct), msg, 'decrypt'),
    );
  }
  return rejects(() => p.aesCbcDecrypt(key, iv, ct), 'decrypt', 'DECRYPT_FAILED');
};

/** EddsaVerify (eddsa_verify_schema_v1): verify must return the expected boolean and never throw. */
export const ed25519Runner: TestRunner = (p, { group, test, expect }) => {
  const publicKey = getHex(asObject(group['publicKey'], 'publicKey'), 'pk');
  const msg = getHex(test, 'msg');
  const sig = getHex(test, 'sig');
  const outcome = attempt(() => p.ed25519.verify(publicKey, msg, sig));
  if (!outcome.ok)
    return fail(`verify threw ${describeError(outcome.error)} (it must return false)`);
  if (outcome.value !== (expect === 'valid'))
    return fail(`verify returned ${String(outcome.value)}`);
  return PASS;
};

/** HkdfTest (hkdf_test_schema_v1) with SHA-256, through `hkdf` and through extract + expand. */
export const hkdfSha256Runner: TestRunner = (p, { test, expect }) => {
  const ikm = getHex(test, 'ikm');
  const salt = getHex(test, 'salt');
  const info = getHex(test, 'info');
  const size = getNumber(test, 'size');
  if (expect === 'valid') {
    const okm = getHex(test, 'okm');
    return all(
      produces(() => p.hkdf('sha256', ikm, salt, info, size), okm, 'hkdf'),
      produces(
        () => p.hkdfExpand('sha256', p.hkdfExtract('sha256', salt, ikm), info, size),
        okm,
        'extract+expand',
      ),
    );
  }
  return all(
    rejects(() => p.hkdf('sha256', ikm, salt, info, size), 'hkdf', 'INVALID_LENGTH'),
    rejects(
      () => p.hkdfExpand('sha256', p.hkdfExtract('sha256', salt, ikm), info, size),
      'expand',
      'INVALID_LENGTH',
    ),
  );
};

/** MacTest (mac_test_schema_v1) for HMAC-SHA-256; truncated tags are compared on the prefix. */
export const hmacSha256Runner: TestRunner = (p, { group, test, expect }) => {
  const tagBytes = getNumber(group, 'tagSize') / BITS_PER_BYTE;
  const key = getHex(test, 'key');
  const msg = getHex(test, 'msg');
  const tag = getHex(test, 'tag');
  const outcome = attempt(() => p.hmac('sha256', key, msg).subarray(0, tagBytes));
  if (!outcome.ok) return fail(`hmac threw ${describeError(outcome.error)}`);
  if (expect === 'valid') return compare(outcome.value, tag, 'tag');
  return bytesEqual(outcome.value, tag) ? fail('the modified tag matches') : PASS;
};

/** XdhComp (xdh_comp_schema_v1) for X25519; an all-zero result must be ZERO_SHARED_SECRET. */
export const x25519Runner: TestRunner = (p, { test, expect }) => {
  const publicKey = getHex(test, 'public');
  const privateKey = getHex(test, 'private');
  const shared = getHex(test, 'shared');
  if (expect === 'valid')
    return produces(() => p.x25519.sharedSecret(privateKey, publicKey), shared, 'shared secret');
  const code = shared.length > 0 && isAllZero(shared) ? 'ZERO_SHARED_SECRET' : undefined;
  return rejects(() => p.x25519.sharedSecret(privateKey, publicKey), 'sharedSecret', code);
};

function kemOf(group: JsonObject): KemAlgorithm | undefined {
  const set = getString(group, 'parameterSet');
  return set === 'ML-KEM-768' ? 'ml-kem-768' : set === 'ML-KEM-1024' ? 'ml-kem-1024' : undefined;
}

/** MLKEMTest (mlkem_test_schema): key generation from the 64-byte seed d ‖ z, then decapsulation. */
export const mlKemRunner: TestRunner = (p, { group, test, expect }) => {
  const algorithm = kemOf(group);
  if (algorithm === undefined) return UNKNOWN_PARAMETER_SET;
  const kem = p.kem[algorithm];
  const seed = getHex(test, 'seed');
  const ek = getOptionalHex(test, 'ek');
  const c = getHex(test, 'c');
  const keys = attempt(() => kem.generateKeyPair(seed));
  if (expect === 'valid') {
    if (!keys.ok) return fail(`generateKeyPair threw ${describeError(keys.error)}`);
    return all(
      ek === undefined ? fail('valid test without ek') : compare(keys.value.publicKey, ek, 'ek'),
      produces(() => kem.decapsulate(c, keys.value.secretKey), getHex(test, 'K'), 'K'),
      algorithm === 'ml-kem-768' ? incrementalKeygen(p, seed, c, getHex(test, 'K')) : PASS,
    );
  }
  if (!keys.ok) return rejects(() => kem.generateKeyPair(seed), 'generateKeyPair');
  return rejects(() => kem.decapsulate(c, keys.value.secretKey), 'decapsulate');
};

/** MLKEMEncapsTest (mlkem_encaps_test_schema): encapsulation with the 32-byte message m. */
export const mlKemEncapsRunner: TestRunner = (p, { group, test, expect }) => {
  const algorithm = kemOf(group);
  if (algorithm === undefined) return UNKNOWN_PARAMETER_SET;
  const kem = p.kem[algorithm];
  const m = getHex(test, 'm');
  const ek = getHex(test, 'ek');
  if (expect === 'invalid')
    return all(
      rejects(() => kem.encapsulate(ek, m), 'encapsulate', 'INVALID_KEY'),
      algorithm === 'ml-kem-768' ? incrementalRejects(p, ek, m) : PASS,
    );
  const outcome = attempt(() => kem.encapsulate(ek, m));
  if (!outcome.ok) return fail(`encapsulate threw ${describeError(outcome.error)}`);
  return all(
    compare(outcome.value.ciphertext, getHex(test, 'c'), 'c'),
    compare(outcome.value.sharedSecret, getHex(test, 'K'), 'K'),
    algorithm === 'ml-kem-768'
      ? incrementalEncaps(p, ek, m, getHex(test, 'c'), getHex(test, 'K'))
      : PASS,
  );
};

/** A key that fails the modulus check does not match its header, and encapsulate2 refuses it. */
function incrementalRejects(p: Primitives, ek: Uint8Array, m: Uint8Array): Verdict {
  const inc = p.incrementalMlKem768;
  if (ek.length !== inc.encapsulationKeyLength + 32) return PASS;
  const { header, encapsulationKey } = inc.splitPublicKey(ek);
  if (inc.encapsulationKeyMatches(header, encapsulationKey))
    return fail('incremental key with an out-of-range coefficient matches its header');
  const first = inc.encapsulate1(header, m);
  return rejects(
    () => inc.encapsulate2(first.state, encapsulationKey),
    'encapsulate2',
    'INVALID_KEY',
  );
}

/** Incremental ML-KEM-768 from the same seed: the same key, and ct1 ‖ ct2 decapsulates to K. */
function incrementalKeygen(p: Primitives, seed: Uint8Array, c: Uint8Array, k: Uint8Array): Verdict {
  const inc = p.incrementalMlKem768;
  const keys = attempt(() => inc.generateKeyPair(seed));
  if (!keys.ok) return fail(`incremental generateKeyPair threw ${describeError(keys.error)}`);
  const whole = p.kem['ml-kem-768'].generateKeyPair(seed);
  const split = inc.splitPublicKey(whole.publicKey);
  const cut = inc.ciphertext1Length;
  return all(
    compare(keys.value.header, split.header, 'incremental header'),
    compare(keys.value.encapsulationKey, split.encapsulationKey, 'incremental key'),
    compare(
      keys.value.decapsulationKey,
      keys.value.decapsulationKey.length === inc.decapsulationSeedLength ? seed : whole.secretKey,
      'incremental decapsulation key (expanded, or the seed itself)',
    ),
    produces(
      () => inc.decapsulate(c.subarray(0, cut), c.subarray(cut), keys.value.decapsulationKey),
      k,
      'incremental K',
    ),
  );
}

/** Incremental ML-KEM-768 on the split key: ct1 from the header, ct2 from the vector part. */
function incrementalEncaps(
  p: Primitives,
  ek: Uint8Array,
  m: Uint8Array,
  c: Uint8Array,
  k: Uint8Array,
): Verdict {
  const inc = p.incrementalMlKem768;
  const { header, encapsulationKey } = inc.splitPublicKey(ek);
  if (!inc.encapsulationKeyMatches(header, encapsulationKey))
    return fail('incremental key does not match its own header');
  const first = attempt(() => inc.encapsulate1(header, m));
  if (!first.ok) return fail(`encapsulate1 threw ${describeError(first.error)}`);
  const cut = inc.ciphertext1Length;
  return all(
    compare(first.value.ciphertext1, c.subarray(0, cut), 'ct1'),
    compare(first.value.sharedSecret, k, 'incremental K'),
    produces(() => inc.encapsulate2(first.value.state, encapsulationKey), c.subarray(cut), 'ct2'),
  );
}
