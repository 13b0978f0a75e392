import { createMemoryStorage } from '@parley/relay';
import { runStorageConformance } from '@parley/relay/testing';

runStorageConformance('memory', () =>
  Promise.resolve({ storage: createMemoryStorage(), cleanup: () => Promise.resolve() }),
);
