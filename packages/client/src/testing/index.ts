/** Test suites every client storage backend runs, whatever its runtime. */
export {
  storeConformanceCases,
  StoreConformanceFailure,
  type StoreConformanceCase,
} from './store-conformance.js';
/** Store-level message writes and the expiry sweep, for benchmarks (`bench/src/client-store.ts`). */
export { sweepExpired } from '../disappearing.js';
export { records } from '../state.js';
