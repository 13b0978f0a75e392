/**
 * The Wycheproof runner's bookkeeping, on small synthetic files and a fake backend that
 * implements only HMAC: every test counted once, decisions for `acceptable`, file-level checks.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { Primitives } from '@parley/primitives';
import { runWycheproof, wycheproofStem, WYCHEPROOF_FILES } from '@parley/primitives/testing';

/** A backend with only `hmac` (node:crypto); anything else throws if touched. */
function hmacOnly(transform: (mac: Uint8Array) => Uint8Array = (mac) => mac): Primitives {
  const partial: Partial<Primitives> = {
    backend: 'fake',
    hmac: (algorithm, key, data) =>
      transform(new Uint8Array(createHmac(algorithm, key).update(data).digest())),
  };
  return new Proxy(partial, {
    get(target, property: string | symbol) {
      if (property in target) return Reflect.get(target, property) as unknown;
      throw new Error(`fake backend has no ${String(property)}`);
    },
  }) as Primitives;
}

const KEY = '000102030405060708090a0b0c0d0e0f';
const MSG = '616263';
const TAG = createHmac('sha256', Buffer.from(KEY, 'hex'))
  .update(Buffer.from(MSG, 'hex'))
  .digest('hex');

function hmacFile(tests: readonly object[], numberOfTests = tests.length): unknown {
  return {
    algorithm: 'HMACSHA256',
    numberOfTests,
    testGroups: [{ type: 'MacTest', keySize: 128, tagSize: 128, tests }],
  };
}

function macTest(tcId: number, result: string, tag: string, flags: string[] = []): object {
  return { tcId, comment: '', flags, key: KEY, msg: MSG, tag, result };
}

test('lists the 13 vector files', () => {
  assert.equal(WYCHEPROOF_FILES.length, 13);
  assert.equal(wycheproofStem('wycheproof/x25519_test.json'), 'x25519_test');
});

test('valid and invalid tests pass on a correct backend; truncated tags compare on the prefix', () => {
  const file = hmacFile([
    macTest(1, 'valid', TAG.slice(0, 32)),
    macTest(2, 'invalid', `ff${TAG.slice(2, 32)}`),
  ]);
  const result = runWycheproof('hmac_sha256_test.json', file, hmacOnly());
  assert.deepEqual([result.passed, result.failed, result.skipped], [2, 0, 0]);
});

test('a backend with wrong output fails valid tests and names the tcId', () => {
  const flip = (mac: Uint8Array): Uint8Array => mac.map((b, i) => (i === 0 ? b ^ 1 : b));
  const result = runWycheproof(
    'hmac_sha256_test.json',
    hmacFile([macTest(7, 'valid', TAG.slice(0, 32))]),
    hmacOnly(flip),
  );
  assert.equal(result.failed, 1);
  assert.match(result.failures[0] ?? '', /tcId 7: tag differs from byte 0/);
});

test('an acceptable test without a documented decision is a failure, not a pass', () => {
  const result = runWycheproof(
    'hmac_sha256_test.json',
    hmacFile([macTest(3, 'acceptable', TAG.slice(0, 32), ['Odd'])]),
    hmacOnly(),
  );
  assert.equal(result.failed, 1);
  assert.match(result.failures[0] ?? '', /no documented decision for acceptable flags \[Odd\]/);
});

test('numberOfTests that disagrees with the file is reported', () => {
  const result = runWycheproof(
    'hmac_sha256_test.json',
    hmacFile([macTest(1, 'valid', TAG.slice(0, 32))], 2),
    hmacOnly(),
  );
  assert.equal(result.passed, 1);
  assert.match(result.failures.join('\n'), /numberOfTests is 2 but the file holds 1 tests/);
});

test('a malformed test is counted once, as a failure', () => {
  const result = runWycheproof(
    'hmac_sha256_test.json',
    hmacFile([{ tcId: 9, result: 'valid', key: 'zz' }]),
    hmacOnly(),
  );
  assert.deepEqual([result.passed, result.failed], [0, 1]);
  assert.match(result.failures[0] ?? '', /tcId 9: malformed test/);
});

test('an unknown group type is skipped with a reason and counted as undocumented', () => {
  const file = {
    algorithm: 'HMACSHA256',
    numberOfTests: 1,
    testGroups: [{ type: 'Other', tests: [macTest(1, 'valid', TAG)] }],
  };
  const result = runWycheproof('hmac_sha256_test.json', file, hmacOnly());
  assert.deepEqual([result.skipped, result.undocumentedSkips], [1, 1]);
  assert.match(result.skipReasons[0] ?? '', /group type Other has no runner/);
});

test('a file with the wrong algorithm fails every test; an unknown file name throws', () => {
  const file = {
    algorithm: 'XDH',
    numberOfTests: 1,
    testGroups: [{ type: 'MacTest', tagSize: 256, tests: [macTest(1, 'valid', TAG)] }],
  };
  assert.equal(runWycheproof('hmac_sha256_test.json', file, hmacOnly()).failed, 1);
  assert.throws(() => runWycheproof('rsa_test.json', file, hmacOnly()), /no Wycheproof runner/);
});
