export {
  createLogService,
  KT_ROUTES,
  type LogService,
  type LogServiceOptions,
} from './log-service.js';
export { MemoryLogStorage, type LogStorage, type StoredEntry } from './storage.js';
export { openSqliteLogStorage } from './sqlite-storage.js';
export {
  openSqliteAuditorStore,
  runAuditor,
  type AuditorOptions,
  type AuditorStateStore,
} from './auditor-service.js';
export {
  LOG_REQUEST_TIMEOUT_MS,
  MAX_PENDING_LABELS,
  PUBLISH_RETRY_MS,
  createLogBridge,
  type LogBridge,
  type LogBridgeOptions,
} from './relay-bridge.js';
export type { KeyTransBridge, KtAccountChange } from '@parley/api';
