/**
 * Every bound that input can push against in `@parley/mls`, with its reason. Code that loops or
 * allocates because of a value it received checks one of these first.
 */

/**
 * Largest number of leaves in a ratchet tree (the group size, counting blank leaves). The issue
 * benchmarks groups of up to 10,000 members; 2^16 leaves leave room for that with blanks, and the
 * full tree's 2^17 − 1 nodes still fit `TLS_MAX_VECTOR_ITEMS` in `@parley/bytes`.
 */
export const MAX_LEAVES = 1 << 16;

/**
 * How far ahead of the next expected generation a received message may be in one hash ratchet
 * of the secret tree. Each step costs three key derivations, so this caps the work one forged
 * generation number can cause (RFC 9420 §9.4 asks for such a bound). 1,024 messages in flight
 * from one sender is far beyond what a chat produces between two deliveries.
 */
export const MAX_FORWARD_RATCHET_STEPS = 1024;

/**
 * Keys kept per hash ratchet for messages that arrive out of order (RFC 9420 §9.4). Each is a
 * key and nonce (under 64 bytes); the bound keeps one sender from making us hold unbounded
 * secrets, and the oldest are dropped first.
 */
export const MAX_RETAINED_RATCHET_KEYS = 256;

/**
 * Largest number of pre-shared keys folded into one epoch's `psk_secret`. PSKLabel counts them in
 * a uint16, but every PSK is a lookup and three derivations, and no legitimate commit uses more
 * than a handful; the conformance vectors go up to 10.
 */
export const MAX_PSKS = 64;

/**
 * Largest output requested from ExpandWithLabel or the exporter, in bytes. HKDF-Expand can give
 * at most 255 × Nh; the exporter's length is chosen by the application.
 */
export const MAX_EXPAND_LENGTH = 255 * 32;

/**
 * Largest number of zero padding bytes accepted after a PrivateMessageContent. Padding is read
 * byte by byte, so it is bounded by the ciphertext, itself bounded by the TLS vector limit;
 * this caps the padding we emit ourselves.
 */
export const MAX_PADDING_BYTES = 1 << 16;

/**
 * Past epochs whose resumption PSK a group state keeps, so that a later commit can name one
 * (RFC 9420 §8.6). Each is Nh bytes; the bound keeps a long-lived group's state small.
 */
export const MAX_RETAINED_RESUMPTION_PSKS = 16;

/**
 * Proposals a group state holds for the current epoch, waiting to be committed by reference.
 * Each is a decoded proposal (a KeyPackage at most); a sender that floods proposals cannot
 * make the state grow past this. 4,096 covers adding or removing a thousand members at once.
 */
export const MAX_PENDING_PROPOSALS = 4096;

/**
 * Past epochs whose secret tree a group state keeps, so that application messages sent just
 * before a commit can still be read (RFC 9420 §15.2 allows keeping them briefly). One epoch
 * covers messages racing a commit; each retained epoch weakens forward secrecy for its
 * unread keys, so callers drop it (`dropPreviousEpoch`) once the race window has passed.
 */
export const RETAINED_PAST_EPOCHS = 1;
