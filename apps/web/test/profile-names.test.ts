/**
 * A contact's display name as the engine hands it to the page (`safeName`): no control, bidi
 * override or isolate characters, at most `MAX_PROFILE_NAME_CHARS` UTF-16 units without half a
 * surrogate pair, emoji sequences intact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PROFILE_NAME_CHARS } from '../src/engine/limits.js';
import { safeName } from '../src/engine/profiles.js';

test('bidi controls and control characters are taken out', () => {
  assert.equal(safeName('ali\u202ecod.exe'), 'alicod.exe');
  assert.equal(safeName('\u2066a\u2069b\u200fc\u0000d\u001b[31me\u0085'), 'abcd[31me');
  assert.equal(safeName('<b>x</b>'), '<b>x</b>');
});

test('bounded, without a lone surrogate at the cut; ZWJ emoji kept', () => {
  const long = 'W'.repeat(MAX_PROFILE_NAME_CHARS + 50);
  assert.equal(safeName(long).length, MAX_PROFILE_NAME_CHARS);
  const cut = safeName(`${'x'.repeat(MAX_PROFILE_NAME_CHARS - 1)}😀`);
  assert.equal(cut, 'x'.repeat(MAX_PROFILE_NAME_CHARS - 1));
  assert.equal(safeName('👩‍👩‍👧 Family'), '👩‍👩‍👧 Family');
});
