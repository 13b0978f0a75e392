/** Test suites every client storage backend runs, whatever its runtime. */
export {
  storeConformanceCases,
  StoreConformanceFailure,
  type StoreConformanceCase,
} from './store-conformance.js';
