// Pins vectors/keytrans-known-answers.json: this implementation must regenerate every byte of
// it, and every conformance case over it must pass. KT_WRITE_VECTORS=1 rewrites the file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { createNodePrimitives } from '@parley/primitives-node';
import { generateKnownAnswers, knownAnswerCases } from '../src/testing/index.js';

const path = new URL('../vectors/keytrans-known-answers.json', import.meta.url);

test('known-answer vectors regenerate byte for byte, and every case over them passes', () => {
  const primitives = createNodePrimitives();
  const generated = generateKnownAnswers(primitives);
  if (process.env['KT_WRITE_VECTORS'] === '1')
    writeFileSync(path, `${JSON.stringify(generated, null, 1)}\n`);
  const recorded: unknown = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual(generated, recorded);
  const cases = knownAnswerCases(primitives, recorded);
  assert.ok(cases.length >= 8);
  for (const c of cases) c.run();
});
