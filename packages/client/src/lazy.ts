/**
 * The package's exports without the group code loaded up front (`group-code.ts`): what a
 * browser build resolves `@parley/client` to, so the MLS group code is a chunk of its own,
 * loaded by the first group operation that needs it. Same exports as `index.ts`.
 */
export {
  ParleyClient,
  type ClientEvent,
  type ClientOptions,
  type ConversationTarget,
  type DeviceSettings,
  type MessageAction,
  type Swept,
  type KtLabelStatus,
  type KtMonitorReport,
  type KtPolicy,
  type KtStatus,
  type Profile,
  type SendOptions,
  type SendResult,
} from './client.js';
export type { AttachmentSource } from './attachments.js';
export type {
  ApproveLinkOptions,
  CompleteLinkOptions,
  LinkHistoryOutcome,
  PendingLink,
} from './client.js';
export {
  AttachmentDecryptor,
  AttachmentEncryptor,
  blobLength,
  padme,
  type AttachmentDigests,
} from './attachment-crypto.js';
export { BlobHttp, type BinaryFetchLike, type BinaryFetchResponse } from './blob-http.js';
export { ClientError, type ClientErrorCode } from './errors.js';
export { RelayHttp, type DeviceCredentials, type FetchLike, type FetchResponse } from './http.js';
export {
  MemoryBackend,
  type StorageBackend,
  type StorageReader,
  type StorageWriter,
} from './storage.js';
export {
  CONTENT_VERSION,
  decodeContent,
  encodeContent,
  type AttachmentPointer,
  type Content,
} from './content.js';
export {
  signDeviceList,
  verifyDeviceList,
  type DeviceEntry,
  type DeviceList,
} from './device-list.js';
export {
  FINGERPRINT_VERSION,
  formatSafetyNumber,
  safetyNumber,
  scannedMatches,
  type SafetyNumber,
} from './fingerprint.js';
export type { AccountRecord, ContactRecord, MessageRecord, MessageStatus } from './state.js';
export type { GroupChange, GroupEvent, GroupSendResult, GroupSummary } from './groups.js';
export type { GroupMessageRecord, GroupStatus } from './group-records.js';
export * as clientLimits from './limits.js';
export {
  LiveConnection,
  type LiveOptions,
  type SocketFactory,
  type SocketHandlers,
  type SocketLike,
} from './live.js';
export { KT_REVERIFY_MS, KT_MONITOR_ALLOWANCE_RMW, MAX_SEEN_HEADS } from './limits.js';
export { relayKtTransport, type BinaryFetch, type KtTransport } from './transparency-transport.js';
export { KT_NAMESPACE } from './transparency-store.js';
export type { KtFork } from './transparency-gossip.js';
export { PROFILE_NS } from './profiles.js';
export { SEALED_NS } from './sealed-sender.js';
