/** The protobuf wire types this codec handles. Groups (3 and 4) are rejected. */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;

/** One of the values of {@link WireType}. */
export type WireType = (typeof WireType)[keyof typeof WireType];
