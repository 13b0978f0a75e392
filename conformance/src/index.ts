/**
 * Parley's conformance runner: vector loading and the suites behind `npm run conformance`.
 * Backend test files use `@parley/conformance/node-test` instead.
 */
export {
  loadJsonVector,
  repositoryRoot,
  vectorsDirectory,
  VECTORS_ENV,
  type VectorFile,
} from './vectors.js';
export {
  createBackends,
  mlsSuites,
  primitivesSuites,
  runCases,
  runMlsVectorFile,
  runWycheproofFile,
  type SuiteOptions,
  type SuiteResult,
} from './suites.js';
export { libsignalInterop, libsignalSealedSenderInterop } from './interop.js';
export { formatJson, formatReport, totals, type Counts } from './report.js';
