/**
 * Every HTTP route of the relay: method, path, who may call it, and its schemas. The relay
 * registers its handlers against this table and the OpenAPI document is generated from it, so
 * the contract and the server cannot drift apart.
 *
 * Authentication is HTTP Basic with `accountId.deviceId` as the user and the device secret
 * (base64) as the password, as Signal does.
 */
import type { TSchema } from '@sinclair/typebox';
import type { ErrorCode } from './errors.js';
import { ATTACHMENT_UPLOAD_ROUTES } from './attachment-uploads.js';
import { GROUP_ROUTES } from './groups.js';
import { KT_ROUTES } from './keytrans.js';
import { PROFILE_ROUTES } from './profiles.js';
import { SEALED_SENDER_ROUTES } from './sealed-sender.js';
import * as S from './schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** `none`: anyone; `device`: any device of an account; `primary`: the account's device 1. */
export type RouteAuth = 'none' | 'device' | 'primary';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Fastify-style path (`:param`). */
  readonly url: string;
  readonly auth: RouteAuth;
  readonly summary: string;
  readonly params?: TSchema;
  readonly query?: TSchema;
  /** JSON body schema; `octet-stream` for raw bytes. */
  readonly body?: TSchema | 'octet-stream';
  /** Largest `octet-stream` body (default `MAX_ATTACHMENT_BYTES`). */
  readonly bodyLimit?: number;
  /** Status and schema of the success response (`null`: no body, `octet-stream`: raw bytes). */
  readonly success: { readonly status: number; readonly schema: TSchema | null | 'octet-stream' };
  /** Route-specific error codes (besides the ones every route may return). */
  readonly errors: readonly ErrorCode[];
}

/** Codes any route may return: validation, auth, limits, and the relay's own failures. */
export const COMMON_ERRORS: readonly ErrorCode[] = [
  'INVALID_REQUEST',
  'MALFORMED_JSON',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'INTERNAL',
  'UNAVAILABLE',
];

export const ROUTES = {
  createAccount: {
    method: 'POST',
    url: '/v1/accounts',
    auth: 'none',
    summary: 'Create an account with its identity key and first (primary) device.',
    body: S.CreateAccountRequest,
    success: { status: 201, schema: S.CreateAccountResponse },
    errors: ['USERNAME_TAKEN'],
  },
  getAccountByUsername: {
    method: 'GET',
    url: '/v1/accounts/by-username/:username',
    auth: 'device',
    summary: 'Look an account up by username (case-insensitive).',
    params: S.UsernameParams,
    success: { status: 200, schema: S.AccountResponse },
    errors: ['UNAUTHORIZED', 'ACCOUNT_NOT_FOUND'],
  },
  getAccount: {
    method: 'GET',
    url: '/v1/accounts/:accountId',
    auth: 'device',
    summary: 'An account by id: username and identity key.',
    params: S.AccountIdParams,
    success: { status: 200, schema: S.AccountResponse },
    errors: ['UNAUTHORIZED', 'ACCOUNT_NOT_FOUND'],
  },
  changeAccountKey: {
    method: 'PUT',
    url: '/v1/accounts/me/identity-key',
    auth: 'primary',
    summary:
      'Replace the account key, together with a device list signed by the new key (its version must increase).',
    body: S.ChangeAccountKeyRequest,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'DEVICE_LIST_VERSION_STALE'],
  },
  deleteAccount: {
    method: 'DELETE',
    url: '/v1/accounts/me',
    auth: 'primary',
    summary: 'Delete the account and everything the relay holds for it.',
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
  },
  listDevices: {
    method: 'GET',
    url: '/v1/devices',
    auth: 'device',
    summary: "The calling account's devices.",
    success: { status: 200, schema: S.DeviceListResponse },
    errors: ['UNAUTHORIZED'],
  },
  createLinkToken: {
    method: 'POST',
    url: '/v1/devices/link-tokens',
    auth: 'primary',
    summary:
      'A single-use token the primary puts in the provisioning message so a new device can join.',
    success: { status: 201, schema: S.LinkTokenResponse },
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
  },
  linkDevice: {
    method: 'POST',
    url: '/v1/devices',
    auth: 'none',
    summary: 'A new device joins the account that issued the link token.',
    body: S.LinkDeviceRequest,
    success: { status: 201, schema: S.LinkDeviceResponse },
    errors: ['LINK_TOKEN_INVALID', 'TOO_MANY_DEVICES'],
  },
  removeDevice: {
    method: 'DELETE',
    url: '/v1/devices/:deviceId',
    auth: 'device',
    summary: 'Remove a device (the primary may remove any other; a device may remove itself).',
    params: S.DeviceIdParams,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'DEVICE_NOT_FOUND'],
  },
  putDeviceList: {
    method: 'PUT',
    url: '/v1/device-list',
    auth: 'primary',
    summary: 'Publish the account-signed device list; its version must increase.',
    body: S.SignedDeviceList,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'DEVICE_LIST_VERSION_STALE'],
  },
  getDeviceList: {
    method: 'GET',
    url: '/v1/accounts/:accountId/device-list',
    auth: 'device',
    summary: 'The latest signed device list of an account (opaque; clients verify it).',
    params: S.AccountIdParams,
    success: { status: 200, schema: S.SignedDeviceList },
    errors: ['UNAUTHORIZED', 'ACCOUNT_NOT_FOUND', 'DEVICE_LIST_NOT_FOUND'],
  },
  openProvisioning: {
    method: 'POST',
    url: '/v1/provisioning',
    auth: 'none',
    summary: 'A new device opens a channel; its id goes in the code the primary scans.',
    success: { status: 201, schema: S.ProvisioningChannelResponse },
    errors: [],
  },
  sendProvisioning: {
    method: 'PUT',
    url: '/v1/provisioning/:channelId',
    auth: 'device',
    summary:
      'Leave the encrypted provisioning message in the channel (the primary to a new device, or the new device its answer to the primary).',
    params: S.ChannelParams,
    body: S.ProvisioningMessage,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'PROVISIONING_NOT_FOUND'],
  },
  pollProvisioning: {
    method: 'GET',
    url: '/v1/provisioning/:channelId',
    auth: 'none',
    summary:
      'Collect the message, waiting up to `waitSeconds` for it (null if it has not come); collecting closes the channel.',
    params: S.ChannelParams,
    query: S.ProvisioningPollQuery,
    success: { status: 200, schema: S.ProvisioningPollResponse },
    errors: ['PROVISIONING_NOT_FOUND'],
  },
  uploadKeys: {
    method: 'PUT',
    url: '/v1/keys',
    auth: 'device',
    summary: 'Upload prekeys: signed and last-resort keys replace, one-time keys add.',
    body: S.UploadKeysRequest,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'TOO_MANY_KEYS'],
  },
  keyCounts: {
    method: 'GET',
    url: '/v1/keys/status',
    auth: 'device',
    summary: "The calling device's remaining one-time keys and whether they run low.",
    success: { status: 200, schema: S.KeyCountsResponse },
    errors: ['UNAUTHORIZED'],
  },
  getPreKeyBundle: {
    method: 'GET',
    url: '/v1/keys/:accountId',
    auth: 'device',
    summary: 'A prekey bundle per device of the account, consuming one-time keys atomically.',
    params: S.AccountIdParams,
    query: S.KeysQuery,
    success: { status: 200, schema: S.PreKeyBundleResponse },
    errors: ['UNAUTHORIZED', 'ACCOUNT_NOT_FOUND', 'DEVICE_NOT_FOUND'],
  },
  sendMessage: {
    method: 'POST',
    url: '/v1/messages',
    auth: 'device',
    summary: 'Store one ciphertext per device; acknowledged only once durable.',
    body: S.SendRequest,
    success: { status: 200, schema: S.SendResponse },
    errors: ['UNAUTHORIZED', 'ACCOUNT_NOT_FOUND', 'DEVICE_MISMATCH', 'QUEUE_FULL'],
  },
  fetchMessages: {
    method: 'GET',
    url: '/v1/messages',
    auth: 'device',
    summary: "A page of the calling device's queue, oldest first.",
    success: { status: 200, schema: S.FetchMessagesResponse },
    errors: ['UNAUTHORIZED'],
  },
  ackMessages: {
    method: 'POST',
    url: '/v1/messages/acks',
    auth: 'device',
    summary: 'Acknowledge (and so delete) messages; unknown ids are ignored.',
    body: S.AckRequest,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED'],
  },
  uploadAttachment: {
    method: 'POST',
    url: '/v1/attachments',
    auth: 'device',
    summary: 'Upload an encrypted blob (application/octet-stream); returns an unguessable id.',
    body: 'octet-stream',
    success: { status: 201, schema: S.AttachmentResponse },
    errors: ['UNAUTHORIZED'],
  },
  downloadAttachment: {
    method: 'GET',
    url: '/v1/attachments/:attachmentId',
    auth: 'device',
    summary: 'Download an attachment by id until it expires.',
    params: S.AttachmentParams,
    success: { status: 200, schema: 'octet-stream' },
    errors: ['UNAUTHORIZED', 'ATTACHMENT_NOT_FOUND'],
  },
  ...ATTACHMENT_UPLOAD_ROUTES,
  ...GROUP_ROUTES,
  ...KT_ROUTES,
  ...SEALED_SENDER_ROUTES,
  ...PROFILE_ROUTES,
  health: {
    method: 'GET',
    url: '/health',
    auth: 'none',
    summary: 'Liveness and storage check.',
    success: { status: 200, schema: S.HealthResponse },
    errors: [],
  },
  metrics: {
    method: 'GET',
    url: '/metrics',
    auth: 'none',
    summary:
      'Prometheus metrics (text exposition format). With an operator token configured, it needs `Authorization: Bearer <token>`.',
    success: { status: 200, schema: null },
    errors: ['UNAUTHORIZED'],
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/** The WebSocket endpoint (see `frames.ts`). */
export const WEBSOCKET_PATH = '/v1/websocket';
