import { createMemoryBlobStore } from '@parley/relay';
import { runBlobStoreConformance } from '@parley/relay/testing';

runBlobStoreConformance('memory', () => {
  const store = createMemoryBlobStore();
  return Promise.resolve({ store, close: () => store.close() });
});
