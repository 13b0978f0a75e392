/**
 * Protobuf wire-format examples. The first three are from the protobuf encoding guide
 * (https://protobuf.dev/programming-guides/encoding/: `Test1.a = 150`, `Test2.b = "testing"`,
 * `Test3.c = Test1 { a: 150 }`); the rest were worked out by hand from the same guide
 * (tag = field_number << 3 | wire_type; varints little-endian base 128; fixed types little-endian).
 */
export type ProtoVectorValue =
  | { readonly type: 'uint32'; readonly value: number }
  | { readonly type: 'uint64'; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'fixed32'; readonly value: number }
  | { readonly type: 'fixed64'; readonly value: bigint }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bytes'; readonly hex: string }
  | { readonly type: 'message'; readonly fields: readonly ProtoVectorField[] };

/** One field of a vector message. */
export type ProtoVectorField = { readonly field: number } & ProtoVectorValue;

/** A message and its exact encoding. */
export const protobufVectors: readonly {
  readonly name: string;
  readonly hex: string;
  readonly fields: readonly ProtoVectorField[];
}[] = [
  {
    name: 'guide Test1: a = 150',
    hex: '089601',
    fields: [{ field: 1, type: 'uint32', value: 150 }],
  },
  {
    name: 'guide Test2: b = "testing"',
    hex: '120774657374696e67',
    fields: [{ field: 2, type: 'string', value: 'testing' }],
  },
  {
    name: 'guide Test3: c = Test1 { a: 150 }',
    hex: '1a03089601',
    fields: [{ field: 3, type: 'message', fields: [{ field: 1, type: 'uint32', value: 150 }] }],
  },
  { name: 'uint32 zero', hex: '0800', fields: [{ field: 1, type: 'uint32', value: 0 }] },
  {
    name: 'uint32 max',
    hex: '08ffffffff0f',
    fields: [{ field: 1, type: 'uint32', value: 0xffffffff }],
  },
  {
    name: 'uint64 max',
    hex: '08ffffffffffffffffff01',
    fields: [{ field: 1, type: 'uint64', value: 0xffff_ffff_ffff_ffffn }],
  },
  { name: 'bool true in field 3', hex: '1801', fields: [{ field: 3, type: 'bool', value: true }] },
  {
    name: 'fixed32 1 in field 5',
    hex: '2d01000000',
    fields: [{ field: 5, type: 'fixed32', value: 1 }],
  },
  {
    name: 'fixed64 in field 3 (SenderCertificate.expires)',
    hex: '190807060504030201',
    fields: [{ field: 3, type: 'fixed64', value: 0x0102030405060708n }],
  },
  { name: 'empty bytes', hex: '0a00', fields: [{ field: 1, type: 'bytes', hex: '' }] },
  {
    name: 'largest field number 2^29 − 1',
    hex: 'f8ffffff0f01',
    fields: [{ field: 0x1fffffff, type: 'uint32', value: 1 }],
  },
  {
    name: 'field 16 needs a two-byte tag',
    hex: '800107',
    fields: [{ field: 16, type: 'uint32', value: 7 }],
  },
  {
    name: 'ascending fields as libsignal writes a SignalMessage',
    hex: '0a020501100518002203aabbcc',
    fields: [
      { field: 1, type: 'bytes', hex: '0501' },
      { field: 2, type: 'uint32', value: 5 },
      { field: 3, type: 'uint32', value: 0 },
      { field: 4, type: 'bytes', hex: 'aabbcc' },
    ],
  },
];
