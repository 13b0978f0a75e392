export * as limits from './limits.js';
export {
  ERROR_CODES,
  WS_CLOSE,
  isErrorCode,
  statusOf,
  type DeviceMismatch,
  type ErrorCode,
} from './errors.js';
export * as schemas from './schemas.js';
export { conforms } from './conforms.js';
export type {
  AccountResponse,
  AckRequest,
  AttachmentResponse,
  CreateAccountRequest,
  CreateAccountResponse,
  Destination,
  DeviceInfo,
  DeviceListResponse,
  Envelope,
  ErrorResponse,
  FetchMessagesResponse,
  HealthResponse,
  KeyCountsResponse,
  LinkDeviceRequest,
  LinkDeviceResponse,
  LinkTokenResponse,
  NewDevice,
  OneTimePreKey,
  PreKeyBundleDevice,
  PreKeyBundleResponse,
  ProvisioningChannelResponse,
  ProvisioningMessage,
  ProvisioningPollResponse,
  SendRequest,
  SendResponse,
  SignedDeviceList,
  SignedPreKey,
  UploadKeysRequest,
} from './schemas.js';
export { AckFrame, AuthFrame, ClientFrame, PingFrame, SendFrame, ServerFrame } from './frames.js';
export {
  COMMON_ERRORS,
  ROUTES,
  WEBSOCKET_PATH,
  type HttpMethod,
  type RouteAuth,
  type RouteName,
  type RouteSpec,
} from './routes.js';
export { openApiDocument } from './openapi.js';
export {
  GROUP_MESSAGE_TYPES,
  GROUP_ROUTES,
  type ClaimedKeyPackage,
  type ClaimKeyPackagesResponse,
  type CommitRequest,
  type CommitResponse,
  type CreateGroupRequest,
  type GroupMember,
  type GroupMessageRequest,
  type GroupMessageResponse,
  type GroupResponse,
  type HandshakeEntry,
  type HandshakeLogResponse,
  type KeyPackageCountResponse,
  type UploadKeyPackagesRequest,
} from './groups.js';
