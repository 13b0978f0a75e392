import type { Primitives } from '../primitives.js';
import { describeError } from './check.js';
import {
  asObject,
  getArray,
  getFlags,
  getNumber,
  getString,
  WycheproofFormatError,
  type JsonObject,
} from './wycheproof-json.js';
import {
  aeadRunner,
  aesCbcRunner,
  ed25519Runner,
  hkdfSha256Runner,
  hmacSha256Runner,
  mlKemEncapsRunner,
  mlKemRunner,
  x25519Runner,
  type Expectation,
  type TestRunner,
  type Verdict,
} from './wycheproof-runners.js';

/**
 * Runs Wycheproof vector files (C2SP/wycheproof `testvectors_v1/`) against a backend.
 *
 * Rules: a `valid` test must succeed with exactly the expected output; an `invalid` test must be
 * rejected (a {@link PrimitivesError}, `verify` returning false, or an HMAC tag that does not
 * match); an `acceptable` test is decided by its flags, per file, as in this table:
 *
 * | file        | flags                                  | decision                             |
 * |-------------|----------------------------------------|--------------------------------------|
 * | x25519_test | `ZeroSharedSecret` (with any others)   | reject: `ZERO_SHARED_SECRET` (1)     |
 * | x25519_test | only `Twist`, `NonCanonicalPublic`,    | accept: must equal `shared` (2)      |
 * |             | `SpecialPublicKey`, `SmallPublicKey`,  |                                      |
 * |             | `LowOrderPublic`, `EdgeCaseShared`,    |                                      |
 * |             | `EdgeCaseMultiplication`, `Ktv`        |                                      |
 *
 * (1) RFC 7748 §6.1's all-zero check; libsignal rejects an all-zero agreement
 *     (specs/signal-v4-wire.md §2). Counted as passed when the backend throws that code.
 * (2) RFC 7748 §5: u is read mod p with bit 255 masked, so non-canonical encodings are
 *     accepted; points on the twist have a defined output; x25519-dalek (libsignal) agrees.
 *
 * Any other `acceptable` test fails with "no documented decision", so a new vector file cannot
 * pass silently. Every test is counted exactly once. Skips always carry a reason; the documented
 * ones are:
 *
 * - AEAD groups whose `tagSize` is not 128 bits (the interface fixes 16-byte tags; none in the
 *   current files);
 * - `valid` AEAD tests whose IV length is outside the backend's advertised
 *   `minNonceLength`–`maxNonceLength`, provided the backend rejects that IV with
 *   `INVALID_LENGTH` (a backend may support less than the algorithm allows, but must say so).
 *
 * A group type or parameter set with no runner is skipped too, but counted in
 * `undocumentedSkips`, which backend tests require to be 0. Failure strings name the tcId and
 * what went wrong, never output bytes.
 */

/**
 * Counts for one file. `passed + failed + skipped` equals the file's `numberOfTests`, plus one
 * failure when the file itself is inconsistent (its test count differs from `numberOfTests`).
 */
export interface WycheproofResult {
  readonly numberOfTests: number;
  passed: number;
  failed: number;
  skipped: number;
  /** One line per failed test (or per file-level problem). */
  readonly failures: string[];
  /** One line per distinct skip reason, with its count. */
  readonly skipReasons: string[];
  /** Skips whose reason is not documented above; backend tests require 0. */
  undocumentedSkips: number;
}

interface FileRunner {
  /** The file's top-level `algorithm`. */
  readonly algorithm: string;
  readonly groupType: string;
  readonly run: TestRunner;
  readonly acceptable?: (flags: readonly string[]) => Expectation | undefined;
}

const X25519_ACCEPTED_FLAGS = new Set([
  'Twist',
  'NonCanonicalPublic',
  'SpecialPublicKey',
  'SmallPublicKey',
  'LowOrderPublic',
  'EdgeCaseShared',
  'EdgeCaseMultiplication',
  'Ktv',
]);

function x25519Acceptable(flags: readonly string[]): Expectation | undefined {
  if (flags.includes('ZeroSharedSecret')) return 'invalid';
  return flags.every((f) => X25519_ACCEPTED_FLAGS.has(f)) ? 'valid' : undefined;
}

const RUNNERS: Readonly<Record<string, FileRunner>> = {
  aes_cbc_pkcs5_test: { algorithm: 'AES-CBC-PKCS5', groupType: 'IndCpaTest', run: aesCbcRunner },
  aes_gcm_test: { algorithm: 'AES-GCM', groupType: 'AeadTest', run: aeadRunner('aes-gcm') },
  aes_gcm_siv_test: {
    algorithm: 'AES-GCM-SIV',
    groupType: 'AeadTest',
    run: aeadRunner('aes-gcm-siv'),
  },
  chacha20_poly1305_test: {
    algorithm: 'CHACHA20-POLY1305',
    groupType: 'AeadTest',
    run: aeadRunner('chacha20-poly1305'),
  },
  xchacha20_poly1305_test: {
    algorithm: 'XCHACHA20-POLY1305',
    groupType: 'AeadTest',
    run: aeadRunner('xchacha20-poly1305'),
  },
  ed25519_test: { algorithm: 'EDDSA', groupType: 'EddsaVerify', run: ed25519Runner },
  hkdf_sha256_test: { algorithm: 'HKDF-SHA-256', groupType: 'HkdfTest', run: hkdfSha256Runner },
  hmac_sha256_test: { algorithm: 'HMACSHA256', groupType: 'MacTest', run: hmacSha256Runner },
  x25519_test: {
    algorithm: 'XDH',
    groupType: 'XdhComp',
    run: x25519Runner,
    acceptable: x25519Acceptable,
  },
  mlkem_768_test: { algorithm: 'ML-KEM', groupType: 'MLKEMTest', run: mlKemRunner },
  mlkem_1024_test: { algorithm: 'ML-KEM', groupType: 'MLKEMTest', run: mlKemRunner },
  mlkem_768_encaps_test: {
    algorithm: 'ML-KEM',
    groupType: 'MLKEMEncapsTest',
    run: mlKemEncapsRunner,
  },
  mlkem_1024_encaps_test: {
    algorithm: 'ML-KEM',
    groupType: 'MLKEMEncapsTest',
    run: mlKemEncapsRunner,
  },
};

/** The Wycheproof files the suite runs, as named in the vectors folder. */
export const WYCHEPROOF_FILES: readonly string[] = Object.keys(RUNNERS).map(
  (stem) => `${stem}.json`,
);

/** `x25519_test` for `wycheproof/x25519_test.json`, `x25519_test.json` or `x25519_test`. */
export function wycheproofStem(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  return base.endsWith('.json') ? base.slice(0, -'.json'.length) : base;
}

type Decision = { readonly expect: Expectation } | { readonly problem: string };

function decide(runner: FileRunner, result: string, flags: readonly string[]): Decision {
  if (result === 'valid' || result === 'invalid') return { expect: result };
  if (result !== 'acceptable') return { problem: `unknown result "${result}"` };
  const expect = runner.acceptable?.(flags);
  return expect === undefined
    ? { problem: `no documented decision for acceptable flags [${flags.join(', ')}]` }
    : { expect };
}

function runOne(runner: FileRunner, p: Primitives, group: JsonObject, test: JsonObject): Verdict {
  const flags = getFlags(test);
  const decision = decide(runner, getString(test, 'result'), flags);
  if ('problem' in decision) return { kind: 'fail', reason: decision.problem };
  if (getString(group, 'type') !== runner.groupType) {
    return {
      kind: 'skip',
      reason: `group type ${getString(group, 'type')} has no runner`,
      documented: false,
    };
  }
  return runner.run(p, { group, test, expect: decision.expect, flags });
}

/**
 * Runs every test of one Wycheproof file. `fileName` picks the runner (see
 * {@link WYCHEPROOF_FILES}); `parsedJson` is the file's parsed content. Throws only for a file
 * name with no runner.
 */
export function runWycheproof(
  fileName: string,
  parsedJson: unknown,
  p: Primitives,
): WycheproofResult {
  const stem = wycheproofStem(fileName);
  const runner = RUNNERS[stem];
  if (runner === undefined) throw new Error(`no Wycheproof runner for ${fileName}`);
  const file = asObject(parsedJson, stem);
  const result: WycheproofResult = {
    numberOfTests: getNumber(file, 'numberOfTests'),
    passed: 0,
    failed: 0,
    skipped: 0,
    failures: [],
    skipReasons: [],
    undocumentedSkips: 0,
  };
  const algorithm = getString(file, 'algorithm');
  const skipCounts = new Map<string, number>();
  let seen = 0;
  for (const rawGroup of getArray(file, 'testGroups')) {
    const group = asObject(rawGroup, 'test group');
    for (const rawTest of getArray(group, 'tests')) {
      seen++;
      const test = asObject(rawTest, 'test');
      const id = typeof test['tcId'] === 'number' ? test['tcId'] : `#${seen}`;
      let verdict: Verdict;
      try {
        verdict =
          algorithm === runner.algorithm
            ? runOne(runner, p, group, test)
            : { kind: 'fail', reason: `file algorithm ${algorithm}, expected ${runner.algorithm}` };
      } catch (error) {
        const why =
          error instanceof WycheproofFormatError
            ? error.message
            : `runner threw ${describeError(error)}`;
        verdict = { kind: 'fail', reason: `malformed test: ${why}` };
      }
      if (verdict.kind === 'pass') result.passed++;
      else if (verdict.kind === 'skip') {
        result.skipped++;
        if (!verdict.documented) result.undocumentedSkips++;
        skipCounts.set(verdict.reason, (skipCounts.get(verdict.reason) ?? 0) + 1);
      } else {
        result.failed++;
        const comment =
          typeof test['comment'] === 'string' && test['comment'] !== ''
            ? ` (${test['comment']})`
            : '';
        result.failures.push(`${stem} tcId ${id}${comment}: ${verdict.reason}`);
      }
    }
  }
  for (const [reason, count] of skipCounts)
    result.skipReasons.push(`${stem}: ${count} skipped: ${reason}`);
  if (seen !== result.numberOfTests) {
    result.failed++;
    result.failures.push(
      `${stem}: numberOfTests is ${result.numberOfTests} but the file holds ${seen} tests`,
    );
  }
  return result;
}
