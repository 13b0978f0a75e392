/**
 * Safety numbers (libsignal `Fingerprint`, version 2, 5,200 iterations): ours equal
 * libsignal-client 0.103.0's for the same keys and identifiers, displayable and scannable, for
 * each primitives backend; the scannable forms of the two sides match each other.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fingerprint, PrivateKey } from '@signalapp/libsignal-client';
import { FINGERPRINT_VERSION, clientLimits, safetyNumber, scannedMatches } from '@parley/client';
import { utf8Encode } from '@parley/bytes';
import { backends } from './backends.js';
import { ab } from './libsignal-parties.js';

const CASES = 5;

for (const p of backends) {
  test(`${p.backend}: safety numbers equal libsignal Fingerprint v2 (displayable and scannable)`, () => {
    for (let i = 0; i < CASES; i++) {
      const aliceKey = PrivateKey.generate().getPublicKey();
      const bobKey = PrivateKey.generate().getPublicKey();
      const aliceId = utf8Encode(`alice-account-${i}`);
      const bobId = utf8Encode(`bob-account-${i}`);
      const theirs = Fingerprint.new(
        clientLimits.FINGERPRINT_ITERATIONS,
        FINGERPRINT_VERSION,
        ab(aliceId),
        aliceKey,
        ab(bobId),
        bobKey,
      );
      const ours = safetyNumber(
        p,
        { id: aliceId, key: aliceKey.serialize() },
        { id: bobId, key: bobKey.serialize() },
      );
      assert.equal(ours.digits, theirs.displayableFingerprint().toString());
      assert.deepEqual(ours.scannable, new Uint8Array(theirs.scannableFingerprint().toBuffer()));
      const bobSide = safetyNumber(
        p,
        { id: bobId, key: bobKey.serialize() },
        { id: aliceId, key: aliceKey.serialize() },
      );
      assert.equal(bobSide.digits, ours.digits);
      assert.ok(scannedMatches(ours.scannable, bobSide.scannable));
      assert.ok(!scannedMatches(ours.scannable, ours.scannable));
    }
  });
}
