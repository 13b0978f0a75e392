export {
  account,
  device,
  message,
  runStorageConformance,
  type OpenedStorage,
} from './storage-conformance.js';
export { runBlobStoreConformance, type OpenedBlobStore } from './blob-store-conformance.js';
