/** Stable codes for {@link BytesError}. */
export type BytesErrorCode =
  /** The input ended before the value being read was complete. */
  | 'TRUNCATED'
  /** A reader that must be consumed exactly still had bytes left. */
  | 'TRAILING_BYTES'
  /** Text or bytes that are not valid in the expected encoding (UTF-8, hex, base64, TLS). */
  | 'INVALID_ENCODING'
  /** A byte string has the wrong length for its type. */
  | 'INVALID_LENGTH'
  /** A length or count exceeds the limit in force (`limits.ts`) or what its prefix can state. */
  | 'LENGTH_LIMIT'
  /** An MLS variable-length integer was not encoded in its shortest form. */
  | 'NON_MINIMAL_VARINT'
  /** A varint is malformed: too many bytes, or the reserved MLS `0b11` prefix. */
  | 'INVALID_VARINT'
  /** An integer does not fit the type it is read or written as. */
  | 'OUT_OF_RANGE'
  /** A protobuf wire type is unknown, a group (3 or 4), or not the one the field was read as. */
  | 'INVALID_WIRE_TYPE'
  /** A protobuf field number is 0 or above 2^29 − 1. */
  | 'INVALID_FIELD_NUMBER'
  /** The caller used an API out of order, for example reading a value before `next()`. */
  | 'MISUSE';

/**
 * The one error class of `@parley/bytes`. Messages describe what was wrong and where (an offset
 * or a length), never the bytes or text being decoded.
 */
export class BytesError extends Error {
  override readonly name = 'BytesError';
  constructor(
    readonly code: BytesErrorCode,
    message: string,
  ) {
    super(message);
  }
}
