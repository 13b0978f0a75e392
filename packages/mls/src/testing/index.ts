/**
 * Runners for the MLS working group's test vectors (mlswg/mls-implementations
 * `test-vectors/`), shared by this package's tests and `npm run conformance`.
 */
export { MLS_VECTOR_FILES, mlsVectorFile, type MlsVectorFile } from './vector-files.js';
export type { MlsVectorCase, MlsVectorRunner } from './vector-case.js';
export { VectorFormatError, VectorMismatchError } from './vector-json.js';
