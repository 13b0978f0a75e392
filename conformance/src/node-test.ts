/**
 * The shared suite as `node:test` tests, for backend test files:
 *
 *   testPrimitivesBackend(createNodePrimitives());
 *
 * Kept apart from the package's main entry so the CLI never loads `node:test`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Primitives } from '@parley/primitives';
import {
  primitivesConformance,
  runWycheproof,
  WYCHEPROOF_FILES,
  type ConformanceCase,
  type ConformanceOptions,
} from '@parley/primitives/testing';
import { loadJsonVector } from './vectors.js';

const MAX_FAILURES_SHOWN = 20;

/** Registers each case as one test, its name prefixed with `prefix`. */
export function testCases(prefix: string, cases: readonly ConformanceCase[]): void {
  for (const c of cases) test(`${prefix}: ${c.name}`, () => c.run());
}

/**
 * One test per Wycheproof file: no failures, every test counted (`passed + skipped` equals
 * `numberOfTests`), and no skip without a documented reason. A missing file fails the test.
 */
export function testWycheproof(p: Primitives): void {
  for (const file of WYCHEPROOF_FILES) {
    test(`Wycheproof ${file} (${p.backend})`, (t) => {
      const loaded = loadJsonVector(`wycheproof/${file}`);
      if (!loaded.found) assert.fail(loaded.reason);
      const result = runWycheproof(file, loaded.data, p);
      assert.equal(result.failed, 0, result.failures.slice(0, MAX_FAILURES_SHOWN).join('\n'));
      assert.equal(result.passed + result.skipped, result.numberOfTests, 'tests counted');
      assert.equal(result.undocumentedSkips, 0, result.skipReasons.join('\n'));
      if (result.skipped > 0) t.diagnostic(result.skipReasons.join('\n'));
    });
  }
}

/** The whole shared suite for one backend: every conformance case and every Wycheproof file. */
export function testPrimitivesBackend(p: Primitives, options: ConformanceOptions = {}): void {
  testCases(p.backend, primitivesConformance(p, options));
  testWycheproof(p);
}
