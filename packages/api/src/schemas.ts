/**
 * JSON schemas (TypeBox, so each schema is also its TypeScript type) for every request and
 * response body. Byte strings travel as standard base64; every string, array and number has a
 * bound from `limits.ts`, so the relay's validator refuses oversized input before any work.
 */
// The builder's functions one by one (not the `Type` object), so a bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import type { Static, TSchema, TString } from '@sinclair/typebox';
import {
  DEVICE_SECRET_BYTES,
  MAX_ACKS_PER_REQUEST,
  MAX_CIPHERTEXT_BYTES,
  MAX_DIRECT_MESSAGE_TYPE,
  MAX_CLIENT_MESSAGE_ID_LENGTH,
  MAX_DESTINATIONS_PER_SEND,
  MAX_DEVICE_ID,
  MAX_DEVICE_LIST_BYTES,
  MAX_ID_LENGTH,
  MAX_KEY_ID,
  MAX_MESSAGES_PER_FETCH,
  MAX_PREKEYS_PER_UPLOAD,
  MAX_PROVISIONING_MESSAGE_BYTES,
  MAX_PROVISIONING_WAIT_S,
  MAX_PUBLIC_KEY_BYTES,
  MAX_REGISTRATION_ID,
  MAX_SIGNATURE_BYTES,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
} from './limits.js';

const BASE64_PATTERN = '^[A-Za-z0-9+/]*={0,2}$';

/** Length of the base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** A base64 string of at most `maxBytes` (and at least `minBytes`) decoded bytes. */
export function Base64(maxBytes: number, minBytes = 1): TString {
  return Type.String({
    contentEncoding: 'base64',
    pattern: BASE64_PATTERN,
    minLength: base64Length(minBytes),
    maxLength: base64Length(maxBytes),
  });
}

/** Usernames: 3–32 of `[a-z0-9_.]`, compared case-insensitively (upper case is folded). */
export const Username = Type.String({
  minLength: USERNAME_MIN_LENGTH,
  maxLength: USERNAME_MAX_LENGTH,
  pattern: '^[A-Za-z0-9_.]+$',
});

/** A relay-issued opaque id (account ids and message ids are UUIDs). */
export const Id = Type.String({
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  pattern: '^[A-Za-z0-9_-]+$',
});
export const DeviceId = Type.Integer({ minimum: 1, maximum: MAX_DEVICE_ID });
export const RegistrationId = Type.Integer({ minimum: 0, maximum: MAX_REGISTRATION_ID });
export const KeyId = Type.Integer({ minimum: 0, maximum: MAX_KEY_ID });
export const PublicKey = Base64(MAX_PUBLIC_KEY_BYTES);
export const Signature = Base64(MAX_SIGNATURE_BYTES);
export const Timestamp = Type.Integer({ minimum: 0, description: 'milliseconds since the epoch' });

const strict = { additionalProperties: false } as const;

/** A new device's own public material, sent when the account is created or a device is linked. */
export const NewDevice = Type.Object(
  {
    /** 32 random bytes; the relay keeps only their hash. */
    secret: Base64(DEVICE_SECRET_BYTES, DEVICE_SECRET_BYTES),
    registrationId: RegistrationId,
    identityKey: PublicKey,
  },
  strict,
);
export type NewDevice = Static<typeof NewDevice>;

export const CreateAccountRequest = Type.Object(
  { username: Username, identityKey: PublicKey, device: NewDevice },
  strict,
);
export type CreateAccountRequest = Static<typeof CreateAccountRequest>;

export const CreateAccountResponse = Type.Object({ accountId: Id, deviceId: DeviceId });
export type CreateAccountResponse = Static<typeof CreateAccountResponse>;

export const AccountResponse = Type.Object({
  accountId: Id,
  username: Username,
  identityKey: PublicKey,
});
export type AccountResponse = Static<typeof AccountResponse>;

export const DeviceInfo = Type.Object({
  deviceId: DeviceId,
  registrationId: RegistrationId,
  identityKey: PublicKey,
  createdAt: Timestamp,
});
export type DeviceInfo = Static<typeof DeviceInfo>;

export const DeviceListResponse = Type.Object({ devices: Type.Array(DeviceInfo) });
export type DeviceListResponse = Static<typeof DeviceListResponse>;

export const LinkTokenResponse = Type.Object({ linkToken: Id, expiresAt: Timestamp });
export type LinkTokenResponse = Static<typeof LinkTokenResponse>;

export const LinkDeviceRequest = Type.Object({ linkToken: Id, device: NewDevice }, strict);
export type LinkDeviceRequest = Static<typeof LinkDeviceRequest>;

export const LinkDeviceResponse = Type.Object({ accountId: Id, deviceId: DeviceId });
export type LinkDeviceResponse = Static<typeof LinkDeviceResponse>;

/** The account-signed device list: opaque to the relay except for its version. */
export const SignedDeviceList = Type.Object(
  {
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    blob: Base64(MAX_DEVICE_LIST_BYTES),
  },
  strict,
);
export type SignedDeviceList = Static<typeof SignedDeviceList>;

export const ProvisioningChannelResponse = Type.Object({ channelId: Id, expiresAt: Timestamp });
export type ProvisioningChannelResponse = Static<typeof ProvisioningChannelResponse>;

export const ProvisioningMessage = Type.Object(
  { ciphertext: Base64(MAX_PROVISIONING_MESSAGE_BYTES) },
  strict,
);
export type ProvisioningMessage = Static<typeof ProvisioningMessage>;

/** How long a poll may wait for the message to arrive (a long poll: no busy polling). */
export const ProvisioningPollQuery = Type.Object(
  { waitSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PROVISIONING_WAIT_S })) },
  strict,
);
export type ProvisioningPollQuery = Static<typeof ProvisioningPollQuery>;

/**
 * A new account key, with the device list signed by it: the relay swaps both at once, so
 * every list it serves afterwards verifies under the key it serves.
 */
export const ChangeAccountKeyRequest = Type.Object(
  { identityKey: PublicKey, deviceList: SignedDeviceList },
  strict,
);
export type ChangeAccountKeyRequest = Static<typeof ChangeAccountKeyRequest>;

export const ProvisioningPollResponse = Type.Object({
  ciphertext: Type.Union([Base64(MAX_PROVISIONING_MESSAGE_BYTES), Type.Null()]),
});
export type ProvisioningPollResponse = Static<typeof ProvisioningPollResponse>;

export const SignedPreKey = Type.Object(
  { keyId: KeyId, publicKey: PublicKey, signature: Signature },
  strict,
);
export type SignedPreKey = Static<typeof SignedPreKey>;

export const OneTimePreKey = Type.Object({ keyId: KeyId, publicKey: PublicKey }, strict);
export type OneTimePreKey = Static<typeof OneTimePreKey>;

/** Any subset; signed and last-resort keys replace the stored ones, one-time keys are added. */
export const UploadKeysRequest = Type.Object(
  {
    signedPreKey: Type.Optional(SignedPreKey),
    kyberLastResortPreKey: Type.Optional(SignedPreKey),
    kyberPreKeys: Type.Optional(Type.Array(SignedPreKey, { maxItems: MAX_PREKEYS_PER_UPLOAD })),
    preKeys: Type.Optional(Type.Array(OneTimePreKey, { maxItems: MAX_PREKEYS_PER_UPLOAD })),
  },
  strict,
);
export type UploadKeysRequest = Static<typeof UploadKeysRequest>;

export const KeyCountsResponse = Type.Object({
  preKeys: Type.Integer(),
  kyberPreKeys: Type.Integer(),
  hasSignedPreKey: Type.Boolean(),
  hasKyberLastResortPreKey: Type.Boolean(),
  /** True when either one-time count is below the relay's low-water mark: upload more. */
  low: Type.Boolean(),
});
export type KeyCountsResponse = Static<typeof KeyCountsResponse>;

export const PreKeyBundleDevice = Type.Object({
  deviceId: DeviceId,
  registrationId: RegistrationId,
  identityKey: PublicKey,
  signedPreKey: Type.Union([SignedPreKey, Type.Null()]),
  /** A one-time Kyber key if one was left, else the last-resort one (`lastResort: true`). */
  kyberPreKey: Type.Union([
    Type.Object({
      keyId: KeyId,
      publicKey: PublicKey,
      signature: Signature,
      lastResort: Type.Boolean(),
    }),
    Type.Null(),
  ]),
  preKey: Type.Union([OneTimePreKey, Type.Null()]),
});
export type PreKeyBundleDevice = Static<typeof PreKeyBundleDevice>;

export const PreKeyBundleResponse = Type.Object({
  accountId: Id,
  identityKey: PublicKey,
  devices: Type.Array(PreKeyBundleDevice),
});
export type PreKeyBundleResponse = Static<typeof PreKeyBundleResponse>;

export const Destination = Type.Object(
  {
    accountId: Id,
    deviceId: DeviceId,
    /** The registration id the sender believes the device has; a mismatch means stale. */
    registrationId: RegistrationId,
    /**
     * Ciphertext type, opaque to the relay beyond its range (Signal: 2 whisper, 3 prekey). Types
     * from 32 up are the group envelopes, which only the group routes create: a 1:1 send that
     * names one is refused, so no account can pass a forged commit or Welcome through it.
     */
    type: Type.Integer({ minimum: 1, maximum: MAX_DIRECT_MESSAGE_TYPE }),
    content: Base64(MAX_CIPHERTEXT_BYTES),
  },
  strict,
);
export type Destination = Static<typeof Destination>;

/**
 * One send: the same logical message encrypted for every device of each account it names (the
 * recipient's, and the sender's other devices). Idempotent by `clientMessageId` per sender device.
 */
export const SendRequest = Type.Object(
  {
    clientMessageId: Type.String({ minLength: 1, maxLength: MAX_CLIENT_MESSAGE_ID_LENGTH }),
    destinations: Type.Array(Destination, { minItems: 1, maxItems: MAX_DESTINATIONS_PER_SEND }),
    /**
     * A disappearing message's expiry (ms since the epoch): after it the relay delivers none of
     * these ciphertexts and deletes them unread. The timer itself stays inside the encryption.
     */
    expiresAt: Type.Optional(Timestamp),
  },
  strict,
);
export type SendRequest = Static<typeof SendRequest>;

export const SendResponse = Type.Object({
  clientMessageId: Type.String(),
  serverTimestamp: Timestamp,
  /** True when this id was already accepted: nothing new was stored. */
  duplicate: Type.Boolean(),
});
export type SendResponse = Static<typeof SendResponse>;

/**
 * A queued message as delivered to a recipient device (HTTP fetch and WebSocket alike). A sealed
 * sender envelope (`SEALED_SENDER_ENVELOPE_TYPE`) has no sender: `senderAccountId` is empty and
 * `senderDeviceId` 0; the recipient learns the sender only by opening it.
 */
export const Envelope = Type.Object({
  /** Relay-assigned id, what the recipient acknowledges. */
  guid: Id,
  senderAccountId: Type.String({ maxLength: MAX_ID_LENGTH, pattern: '^[A-Za-z0-9_-]*$' }),
  senderDeviceId: Type.Integer({ minimum: 0, maximum: MAX_DEVICE_ID }),
  clientMessageId: Type.String(),
  type: Type.Integer(),
  content: Type.String(),
  serverTimestamp: Timestamp,
});
export type Envelope = Static<typeof Envelope>;

export const FetchMessagesResponse = Type.Object({
  messages: Type.Array(Envelope, { maxItems: MAX_MESSAGES_PER_FETCH }),
  more: Type.Boolean(),
});
export type FetchMessagesResponse = Static<typeof FetchMessagesResponse>;

/**
 * A fetched page checked only as a page: clients check each envelope on its own, so one
 * malformed envelope costs only itself, never the envelopes beside it.
 */
export const FetchMessagesPage = Type.Object({
  messages: Type.Array(Type.Unknown(), { maxItems: MAX_MESSAGES_PER_FETCH }),
  more: Type.Boolean(),
});

/** The `details` of a `DEVICE_MISMATCH` error (see `DeviceMismatch`). */
export const DeviceMismatchDetails = Type.Object({
  accounts: Type.Array(
    Type.Object({
      accountId: Id,
      missing: Type.Array(DeviceId, { maxItems: MAX_DESTINATIONS_PER_SEND }),
      extra: Type.Array(DeviceId, { maxItems: MAX_DESTINATIONS_PER_SEND }),
      stale: Type.Array(DeviceId, { maxItems: MAX_DESTINATIONS_PER_SEND }),
    }),
    { maxItems: MAX_DESTINATIONS_PER_SEND },
  ),
});

export const AckRequest = Type.Object(
  { guids: Type.Array(Id, { minItems: 1, maxItems: MAX_ACKS_PER_REQUEST }) },
  strict,
);
export type AckRequest = Static<typeof AckRequest>;

export const AttachmentResponse = Type.Object({ attachmentId: Id, expiresAt: Timestamp });
export type AttachmentResponse = Static<typeof AttachmentResponse>;

export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  storage: Type.String(),
});
export type HealthResponse = Static<typeof HealthResponse>;

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});
export type ErrorResponse = Static<typeof ErrorResponse>;

export const AccountIdParams = Type.Object({ accountId: Id }, strict);
export const UsernameParams = Type.Object({ username: Username }, strict);
export const DeviceIdParams = Type.Object(
  { deviceId: Type.Integer({ minimum: 1, maximum: MAX_DEVICE_ID }) },
  strict,
);
export const ChannelParams = Type.Object({ channelId: Id }, strict);
export const AttachmentParams = Type.Object({ attachmentId: Id }, strict);
export const KeysQuery = Type.Object({ deviceId: Type.Optional(DeviceId) }, strict);

/** Any schema in this module (for the route table and the OpenAPI generator). */
export type Schema = TSchema;
