/**
 * The conformance suite for {@link Primitives} backends (`@parley/primitives/testing`).
 * Isomorphic: callers load vector files and hand over the parsed JSON.
 */
export type { ConformanceCase, ConformanceOptions } from './conformance-case.js';
export { primitivesConformance } from './cases.js';
export { crossBackendCases } from './cross-backend.js';
export { randomSourceCases } from './random-source.js';
export { ConformanceFailure } from './check.js';
export {
  runWycheproof,
  wycheproofStem,
  WYCHEPROOF_FILES,
  type WycheproofResult,
} from './wycheproof.js';
