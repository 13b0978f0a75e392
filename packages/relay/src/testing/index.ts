export {
  account,
  device,
  message,
  runStorageConformance,
  type OpenedStorage,
} from './storage-conformance.js';
export { runClaimSendConformance } from './claim-send-conformance.js';
export { runBlobStoreConformance, type OpenedBlobStore } from './blob-store-conformance.js';
export {
  createThrowawayDatabase,
  DEFAULT_TEST_DATABASE_URL,
  testDatabaseUrl,
  useThrowawayDatabase,
  type ThrowawayDatabase,
} from './pg-database.js';
export {
  DEFAULT_TEST_REDIS_URL,
  freePort,
  privateRedis,
  testRedisUrl,
  type PrivateRedis,
} from './redis-server.js';
/** The relay's own server-side WebSocket framing, for the bench's relay skeleton. */
export { binaryFrames } from '../ws-frames.js';
