/**
 * Every bound the client enforces on input it did not produce, with its reason.
 */

/** Longest text a user may send, in UTF-8 bytes (well under the protocol's plaintext limit). */
export const MAX_TEXT_BYTES = 16 * 1024;

/**
 * Largest encoded message content we parse: text, up to `MAX_ATTACHMENTS_PER_MESSAGE` pointers
 * with their thumbnails, and the structure around them (well under the relay's 64 KiB per
 * ciphertext).
 */
export const MAX_CONTENT_BYTES = 48 * 1024;

/** Largest file we encrypt and send: its Padmé size stays under the relay's `MAX_BLOB_BYTES`. */
export const MAX_ATTACHMENT_PLAINTEXT_BYTES = 128 * 1024 * 1024;

/** Earlier texts kept per edited message (the oldest are dropped past it). */
export const MAX_EDITS_KEPT = 20;

/** The longest disappearing-message timer: four weeks, as Signal offers (seconds). */
export const MAX_DISAPPEARING_SECONDS = 28 * 24 * 60 * 60;

/** A typing indicator older than this when it arrives is not shown (it would be stale). */
export const TYPING_MAX_AGE_MS = 15_000;

/** The largest backup archive read or written, whole in memory (history included). */
export const MAX_BACKUP_BYTES = 64 * 1024 * 1024;

/** Longest reaction, in UTF-16 code units (an emoji with modifiers and joiners). */
export const MAX_REACTION_LENGTH = 32;

/** Most attachments one message points at. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 4;

/** Largest thumbnail carried inside a message (raw bytes, before base64). */
export const MAX_THUMBNAIL_BYTES = 4 * 1024;

/** Longest attachment file name and content type, in UTF-16 code units. */
export const MAX_ATTACHMENT_NAME_LENGTH = 255;
export const MAX_CONTENT_TYPE_LENGTH = 127;

/**
 * Blob bytes sent in one upload request and asked for in one download request: what one request
 * holds in memory, and what a failed request costs to send again.
 */
export const ATTACHMENT_CHUNK_BYTES = 1024 * 1024;

/** Times one chunk is tried again (after asking the relay how much it has) before the upload fails. */
export const MAX_ATTACHMENT_CHUNK_RETRIES = 5;

/** Most devices we accept in one signed device list (the relay allows fewer). */
export const MAX_DEVICES_IN_LIST = 64;

/** Times one send is re-encrypted after `DEVICE_MISMATCH` before giving up. */
export const MAX_MISMATCH_RETRIES = 3;

/** Pages of queued messages one `receive()` call fetches before returning. */
export const MAX_FETCH_PAGES_PER_RECEIVE = 64;

/** One-time EC and Kyber prekeys uploaded at registration and at every top-up. */
export const PREKEY_BATCH = 50;

/** Signal's fingerprint iteration count (libsignal-client, version 2). */
export const FINGERPRINT_ITERATIONS = 5200;

/** Outbox entries kept waiting for the relay; a send beyond this fails at once. */
export const MAX_OUTBOX_ENTRIES = 1_000;
/**
 * Group messages kept waiting for the relay (all groups together, alongside the 1:1 outbox);
 * a group send beyond this fails at once. Each flush retries at most this many, in order.
 */
export const MAX_GROUP_OUTBOX_ENTRIES = 1_000;

/**
 * Hashes of our own recent group posts kept to recognise their echo: a sealed post comes back
 * to the sending device (the relay cannot leave it out). The oldest go first beyond this; it
 * covers the whole group outbox and the proposals between two receives.
 */
export const MAX_GROUP_ECHO_HASHES = 2 * MAX_GROUP_OUTBOX_ENTRIES;

/** scrypt cost for the at-rest key derived from a passphrase (N = 2^17, r = 8, p = 1). */
export const SCRYPT_N = 2 ** 17;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
/** scrypt needs 128·N·r bytes; this leaves headroom over that. */
export const SCRYPT_MAXMEM = 256 * 1024 * 1024;

/** How long `link` and `link approve` wait for the other side before giving up. */
export const LINK_WAIT_MS = 120_000;

/** First reconnect delay of the live connection; it doubles per failure up to the maximum. */
export const LIVE_BACKOFF_INITIAL_MS = 250;
export const LIVE_BACKOFF_MAX_MS = 30_000;

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How long a processed envelope's guid is remembered, so a re-delivery (an acknowledgement lost
 * to a crash or a dropped socket) is acknowledged without a second event: the relay drops a
 * queued message after 30 days (`MAX_MESSAGE_AGE_MS` in packages/relay), so none comes later.
 */
export const SEEN_GUID_MAX_AGE_MS = 30 * DAY_MS;
/**
 * Most guids remembered, whatever their age: twice the relay's queue depth (10,000 per device),
 * which bounds how many unacknowledged messages could ever be re-delivered.
 */
export const MAX_SEEN_GUIDS = 20_000;
/**
 * Pruning runs in batches, inside the transaction that adds a guid, so it does not scan the set
 * on every message: by age once the oldest guid is this far past the maximum age, and by count
 * down to `SEEN_PRUNE_TO` once the cap is exceeded.
 */
export const SEEN_PRUNE_SLACK_MS = DAY_MS;
export const SEEN_PRUNE_TO = 18_000;

/** One-time MLS KeyPackages uploaded per device at registration and at every top-up. */
export const MLS_KEY_PACKAGE_BATCH = 20;
/** A top-up is due when the relay holds fewer one-time KeyPackages than this for the device. */
export const MLS_KEY_PACKAGE_LOW = 5;
/**
 * Validity of the KeyPackages we create (checked by members against their clock, with an hour
 * of slack for clock skew before `notBefore`). A last-resort package is replaced at top-ups.
 */
export const MLS_KEY_PACKAGE_LIFETIME_S = 90 * 24 * 60 * 60;
export const MLS_CLOCK_SKEW_S = 60 * 60;
/**
 * Times one group change is recomputed after `EPOCH_CONFLICT` (another member's commit won the
 * epoch): each retry first processes the commits since. Beyond this the change fails with
 * `GROUP_CONFLICT` and the user can simply run it again.
 */
export const MAX_COMMIT_RETRIES = 5;
/** Pages of the relay's commit log (64 commits each) fetched in one catch-up. */
export const MAX_COMMIT_PAGES_PER_CATCH_UP = 64;
/** Longest group name, in UTF-8 bytes (it travels inside MLS, in a GroupContext extension). */
export const MAX_GROUP_NAME_BYTES = 256;
/**
 * Accounts whose signed device lists one commit or Welcome may make us fetch before it is
 * processed (each is an HTTP round trip and a signature check); a group with more member
 * accounts than this is refused.
 */
export const MAX_ACCOUNTS_PER_GROUP_CHECK = 1_024;
/** Users named in one `createGroup`/`addMembers`/`removeMembers` call. */
export const MAX_USERS_PER_GROUP_CHANGE = 100;

/**
 * Age at which the signed prekey and the last-resort Kyber prekey are replaced (Signal's
 * clients rotate every two days): a key that stops being served limits what a later theft of
 * the device's stored keys can open.
 */
export const SIGNED_PREKEY_ROTATION_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * How long a replaced signed or last-resort key is kept: a PreKey message made from the old
 * bundle can wait in the relay's queue up to its 30-day age limit, plus a day of clock skew.
 */
export const RETIRED_KEY_GRACE_MS = 31 * 24 * 60 * 60 * 1000;

/** Most replaced key pairs kept at once (31 days of two-day rotations is 16). */
export const MAX_RETIRED_KEYS = 32;

/**
 * Envelopes kept to retry after a passing failure (relay unreachable, rate-limited): at most
 * this many; past it a failing envelope is dropped and reported instead of kept.
 */
export const MAX_PARKED_ENVELOPES = 1_000;
/** A parked envelope is retried at each receive for this long (the relay's queue age), then dropped and reported. */
export const PARKED_MAX_AGE_MS = 30 * DAY_MS;

/**
 * A member's request to be added again is served within this long of its arrival, else
 * dropped (the member asks again if it is still stuck).
 */
export const REJOIN_REQUEST_MAX_AGE_MS = 7 * DAY_MS;
/**
 * A last-resort KeyPackage that joined a group is replaced by a new one at the next upkeep, and
 * its secret kept this long for Welcomes made from it and still on their way, then deleted.
 */
export const USED_LAST_RESORT_GRACE_MS = 31 * DAY_MS;

/** Longest profile name (characters), as Signal's. */
export const MAX_PROFILE_NAME_LENGTH = 64;

/** A sealed profile's plaintext is padded to a multiple of this, so its size hides the name's. */
export const PROFILE_PAD_BYTES = 256;

/**
 * A sender certificate is fetched again when it has less than this left: a message sealed just
 * before expiry may sit in a queue, and receivers check the expiry at the envelope's time.
 */
export const SENDER_CERTIFICATE_MARGIN_MS = 60 * 60 * 1000;

/**
 * A label verified this recently with the value the relay serves now is not searched again (the
 * label is monitored meanwhile); a different value is always searched.
 */
export const KT_REVERIFY_MS = 10 * 60 * 1000;
/** Monitoring older than this many RMWs makes a label "cannot verify". */
export const KT_MONITOR_ALLOWANCE_RMW = 2;
/** Heads kept for comparison (own and contacts'), newest sizes first; older ones are dropped. */
export const MAX_SEEN_HEADS = 64;
