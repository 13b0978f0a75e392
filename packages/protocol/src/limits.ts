/**
 * Every bound that input can drive, with its reason. The first block is libsignal's
 * (`rust/protocol/src/consts.rs`) and must stay equal to it for interoperability.
 */

/** Largest forward jump of a receiving chain's counter (libsignal `MAX_FORWARD_JUMPS`). */
export const MAX_FORWARD_JUMPS = 25_000;
/** Skipped message keys kept per receiving chain, newest first (`MAX_MESSAGE_KEYS`). */
export const MAX_MESSAGE_KEYS = 2_000;
/** Receiving chains kept per session state; the oldest is dropped (`MAX_RECEIVER_CHAINS`). */
export const MAX_RECEIVER_CHAINS = 5;
/** Previous session states kept per address (`ARCHIVED_STATES_MAX_LENGTH`). */
export const ARCHIVED_STATES_MAX_LENGTH = 40;
/** A session that never got a reply stops encrypting after this long (`MAX_UNACKNOWLEDGED_SESSION_AGE`). */
export const MAX_UNACKNOWLEDGED_SESSION_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/** SPQR chain: largest forward jump of a receiving index (spqr `ChainParams::max_jump`). */
export const SPQR_MAX_JUMP = 25_000;
/** SPQR chain: skipped keys kept per direction (spqr `ChainParams::max_ooo_keys`). */
export const SPQR_MAX_OOO_KEYS = 2_000;
/** SPQR framing: largest chunk index (a u16 on the wire). */
export const SPQR_MAX_CHUNK_INDEX = 65_535;
/**
 * SPQR framing: the epoch is a u64 varint. A braid epoch takes two ML-KEM exchanges' worth of
 * messages (dozens), so no session reaches 2³²; a larger epoch is refused as malformed.
 */
export const SPQR_MAX_EPOCH = 0xffff_ffff;
/**
 * SPQR chain links kept per session. The sender drops all but one link before the epoch it
 * sends on, and an epoch is only added while sending or right after, so a session holds at
 * most four; a stored record with more is corrupt.
 */
export const SPQR_MAX_CHAIN_LINKS = 8;

/** Device ids, as libsignal's `ProtocolAddress` and `DeviceId` allow. */
export const MIN_DEVICE_ID = 1;
export const MAX_DEVICE_ID = 127;

/**
 * Largest serialized message we parse: far above any real message (a 64 KiB plaintext makes
 * ~66 KiB) and small enough that a hostile one cannot make us allocate much.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest plaintext we encrypt; keeps every message we send under {@link MAX_MESSAGE_BYTES}. */
export const MAX_PLAINTEXT_BYTES = MAX_MESSAGE_BYTES - 4096;

/**
 * Largest session record we parse: 41 states × 5 chains × 2,000 skipped keys × ~40 bytes is
 * about 16 MiB, plus SPQR's skipped keys; 48 MiB covers the worst legitimate record.
 */
export const MAX_RECORD_BYTES = 48 * 1024 * 1024;
/** Longest address name (a ServiceId string is 40 characters; this leaves room for others). */
export const MAX_ADDRESS_NAME_LENGTH = 256;

/**
 * Sealed sender v2: recipients (accounts, not devices) one sent message may name. A group is
 * at most a few thousand members; libsignal preallocates at most 6,000 and the Signal server
 * refuses more than that, so a larger count is refused as malformed before any allocation.
 */
export const MAX_SEALED_SENDER_V2_RECIPIENTS = 6_000;
/**
 * Sealed sender v2: the largest sent (multi-recipient) message we parse. The shared part is a
 * message (at most {@link MAX_MESSAGE_BYTES}) and each recipient adds 17 + 3 per device + 48
 * bytes; 6,000 recipients with a few devices each stay well under 2 MiB.
 */
export const MAX_SEALED_SENDER_V2_SENT_BYTES = MAX_MESSAGE_BYTES + 1024 * 1024;

/**
 * Sealed sender: certificate signatures remembered as verified, per primitives backend. A
 * recipient sees the same few server certificates and each sender's certificate (valid for
 * hours) on every message from that sender, so remembering successful verifications saves two
 * XEdDSA verifications per message; the oldest entry is dropped beyond this count (an entry
 * is 64 hex characters).
 */
export const MAX_VERIFIED_SIGNATURES_CACHED = 1024;

/**
 * Sealed sender: X25519 agreements between our identity key and another device's identity key
 * remembered per primitives backend (`sealed/static-agreements.ts`). Every v1 seal and open and
 * every v2 recipient and open needs one, and a device talks to the same contacts again and
 * again; a v2 send to the largest Signal group (1,000 members) fits. The least recently used
 * entry is dropped (and zeroed) beyond this count (an entry is ~150 bytes).
 */
export const MAX_STATIC_AGREEMENTS_CACHED = 1024;
