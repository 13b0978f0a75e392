/**
 * Every bound the wire contract puts on what a client may send, with its reason. The relay's
 * schemas are built from these, so a request past one is refused at the edge, before any work.
 * Bounds that only the relay enforces (queue depth and age, rate limits) are in the relay's own
 * `limits.ts`.
 */

/** Shortest username (3 characters of `[a-z0-9_.]`): short names are squatted and guessable. */
export const USERNAME_MIN_LENGTH = 3;

/** Longest username: fits a line of a phone screen and a database index comfortably. */
export const USERNAME_MAX_LENGTH = 32;

/** Most devices one account may have, the primary included (Signal allows a primary plus five). */
export const MAX_DEVICES_PER_ACCOUNT = 6;

/** Largest device id the relay assigns; ids are reused from the lowest free one, 1 is the primary. */
export const MAX_DEVICE_ID = MAX_DEVICES_PER_ACCOUNT;

/** Device secrets are exactly 32 random bytes: enough entropy that a fast hash is a safe store. */
export const DEVICE_SECRET_BYTES = 32;

/** Largest public key on the wire: a Kyber1024 public key with its type byte is 1,569 bytes. */
export const MAX_PUBLIC_KEY_BYTES = 1600;

/** Largest signature on the wire (XEdDSA and Ed25519 signatures are 64 bytes). */
export const MAX_SIGNATURE_BYTES = 64;

/** Largest signed device list blob: six devices with identity and MLS keys fit in far less. */
export const MAX_DEVICE_LIST_BYTES = 16 * 1024;

/** Largest key id (Signal key ids are unsigned 24-bit for EC prekeys, 32-bit for the others). */
export const MAX_KEY_ID = 0xffff_ffff;

/** Largest registration id (Signal uses 14 bits; 16 leaves room). */
export const MAX_REGISTRATION_ID = 0xffff;

/** Most one-time prekeys (EC or Kyber) in one upload: bounds the work of one request. */
export const MAX_PREKEYS_PER_UPLOAD = 100;

/** Largest ciphertext for one device in one send: text and control messages, not attachments. */
export const MAX_CIPHERTEXT_BYTES = 64 * 1024;

/** Most ciphertexts in one send: every device of the recipient and every other device of ours. */
export const MAX_DESTINATIONS_PER_SEND = 2 * MAX_DEVICES_PER_ACCOUNT;

/** Longest client message id (a UUID is 36 characters; 64 allows other schemes). */
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 64;

/** Most acknowledgements in one HTTP request or one WebSocket frame (matches the in-flight window). */
export const MAX_ACKS_PER_REQUEST = 256;

/** Most messages returned by one `GET /v1/messages` page. */
export const MAX_MESSAGES_PER_FETCH = 256;

/** Most messages the relay pushes over a WebSocket before it waits for acknowledgements (Signal: 256). */
export const MAX_IN_FLIGHT_MESSAGES = 256;

/** Most sends in one WebSocket `send` frame: bounds the work one frame starts. */
export const MAX_SENDS_PER_FRAME = 64;

/** Most send results in one `results` frame (the relay starts another past it). */
export const MAX_RESULTS_PER_FRAME = 256;

/** Most envelopes in one `push` frame: a full in-flight window fits in one. */
export const MAX_ENVELOPES_PER_PUSH = MAX_IN_FLIGHT_MESSAGES;

/**
 * The relay closes a `push` frame once it holds this many bytes, so a client parses frames of
 * bounded size however large the window's envelopes are.
 */
export const PUSH_FRAME_TARGET_BYTES = 256 * 1024;

/** Largest frame a client accepts from the relay: a full push frame plus one largest envelope. */
export const MAX_SERVER_FRAME_BYTES = PUSH_FRAME_TARGET_BYTES + MAX_CIPHERTEXT_BYTES + 1024;

/** Largest provisioning message (an encrypted bundle of keys and settings for a new device). */
export const MAX_PROVISIONING_MESSAGE_BYTES = 64 * 1024;
/**
 * The longest a provisioning poll waits for its message (a long poll): short enough for
 * proxies' idle timeouts, long enough that a waiting device asks about twice a minute.
 */
export const MAX_PROVISIONING_WAIT_S = 25;

/** Largest JSON body the relay parses: a full send (12 destinations × 64 KiB in base64) and slack. */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;

/** Largest attachment sent whole in one request (`POST /v1/attachments`); larger ones are uploaded in chunks. */
export const MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024;

/**
 * Largest blob uploaded in chunks: a 128 MiB file after Padmé padding (which adds at most 12%)
 * and its 48 bytes of iv and MAC.
 */
export const MAX_BLOB_BYTES = 160 * 1024 * 1024;

/** Largest chunk of one upload request and of one download answer. */
export const MAX_BLOB_CHUNK_BYTES = 1024 * 1024;

/**
 * Largest WebSocket frame a client may send: a `send` frame of several sends, up to the size of
 * the largest JSON body (clients split larger batches into several frames).
 */
export const MAX_CLIENT_FRAME_BYTES = MAX_JSON_BODY_BYTES + 1024;

/** Longest string id the relay issues or accepts in a path (UUIDs, base64url attachment ids). */
export const MAX_ID_LENGTH = 64;

/** Largest MLS KeyPackage on the wire (suite 1 with a basic credential is ≈ 300 bytes). */
export const MAX_KEY_PACKAGE_BYTES = 4 * 1024;

/** Most one-time MLS KeyPackages in one upload: bounds the work of one request. */
export const MAX_KEY_PACKAGES_PER_UPLOAD = 100;

/** Most one-time MLS KeyPackages the relay keeps per device (as for one-time prekeys). */
export const MAX_KEY_PACKAGES_PER_DEVICE = 200;

/** Most member devices of one group the relay routes to (1,024 members with a few devices). */
export const MAX_GROUP_DEVICES = 4096;

/** Shortest and longest group id: base64url of the MLS group id (16 to 48 random bytes). */
export const GROUP_ID_MIN_LENGTH = 22;
export const GROUP_ID_MAX_LENGTH = 64;

/**
 * Largest MLS handshake message: a commit's UpdatePath in a fresh 1,024-member group encrypts
 * to ≈ 1,023 leaves (≈ 80 KiB). With the Welcome and the roster in base64 a commit request
 * stays under MAX_JSON_BODY_BYTES.
 */
export const MAX_HANDSHAKE_BYTES = 256 * 1024;

/** Largest Welcome: the ratchet tree of 1,024 leaves and one secret per new member (≈ 400 KiB). */
export const MAX_WELCOME_BYTES = 768 * 1024;

/** Most handshake-log entries returned by one page of `GET /v1/groups/:groupId/commits`. */
export const MAX_COMMITS_PER_FETCH = 64;

/**
 * The highest envelope type a 1:1 send may carry (1–31; Signal uses 2 and 3). 32 and up belong
 * to the group routes (`GROUP_MESSAGE_TYPES`), so a recipient can rely on a group type having
 * come through a group route.
 */
export const MAX_DIRECT_MESSAGE_TYPE = 31;

/** A sealed sender trust root as published: `0x05 ‖ 32-byte Curve25519 key`. */
export const SEALED_SENDER_TRUST_ROOT_BYTES = 33;

/**
 * Largest serialized sender certificate: the signed body (ids, a 33-byte key, an expiry and the
 * embedded ~110-byte server certificate) and a 64-byte signature come to about 300 bytes.
 */
export const MAX_SENDER_CERTIFICATE_BYTES = 1024;

/**
 * A delivery token: 32 bytes derived by the recipient from its profile key (HKDF), shared only
 * with its contacts inside end-to-end encrypted messages. The relay stores only its SHA-256.
 */
export const DELIVERY_TOKEN_BYTES = 32;

/**
 * Largest encrypted profile the relay stores (opaque: a name, an optional avatar and their
 * framing under the owner's profile key). Avatars are small thumbnails; 96 KiB of ciphertext
 * keeps a profile fetch cheap and far under MAX_JSON_BODY_BYTES in base64.
 */
export const MAX_PROFILE_BYTES = 96 * 1024;

/**
 * Envelope type of a sealed sender message (Signal's `UNIDENTIFIED_SENDER`). Only the
 * unauthenticated send route stores it; its envelope carries no sender (`senderAccountId` is
 * empty and `senderDeviceId` 0): the recipient learns the sender by opening it.
 */
export const SEALED_SENDER_ENVELOPE_TYPE = 6;

/**
 * Most recipient accounts in one multi-recipient (sealed sender v2) send: a large group's
 * members (`MAX_GROUP_DEVICES` over a few devices each). Bounds the delivery-token checks and
 * rate-limit takes one unauthenticated request costs.
 */
export const MAX_SEALED_MULTI_ACCOUNTS = 1024;

/**
 * Most recipient entries (ServiceId and its devices) in one multi-recipient message: every
 * device of every account, each under its own identity key (Parley devices do not share one).
 */
export const MAX_SEALED_MULTI_ENTRIES = MAX_SEALED_MULTI_ACCOUNTS * MAX_DEVICES_PER_ACCOUNT;

/**
 * Largest multi-recipient message (the v2 sent form): the shared part (a 32-byte ephemeral key
 * and one sealed body, itself at most `MAX_CIPHERTEXT_BYTES`) plus 17 + 3 + 48 bytes (ServiceId,
 * device, key material) per entry, with room for the count. About 470 KiB; in base64 under
 * `MAX_JSON_BODY_BYTES`.
 */
export const MAX_SEALED_MULTI_MESSAGE_BYTES =
  MAX_CIPHERTEXT_BYTES + 32 + MAX_SEALED_MULTI_ENTRIES * (17 + 3 + 48) + 16;
