export { createRelay, DEFAULT_RATE_LIMITS, type RelayOptions, type RelayPlugin } from './app.js';
export type { RelayLimits } from './context.js';
export { RelayError } from './errors.js';
export { basicAuthHeader } from './credentials.js';
export { createMemoryStorage } from './storage/memory.js';
export type { BlobMeta, BlobStore } from './blobs/types.js';
export { createMemoryBlobStore } from './blobs/memory.js';
export { BLOB_DIR_NAME, openDiskBlobStore } from './blobs/disk.js';
export {
  openSqliteStorage,
  SQLITE_FILE_NAME,
  type SqliteStorageOptions,
} from './storage/sqlite.js';
export { MIGRATIONS, type Migration } from './storage/sqlite-migrations.js';
export type * from './storage/types.js';
export { StorageUnavailableError, UsernameTakenError } from './storage/types.js';
export {
  openPgStorage,
  PG_DEFAULT_POOL_SIZE,
  type PgStats,
  type PgStorage,
  type PgStorageOptions,
} from './storage-pg/pg.js';
export { PG_MIGRATIONS } from './storage-pg/migrations.js';
export {
  MigrateError,
  migrateSqliteToPg,
  type MigrateOptions,
  type MigrateReport,
} from './storage-pg/from-sqlite.js';
export { createInProcessFanOut } from './fanout/in-process.js';
export {
  createRedisFanOut,
  parseWireEvent,
  queueHeadOption,
  REDIS_PREFIX,
  type RedisFanOutOptions,
  type RedisFanOutStats,
} from './fanout/redis.js';
export { createRedisRateLimiters } from './rate-limit-redis.js';
export {
  deviceChannel,
  type FanOut,
  type FanOutEvent,
  type FanOutHandler,
} from './fanout/types.js';
export { createMemoryRateLimiter, type RateLimit, type RateLimiter } from './rate-limit.js';
export * as relayLimits from './limits.js';
export type { KeyTransBridge, KtAccountChange, KtAnswer } from './keytrans.js';
export type { CertifiedDevice, SenderCertificateIssuer } from './sealed-sender.js';
