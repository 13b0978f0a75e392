/**
 * Every bound that input can push against, with its reason. Decoders check these before they
 * loop or allocate, so a hostile length prefix costs a comparison, not memory.
 */

/**
 * Largest body a `TlsReader` accepts for one `opaque<V>` or vector, unless the caller sets
 * its own `maxVectorBytes`. A prefix can claim up to 4 GiB (uint32) or 1 GiB (varint). Reads are
 * already bounded by the input, so this is defence in depth: it refuses absurd claims early and
 * caps what one vector can make a decoder do. 16 MiB is above any single MLS structure Parley
 * expects (a full ratchet tree of a thousand-member post-quantum group is a few MiB).
 */
export const TLS_MAX_VECTOR_BYTES = 16 * 1024 * 1024;

/**
 * Largest number of items a `TlsReader` decodes from one vector, unless the caller sets its
 * own `maxVectorItems`. Every item becomes a JavaScript object costing far more heap than its
 * one-byte minimum on the wire, so a 16 MiB vector of tiny items must not become 16 million
 * objects. 2^17 covers the node slots of a ratchet tree with 2^16 leaves (2^17 − 1).
 */
export const TLS_MAX_VECTOR_ITEMS = 1 << 17;

/** Largest MLS variable-length integer: 30 bits after the 2-bit prefix (RFC 9420 §2.1.2). */
export const MLS_VARINT_MAX = 0x3fff_ffff;

/** Longest protobuf varint: 64 bits in 7-bit groups need 10 bytes (protobuf encoding guide). */
export const PROTOBUF_MAX_VARINT_BYTES = 10;

/** Longest varint accepted for a 32-bit protobuf value, tag or length: 32 bits need 5 bytes. */
export const PROTOBUF_MAX_VARINT32_BYTES = 5;

/** Largest protobuf field number: a 32-bit tag keeps 3 bits for the wire type. */
export const PROTOBUF_MAX_FIELD_NUMBER = 0x1fff_ffff;
