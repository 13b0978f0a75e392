export {
  account,
  device,
  message,
  runStorageConformance,
  type OpenedStorage,
} from './storage-conformance.js';
