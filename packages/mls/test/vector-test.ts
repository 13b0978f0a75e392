/**
 * Registers one `node:test` test per vector of one file of `test-vectors/mls/`, run on the
 * node:crypto backend (`npm run conformance` runs both backends). A skipped vector is reported
 * as skipped with its reason; a missing file fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadJsonVector } from '@parley/conformance';
import { mlsVectorFile } from '@parley/mls/testing';
import { createNodePrimitives } from '@parley/primitives-node';

export function testMlsVectorFile(name: string): void {
  const loaded = loadJsonVector(`mls/${name}`);
  if (!loaded.found) {
    test(name, () => {
      assert.fail(loaded.reason);
    });
    return;
  }
  const cases = mlsVectorFile(name).cases(loaded.data, createNodePrimitives());
  test(`${name}: at least one vector runs`, () => {
    assert.ok(cases.some((c) => c.skip === undefined));
  });
  for (const c of cases) {
    if (c.skip !== undefined) test(`${name} ${c.name}`, { skip: c.skip }, () => undefined);
    else test(`${name} ${c.name}`, () => c.run());
  }
}
