export {
  assertLength,
  assertSameLength,
  concatBytes,
  constantTimeEqual,
  isAllZero,
  readUint16BE,
  readUint32BE,
  readUint64BE,
  uint16BE,
  uint32BE,
  uint64BE,
  zeroize,
} from './bytes.js';
export { utf8Decode, utf8Encode } from './utf8.js';
export { fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex } from './encoding.js';
export { fixedBytes, type Brand, type BrandedBytes } from './brand.js';
export { BytesError, type BytesErrorCode } from './errors.js';
export {
  MLS_VARINT_MAX,
  PROTOBUF_MAX_FIELD_NUMBER,
  PROTOBUF_MAX_VARINT32_BYTES,
  PROTOBUF_MAX_VARINT_BYTES,
  TLS_MAX_VECTOR_BYTES,
  TLS_MAX_VECTOR_ITEMS,
} from './limits.js';
export { LENGTH_PREFIX_MAX, type LengthPrefix } from './tls-length-prefix.js';
export { TlsWriter } from './tls-writer.js';
export { TlsReader, type TlsReaderOptions } from './tls-reader.js';
export { WireType } from './protobuf-wire-type.js';
export { ProtoReader, type ProtoField } from './protobuf-reader.js';
export { ProtoWriter } from './protobuf-writer.js';
