import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  KeyTransError,
  accountKeyLabel,
  decodeAccountKeyValue,
  decodeDeviceListValue,
  decodeUsernameValue,
  deviceListLabel,
  encodeAccountKeyValue,
  encodeDeviceListValue,
  encodeUsernameValue,
  parseLabel,
  usernameLabel,
} from '../src/index.js';

test('Parley labels of the three kinds never collide and parse back', () => {
  const id = 'a1b2c3';
  const labels = [usernameLabel(id), accountKeyLabel(id), deviceListLabel(id)];
  assert.equal(new Set(labels.map((l) => l[0])).size, 3);
  assert.deepEqual(
    labels.map((l) => parseLabel(l)),
    [
      { kind: 1, id },
      { kind: 2, id },
      { kind: 3, id },
    ],
  );
});

test('Parley values round-trip, and their decoders refuse anything else (fuzzed)', () => {
  assert.equal(decodeUsernameValue(encodeUsernameValue('acct-1')), 'acct-1');
  const key = { epoch: 7, publicKey: new Uint8Array(33).fill(5) };
  assert.deepEqual(decodeAccountKeyValue(encodeAccountKeyValue(key)), key);
  const list = { version: 12, hash: new Uint8Array(32).fill(9) };
  assert.deepEqual(decodeDeviceListValue(encodeDeviceListValue(list)), list);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      for (const d of [decodeUsernameValue, decodeAccountKeyValue, decodeDeviceListValue]) {
        try {
          d(bytes);
        } catch (e) {
          assert.ok(
            e instanceof KeyTransError && (e.code === 'MALFORMED' || e.code === 'LIMIT_EXCEEDED'),
          );
        }
      }
    }),
    { seed: 0x6b74_1abe, numRuns: 500 },
  );
});
