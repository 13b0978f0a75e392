import { MLS_VARINT_MAX } from './limits.js';

/**
 * How an `opaque<V>` or vector states its byte length: a 1, 2 or 4-byte big-endian integer as in
 * TLS (RFC 8446 §3.4), or the variable-length integer MLS uses for every vector (RFC 9420 §2.1.2).
 */
export type LengthPrefix = 'u8' | 'u16' | 'u32' | 'varint';

/** The largest length each prefix can state. */
export const LENGTH_PREFIX_MAX: Readonly<Record<LengthPrefix, number>> = {
  u8: 0xff,
  u16: 0xffff,
  u32: 0xffff_ffff,
  varint: MLS_VARINT_MAX,
};
