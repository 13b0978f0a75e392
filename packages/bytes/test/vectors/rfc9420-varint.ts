/**
 * RFC 9420 §2.1.2 "Variable-Size Vector Length Headers"
 * (https://www.rfc-editor.org/rfc/rfc9420#section-2.1.2): the worked examples, the rejection of
 * 0x4025 as a non-minimal encoding of 37, and the reserved 0b11 prefix (an 8-byte QUIC varint
 * from RFC 9000 §A.1, invalid in MLS).
 */
export const varintVectors: readonly { readonly hex: string; readonly value: number }[] = [
  { hex: '9d7f3e7d', value: 494878333 },
  { hex: '7bbd', value: 15293 },
  { hex: '25', value: 37 },
];

/** Encodings an MLS reader must reject, with the error code expected. */
export const invalidVarintVectors: readonly {
  readonly hex: string;
  readonly code: 'NON_MINIMAL_VARINT' | 'INVALID_VARINT';
}[] = [
  { hex: '4025', code: 'NON_MINIMAL_VARINT' },
  { hex: '80000025', code: 'NON_MINIMAL_VARINT' },
  { hex: '80003fff', code: 'NON_MINIMAL_VARINT' },
  { hex: 'c2197c5eff14e88c', code: 'INVALID_VARINT' },
];
