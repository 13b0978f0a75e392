/**
 * The wire contract for MLS groups (RFC 9420): KeyPackages per device (one-time, plus a
 * last-resort one that is handed out when the one-time ones run out and is never consumed),
 * and per-group routing with an ordered handshake log. The relay learns group ids (opaque
 * base64url strings chosen by clients) and member device ids, which it needs to route; it never
 * sees group names, contents or the MLS state.
 *
 * Handshake ordering: a commit names the epoch it was created in. The relay accepts exactly one
 * commit per epoch; any other gets `EPOCH_CONFLICT` with the current epoch in `details.epoch`,
 * and the client fetches the commits since (`GET /v1/groups/:groupId/commits`), processes them
 * and retries on the new epoch.
 */
// The builder's functions one by one (not the `Type` object), so a bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import {
  GROUP_ID_MAX_LENGTH,
  GROUP_ID_MIN_LENGTH,
  MAX_CIPHERTEXT_BYTES,
  DELIVERY_TOKEN_BYTES,
  MAX_CLIENT_MESSAGE_ID_LENGTH,
  MAX_COMMITS_PER_FETCH,
  MAX_GROUP_DEVICES,
  MAX_HANDSHAKE_BYTES,
  MAX_KEY_PACKAGE_BYTES,
  MAX_KEY_PACKAGES_PER_UPLOAD,
  MAX_WELCOME_BYTES,
} from './limits.js';
import { AccountIdParams, Base64, DeviceId, Id, Timestamp } from './schemas.js';
import type { RouteSpec } from './routes.js';

const strict = { additionalProperties: false } as const;

/**
 * Envelope `type`s of what the relay puts in member device queues for groups (Signal's 1:1
 * types are below 16). The content is the MLSMessage as the sender gave it.
 */
export const GROUP_MESSAGE_TYPES = {
  /** A commit the relay accepted, in epoch order. */
  commit: 32,
  /** A Welcome for a device that a commit added. */
  welcome: 33,
  /** An application message (or a proposal) for the group. */
  application: 34,
} as const;

/** Largest MLS epoch the relay tracks (epochs count commits; 2^53 − 1 is never reached). */
const MAX_EPOCH = Number.MAX_SAFE_INTEGER;

export const GroupId = Type.String({
  minLength: GROUP_ID_MIN_LENGTH,
  maxLength: GROUP_ID_MAX_LENGTH,
  pattern: '^[A-Za-z0-9_-]+$',
});
export const Epoch = Type.Integer({ minimum: 0, maximum: MAX_EPOCH });
export const KeyPackage = Base64(MAX_KEY_PACKAGE_BYTES);

/**
 * SHA-256 of a group delivery token (`DELIVERY_TOKEN_BYTES`), base64: what a member gives the
 * relay for an epoch so that sealed group posts of that epoch can be admitted.
 */
export const DeliveryTokenHash = Base64(DELIVERY_TOKEN_BYTES, DELIVERY_TOKEN_BYTES);
/** A group delivery token (MLS-Exporter of the epoch), base64. */
const GroupDeliveryToken = Base64(DELIVERY_TOKEN_BYTES, DELIVERY_TOKEN_BYTES);

export const GroupMember = Type.Object({ accountId: Id, deviceId: DeviceId }, strict);
export type GroupMember = Static<typeof GroupMember>;
const Members = Type.Array(GroupMember, { minItems: 1, maxItems: MAX_GROUP_DEVICES });

export const UploadKeyPackagesRequest = Type.Object(
  {
    /** One-time KeyPackages (MLSMessage-encoded), added to the device's pool. */
    keyPackages: Type.Array(KeyPackage, { maxItems: MAX_KEY_PACKAGES_PER_UPLOAD }),
    /** Replaces the device's last-resort KeyPackage. */
    lastResort: Type.Optional(KeyPackage),
  },
  strict,
);
export type UploadKeyPackagesRequest = Static<typeof UploadKeyPackagesRequest>;

export const KeyPackageCountResponse = Type.Object({
  /** One-time KeyPackages left for the calling device. */
  oneTime: Type.Integer({ minimum: 0 }),
  lastResort: Type.Boolean(),
});
export type KeyPackageCountResponse = Static<typeof KeyPackageCountResponse>;

export const ClaimedKeyPackage = Type.Object({
  deviceId: DeviceId,
  keyPackage: Type.String(),
  /** True when the pool was empty and this is the device's (reusable) last-resort package. */
  lastResort: Type.Boolean(),
});
export type ClaimedKeyPackage = Static<typeof ClaimedKeyPackage>;

export const ClaimKeyPackagesResponse = Type.Object({
  accountId: Id,
  /** One per device that has a KeyPackage; devices without any are left out. */
  devices: Type.Array(ClaimedKeyPackage),
});
export type ClaimKeyPackagesResponse = Static<typeof ClaimKeyPackagesResponse>;

export const CreateGroupRequest = Type.Object(
  {
    groupId: GroupId,
    /** The member devices at epoch 0 (the creator's device among them). */
    members: Members,
    /** SHA-256 of epoch 0's delivery token; without it sealed posts are refused until a commit sets one. */
    deliveryTokenHash: Type.Optional(DeliveryTokenHash),
  },
  strict,
);
export type CreateGroupRequest = Static<typeof CreateGroupRequest>;

export const GroupResponse = Type.Object({
  groupId: GroupId,
  epoch: Epoch,
  members: Type.Array(GroupMember),
});
export type GroupResponse = Static<typeof GroupResponse>;

export const CommitRequest = Type.Object(
  {
    /** The epoch the commit was created in (the group's current epoch, or it is refused). */
    epoch: Epoch,
    /** The commit, an MLSMessage. */
    commit: Base64(MAX_HANDSHAKE_BYTES),
    /** The member devices after the commit (the relay routes to these from the next epoch). */
    members: Members,
    /** The Welcome for the devices the commit adds (those in `members` that were not before). */
    welcome: Type.Optional(Base64(MAX_WELCOME_BYTES)),
    /** SHA-256 of the next epoch's delivery token; without it that epoch takes no sealed posts. */
    nextDeliveryTokenHash: Type.Optional(DeliveryTokenHash),
  },
  strict,
);
export type CommitRequest = Static<typeof CommitRequest>;

/**
 * A commit posted without credentials: admitted by the delivery token of the epoch it was made
 * in, so the relay logs and queues it with no sender.
 */
export const SealedCommitRequest = Type.Object(
  { deliveryToken: GroupDeliveryToken, ...CommitRequest.properties },
  strict,
);
export type SealedCommitRequest = Static<typeof SealedCommitRequest>;

export const CommitResponse = Type.Object({
  /** The group's epoch after this commit. */
  epoch: Epoch,
  serverTimestamp: Timestamp,
});
export type CommitResponse = Static<typeof CommitResponse>;

export const GroupMessageRequest = Type.Object(
  {
    /**
     * Idempotency: a repeated id from the same device for the same group is answered with
     * `duplicate: true` and queued nowhere.
     */
    clientMessageId: Type.String({ minLength: 1, maxLength: MAX_CLIENT_MESSAGE_ID_LENGTH }),
    /**
     * The epoch the message was made in. The relay refuses it with `EPOCH_CONFLICT` (current
     * epoch in `details.epoch`) unless the group is at that epoch, so a message never lands
     * after a commit in anyone's queue and never reaches a device added after it was made.
     */
    epoch: Epoch,
    /** A disappearing message's expiry (ms): undelivered and deleted unread after it. */
    expiresAt: Type.Optional(Timestamp),
    /** An MLS PrivateMessage (application data or a proposal). */
    message: Base64(MAX_CIPHERTEXT_BYTES),
  },
  strict,
);
export type GroupMessageRequest = Static<typeof GroupMessageRequest>;

/**
 * A group message posted without credentials, admitted by the current epoch's delivery token.
 * The relay does not deduplicate it (it has no sender to key the id by): members drop copies.
 */
export const SealedGroupMessageRequest = Type.Object(
  { deliveryToken: GroupDeliveryToken, ...GroupMessageRequest.properties },
  strict,
);
export type SealedGroupMessageRequest = Static<typeof SealedGroupMessageRequest>;

export const SealedGroupMessageResponse = Type.Object({
  serverTimestamp: Timestamp,
  /** Member devices the message was queued for (every member device, the sender's included). */
  recipients: Type.Integer({ minimum: 0 }),
});
export type SealedGroupMessageResponse = Static<typeof SealedGroupMessageResponse>;

export const GroupMessageResponse = Type.Object({
  serverTimestamp: Timestamp,
  /** Member devices the message was queued for (every member device but the sender; 0 for a duplicate). */
  recipients: Type.Integer({ minimum: 0 }),
  /** True when this client message id was already taken: nothing was queued again. */
  duplicate: Type.Boolean(),
});
export type GroupMessageResponse = Static<typeof GroupMessageResponse>;

export const HandshakeEntry = Type.Object({
  /** The epoch the commit was made in; processing it moves the group to `epoch + 1`. */
  epoch: Epoch,
  /** The committing device; absent for a sealed commit (the relay never learned it). */
  senderAccountId: Type.Optional(Id),
  senderDeviceId: Type.Optional(DeviceId),
  commit: Type.String(),
  serverTimestamp: Timestamp,
});
export type HandshakeEntry = Static<typeof HandshakeEntry>;

export const HandshakeLogResponse = Type.Object({
  commits: Type.Array(HandshakeEntry, { maxItems: MAX_COMMITS_PER_FETCH }),
  more: Type.Boolean(),
});
export type HandshakeLogResponse = Static<typeof HandshakeLogResponse>;

export const GroupParams = Type.Object({ groupId: GroupId }, strict);
export const HandshakeLogQuery = Type.Object(
  { fromEpoch: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_EPOCH })) },
  strict,
);

export const GROUP_ROUTES = {
  uploadKeyPackages: {
    method: 'PUT',
    url: '/v1/mls/key-packages',
    auth: 'device',
    summary: 'Upload MLS KeyPackages: one-time ones add, the last-resort one replaces.',
    body: UploadKeyPackagesRequest,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'TOO_MANY_KEYS'],
  },
  keyPackageCount: {
    method: 'GET',
    url: '/v1/mls/key-packages/status',
    auth: 'device',
    summary: "The calling device's one-time KeyPackages left and whether it has a last resort.",
    success: { status: 200, schema: KeyPackageCountResponse },
    errors: ['UNAUTHORIZED'],
  },
  claimKeyPackages: {
    method: 'POST',
    url: '/v1/mls/key-packages/:accountId/claim',
    auth: 'device',
    summary: 'One KeyPackage per device of the account, consuming one-time ones atomically.',
    params: AccountIdParams,
    success: { status: 200, schema: ClaimKeyPackagesResponse },
    errors: ['UNAUTHORIZED', 'ACCOUNT_NOT_FOUND'],
  },
  createGroup: {
    method: 'POST',
    url: '/v1/groups',
    auth: 'device',
    summary: 'Register a group at epoch 0 with its member devices (the caller among them).',
    body: CreateGroupRequest,
    success: { status: 201, schema: GroupResponse },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'GROUP_EXISTS', 'DEVICE_NOT_FOUND'],
  },
  getGroup: {
    method: 'GET',
    url: '/v1/groups/:groupId',
    auth: 'device',
    summary: "A group's epoch and member devices (members only).",
    params: GroupParams,
    success: { status: 200, schema: GroupResponse },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'GROUP_NOT_FOUND'],
  },
  commitToGroup: {
    method: 'POST',
    url: '/v1/groups/:groupId/commits',
    auth: 'device',
    summary:
      'Append a commit for the current epoch (exactly one per epoch), route it and its Welcome.',
    params: GroupParams,
    body: CommitRequest,
    success: { status: 200, schema: CommitResponse },
    errors: [
      'UNAUTHORIZED',
      'FORBIDDEN',
      'GROUP_NOT_FOUND',
      'EPOCH_CONFLICT',
      'DEVICE_NOT_FOUND',
      'QUEUE_FULL',
    ],
  },
  groupCommits: {
    method: 'GET',
    url: '/v1/groups/:groupId/commits',
    auth: 'device',
    summary: "The group's accepted commits from an epoch on, in order (members only).",
    params: GroupParams,
    query: HandshakeLogQuery,
    success: { status: 200, schema: HandshakeLogResponse },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'GROUP_NOT_FOUND'],
  },
  sendGroupMessage: {
    method: 'POST',
    url: '/v1/groups/:groupId/messages',
    auth: 'device',
    summary: "Queue an MLS message for every member device but the sender's.",
    params: GroupParams,
    body: GroupMessageRequest,
    success: { status: 200, schema: GroupMessageResponse },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'GROUP_NOT_FOUND', 'EPOCH_CONFLICT', 'QUEUE_FULL'],
  },
  sendSealedGroupMessage: {
    method: 'POST',
    url: '/v1/groups/:groupId/sealed-messages',
    auth: 'none',
    summary:
      "Queue an MLS message for every member device, admitted by the current epoch's delivery token instead of a credential; no sender is stored or logged. Rate-limited per address and per group.",
    params: GroupParams,
    body: SealedGroupMessageRequest,
    success: { status: 200, schema: SealedGroupMessageResponse },
    errors: ['DELIVERY_TOKEN_INVALID', 'EPOCH_CONFLICT', 'QUEUE_FULL'],
  },
  sealedCommitToGroup: {
    method: 'POST',
    url: '/v1/groups/:groupId/sealed-commits',
    auth: 'none',
    summary:
      "Append a commit for the current epoch, admitted by that epoch's delivery token; logged and routed with no sender. Rate-limited per address and per group.",
    params: GroupParams,
    body: SealedCommitRequest,
    success: { status: 200, schema: CommitResponse },
    errors: ['DELIVERY_TOKEN_INVALID', 'EPOCH_CONFLICT', 'DEVICE_NOT_FOUND', 'QUEUE_FULL'],
  },
} as const satisfies Record<string, RouteSpec>;
