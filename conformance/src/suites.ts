import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { knownAnswerCases, vrfCases } from '@parley/keytrans/testing';
import type { Primitives } from '@parley/primitives';
import {
  crossBackendCases,
  primitivesConformance,
  runWycheproof,
  wycheproofStem,
  WYCHEPROOF_FILES,
  type ConformanceCase,
  type ConformanceOptions,
} from '@parley/primitives/testing';
import { createNodePrimitives } from '@parley/primitives-node';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { withNobleMlsCurves } from '@parley/primitives-noble/mls-curves';
import { MLS_VECTOR_FILES, type MlsVectorFile } from '@parley/mls/testing';
import { loadJsonVector } from './vectors.js';

/** Counts for one suite on one backend, with what failed and why anything was skipped. */
export interface SuiteResult {
  readonly suite: string;
  readonly backend: string;
  passed: number;
  failed: number;
  skipped: number;
  readonly failures: string[];
  readonly notes: string[];
}

/** Options for {@link primitivesSuites}. */
export interface SuiteOptions extends ConformanceOptions {
  /** Environment for vector lookup and `CI`; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** An empty result. */
export function emptyResult(suite: string, backend: string): SuiteResult {
  return { suite, backend, passed: 0, failed: 0, skipped: 0, failures: [], notes: [] };
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : 'a non-Error value was thrown';
}

/** Runs conformance cases, counting each as passed or failed. */
export function runCases(
  suite: string,
  backend: string,
  cases: readonly ConformanceCase[],
): SuiteResult {
  const result = emptyResult(suite, backend);
  for (const c of cases) {
    try {
      c.run();
      result.passed++;
    } catch (error) {
      result.failed++;
      result.failures.push(`${c.name}: ${describe(error)}`);
    }
  }
  return result;
}

/** Runs one Wycheproof file; a missing file is a failure. */
export function runWycheproofFile(
  file: string,
  p: Primitives,
  env: NodeJS.ProcessEnv = process.env,
): SuiteResult {
  const result = emptyResult(`wycheproof:${wycheproofStem(file)}`, p.backend);
  const loaded = loadJsonVector(`wycheproof/${file}`, env);
  if (!loaded.found) {
    result.failed = 1;
    result.failures.push(loaded.reason);
    return result;
  }
  const counts = runWycheproof(file, loaded.data, p);
  result.passed = counts.passed;
  result.failed = counts.failed;
  result.skipped = counts.skipped;
  result.failures.push(...counts.failures);
  result.notes.push(...counts.skipReasons);
  return result;
}

/** The two backends, freshly made. */
export function createBackends(): readonly Primitives[] {
  return [createNodePrimitives(), createNoblePrimitives()];
}

/**
 * `primitives:rfc` per backend, `primitives:cross-backend` for the pair, and
 * `wycheproof:<file>` for every Wycheproof file on every backend.
 */
export function primitivesSuites(options: SuiteOptions = {}): SuiteResult[] {
  const backends = createBackends();
  const results = backends.map((p) =>
    runCases('primitives:rfc', p.backend, primitivesConformance(p, options)),
  );
  const [first, second] = backends;
  if (first !== undefined && second !== undefined) {
    results.push(
      runCases(
        'primitives:cross-backend',
        `${first.backend}+${second.backend}`,
        crossBackendCases(first, second),
      ),
    );
  }
  for (const file of WYCHEPROOF_FILES) {
    for (const p of backends) results.push(runWycheproofFile(file, p, options.env));
  }
  return results;
}

/**
 * `mls:<stem>` for one MLS vector file on one backend: one count per vector. A skipped vector
 * (an unimplemented cipher suite) counts as skipped with its reason; a missing file is a
 * failure.
 */
export function runMlsVectorFile(
  vectors: MlsVectorFile,
  p: Primitives,
  env: NodeJS.ProcessEnv = process.env,
): SuiteResult {
  const result = emptyResult(`mls:${vectors.stem}`, p.backend);
  const loaded = loadJsonVector(`mls/${vectors.file}`, env);
  if (!loaded.found) {
    result.failed = 1;
    result.failures.push(loaded.reason);
    return result;
  }
  const reasons = new Map<string, number>();
  for (const c of vectors.cases(loaded.data, p)) {
    if (c.skip !== undefined) {
      result.skipped++;
      reasons.set(c.skip, (reasons.get(c.skip) ?? 0) + 1);
      continue;
    }
    try {
      c.run();
      result.passed++;
    } catch (error) {
      result.failed++;
      result.failures.push(`${c.name}: ${describe(error)}`);
    }
  }
  if (reasons.size > 0) {
    const list = [...reasons].map(([reason, count]) => `${reason} (${count})`).join(', ');
    result.notes.push(`mls:${vectors.stem}: ${result.skipped} skipped: ${list}`);
  }
  return result;
}

/**
 * `mls:<stem>` for every MLS vector file with a runner, on both backends; the noble one with its
 * `mls-curves` entry point added (the node backend always has the curves), so that every cipher
 * suite runs on both.
 */
export function mlsSuites(env: NodeJS.ProcessEnv = process.env): SuiteResult[] {
  const backends = [createNodePrimitives(), withNobleMlsCurves(createNoblePrimitives())];
  return MLS_VECTOR_FILES.flatMap((vectors) =>
    backends.map((p) => runMlsVectorFile(vectors, p, env)),
  );
}

/**
 * `keytrans:vrf` (RFC 9381 Appendix B.3, ECVRF-EDWARDS25519-SHA512-TAI) and
 * `keytrans:known-answers` (Parley's -05 vectors with every intermediate value) on both
 * backends. The vectors are checked into `packages/keytrans/vectors`; a missing file fails.
 */
export function keytransSuites(root: string): SuiteResult[] {
  const results: SuiteResult[] = [];
  const files: [string, string, typeof vrfCases][] = [
    ['keytrans:vrf', 'rfc9381-edwards25519-sha512-tai.json', vrfCases],
    ['keytrans:known-answers', 'keytrans-known-answers.json', knownAnswerCases],
  ];
  for (const p of createBackends()) {
    for (const [suite, file, cases] of files) {
      const path = join(root, 'packages', 'keytrans', 'vectors', file);
      if (!existsSync(path)) {
        const r = emptyResult(suite, p.backend);
        r.failed = 1;
        r.failures.push(`${path} is missing`);
        results.push(r);
        continue;
      }
      results.push(runCases(suite, p.backend, cases(p, JSON.parse(readFileSync(path, 'utf8')))));
    }
  }
  return results;
}
