import { createMemoryStorage } from '@parley/relay';
import { runClaimSendConformance, runStorageConformance } from '@parley/relay/testing';

const open = () =>
  Promise.resolve({ storage: createMemoryStorage(), cleanup: () => Promise.resolve() });

runStorageConformance('memory', open);
runClaimSendConformance('memory', open);
