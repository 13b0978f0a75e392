/**
 * Every bound that input can push against, with its reason. Decoders and algorithms check these
 * before they loop or allocate, so a hostile size or position costs a comparison.
 */

/** Longest label: `opaque label<0..2^8-1>` in every -05 structure. */
export const MAX_LABEL_BYTES = 255;

/**
 * Longest value a log accepts or a client decodes. -05 allows `opaque value<0..2^32-1>`; Parley's
 * values are an account id, a 32-byte key with its epoch, or a device-list version and hash,
 * all under 100 bytes, so 64 KiB is far above any honest value and far below a memory attack.
 */
export const MAX_VALUE_BYTES = 64 * 1024;

/**
 * Largest tree size and position accepted. -05 says uint64; JavaScript numbers are exact to
 * 2^53, and a log that adds one entry per millisecond reaches 2^48 after 8,900 years.
 */
export const MAX_TREE_SIZE = 2 ** 48;

/**
 * Most subtree heads in a head-consistency proof (`head-consistency.ts`): the full subtrees of
 * one size (≤ 48 below 2^48) and the copaths down to them inside the other's (≤ 2 × 48).
 */
export const MAX_CONSISTENCY_ELEMENTS = 3 * 48;

/** Largest timestamp accepted, in milliseconds since the epoch (year 10,000 is below it). */
export const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/** Greatest label version: versions are `uint32`. */
export const MAX_VERSION = 0xffff_ffff;

/**
 * Most lookups one binary ladder can contain: 33 powers of two minus one, then a binary search
 * over at most 32 bits.
 */
export const MAX_LADDER_LOOKUPS = 66;

/**
 * Largest encoded response a client decodes. A search at version ≤ 3 in a 10^8-entry log is
 * ≈ 16 KB; monitoring after a long absence is larger but bounded by `MAX_OWNER_LADDERS`.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Most distinguished log entries the log gives binary ladders for in one owner-monitoring
 * response (-05 §"Owner Algorithm": the log SHOULD limit them); the owner asks again for more.
 */
export const MAX_OWNER_LADDERS = 64;

/** Most entries in a monitoring map sent to the log: `MonitorMapEntry entries<0..2^8-1>`. */
export const MAX_MONITOR_ENTRIES = 255;

/** Most values in one update request: `LabelValue values<0..2^8-1>`. */
export const MAX_UPDATE_VALUES = 255;

/** Deepest prefix-tree node a proof may claim: VRF outputs have 256 bits, depth is a uint8. */
export const MAX_PREFIX_DEPTH = 255;

/**
 * Most label-versions one log entry may add: the log's batcher caps a one-minute entry here so
 * that an AuditorUpdate (`PrefixLeaf added<0..2^16-1>`) always fits.
 */
export const MAX_ENTRY_ADDITIONS = 0xffff;
