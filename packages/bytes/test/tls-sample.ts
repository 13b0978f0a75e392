import fc from 'fast-check';
import { MLS_VARINT_MAX, TlsReader, TlsWriter } from '../src/index.js';

/** A test structure that uses every TlsWriter and TlsReader operation once. */
export interface Sample {
  readonly u8: number;
  readonly u16: number;
  readonly u32: number;
  readonly u64: bigint;
  readonly varint: number;
  readonly fixed: Uint8Array;
  readonly opaque8: Uint8Array;
  readonly opaque16: Uint8Array;
  readonly opaque32: Uint8Array;
  readonly opaqueVarint: Uint8Array;
  readonly items: readonly { readonly id: number; readonly note: Uint8Array | undefined }[];
  readonly words: readonly number[];
}

const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

/** Arbitrary samples with small payloads. */
export const sampleArbitrary: fc.Arbitrary<Sample> = fc.record(
  {
    u8: fc.integer({ min: 0, max: 0xff }),
    u16: fc.integer({ min: 0, max: 0xffff }),
    u32: fc.integer({ min: 0, max: 0xffff_ffff }),
    u64: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    varint: fc.oneof(
      fc.integer({ min: 0, max: 0x4100 }),
      fc.integer({ min: 0, max: MLS_VARINT_MAX }),
    ),
    fixed: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    opaque8: bytes(20),
    opaque16: bytes(20),
    opaque32: bytes(20),
    opaqueVarint: bytes(80),
    items: fc.array(
      fc.record(
        { id: fc.integer({ min: 0, max: 0xffff }), note: fc.option(bytes(8), { nil: undefined }) },
        { noNullPrototype: true },
      ),
      { maxLength: 6 },
    ),
    words: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }),
  },
  { noNullPrototype: true },
);

/** Encodes a sample. */
export function encodeSample(s: Sample): Uint8Array {
  return new TlsWriter()
    .uint8(s.u8)
    .uint16(s.u16)
    .uint32(s.u32)
    .uint64(s.u64)
    .varint(s.varint)
    .bytes(s.fixed)
    .opaque('u8', s.opaque8)
    .opaque('u16', s.opaque16)
    .opaque('u32', s.opaque32)
    .opaque('varint', s.opaqueVarint)
    .vector('varint', s.items, (w, item) => {
      w.uint16(item.id).optional(item.note, (inner, note) => inner.opaque('u8', note));
    })
    .lengthPrefixed('u16', (w) => {
      for (const word of s.words) w.uint16(word);
    })
    .finish();
}

/** Decodes a sample strictly, including the final `finish()`. */
export function decodeSample(input: Uint8Array): Sample {
  const r = new TlsReader(input);
  const sample: Sample = {
    u8: r.uint8(),
    u16: r.uint16(),
    u32: r.uint32(),
    u64: r.uint64(),
    varint: r.varint(),
    fixed: r.bytes(4),
    opaque8: r.opaque('u8'),
    opaque16: r.opaque('u16'),
    opaque32: r.opaque('u32'),
    opaqueVarint: r.opaque('varint'),
    items: r.vector('varint', (item) => ({
      id: item.uint16(),
      note: item.optional((inner) => inner.opaque('u8')),
    })),
    words: r.lengthPrefixed('u16', (inner) => {
      const words: number[] = [];
      while (inner.remaining > 0) words.push(inner.uint16());
      return words;
    }),
  };
  r.finish();
  return sample;
}
