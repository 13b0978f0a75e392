import type { Primitives } from '@parley/primitives';
import type { CipherSuite } from '../cipher-suite.js';
import { anyCipherSuite, isKnownCipherSuite } from '../curve-suites.js';
import { asArray, asObject, getInteger, type JsonObject } from './vector-json.js';

/**
 * One vector of one file: `run` throws unless every check of that vector passes. A case with
 * `skip` is not run and is counted as skipped, never as passed.
 */
export interface MlsVectorCase {
  readonly name: string;
  readonly skip?: string;
  run(): void;
}

/** Turns a parsed vector file into one case per vector. */
export type MlsVectorRunner = (data: unknown, p: Primitives) => MlsVectorCase[];

/**
 * One case per entry of a suite-specific vector file, built-in suite or curve suite
 * (`curve-suites.ts`): entries of a suite id outside RFC 9420 §17.1's seven are skipped with the
 * reason "cipher suite N not implemented" (the official vectors have none).
 */
export function perSuiteCases(
  data: unknown,
  check: (entry: JsonObject, suite: CipherSuite) => void,
): MlsVectorCase[] {
  return asArray(data, 'vector file').map((value, index) => {
    const entry = asObject(value, `vector ${index}`);
    const suite = getInteger(entry, 'cipher_suite');
    const name = `vector ${index} (cipher suite ${suite})`;
    if (!isKnownCipherSuite(suite)) {
      return { name, skip: `cipher suite ${suite} not implemented`, run: () => undefined };
    }
    return { name, run: () => check(entry, anyCipherSuite(suite)) };
  });
}

/** One case per entry of a suite-independent vector file. */
export function perEntryCases(
  data: unknown,
  name: (entry: JsonObject, index: number) => string,
  check: (entry: JsonObject) => void,
): MlsVectorCase[] {
  return asArray(data, 'vector file').map((value, index) => {
    const entry = asObject(value, `vector ${index}`);
    return { name: name(entry, index), run: () => check(entry) };
  });
}
