import { constantTimeEqual, fromHex } from '@parley/bytes';

/**
 * Reading the MLS working group's JSON vectors (`test-vectors.md` in mlswg/mls-implementations)
 * without `any`: every accessor checks the shape and throws {@link VectorFormatError}, which a
 * runner reports as a failed case, never as a pass.
 */

/** A vector file or entry does not have the documented shape. */
export class VectorFormatError extends Error {
  override readonly name = 'VectorFormatError';
}

/** A JSON object from a vector file. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** `value` as a JSON object. */
export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VectorFormatError(`${what} is not an object`);
  }
  return value as JsonObject;
}

/** `value` as a JSON array. */
export function asArray(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new VectorFormatError(`${what} is not an array`);
  return value as readonly unknown[];
}

/** Field `key` of `o` as an object. */
export function getObject(o: JsonObject, key: string): JsonObject {
  return asObject(o[key], key);
}

/** Field `key` of `o` as an array. */
export function getArray(o: JsonObject, key: string): readonly unknown[] {
  return asArray(o[key], key);
}

/** `value` as a non-negative safe integer. */
export function asInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new VectorFormatError(`${what} is not a non-negative integer`);
  }
  return value;
}

/** Field `key` of `o` as a non-negative integer. */
export function getInteger(o: JsonObject, key: string): number {
  return asInteger(o[key], key);
}

/** Field `key` of `o` as a string. */
export function getString(o: JsonObject, key: string): string {
  const value = o[key];
  if (typeof value !== 'string') throw new VectorFormatError(`${key} is not a string`);
  return value;
}

/** `value`, a hex string, as bytes. */
export function asHex(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new VectorFormatError(`${what} is not a hex string`);
  return fromHex(value);
}

/** Field `key` of `o`, a hex string, as bytes. */
export function getHex(o: JsonObject, key: string): Uint8Array {
  return asHex(o[key], key);
}

/** A check failed: `what` names the value, never its bytes. */
export class VectorMismatchError extends Error {
  override readonly name = 'VectorMismatchError';
}

/** Throws unless `actual` equals `expected`. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (!constantTimeEqual(actual, expected)) {
    throw new VectorMismatchError(`${what} differs from the vector`);
  }
}

/** Throws unless `actual === expected`. */
export function expectEqual<T extends number | bigint | string | boolean | undefined>(
  actual: T,
  expected: T,
  what: string,
): void {
  if (actual !== expected) {
    throw new VectorMismatchError(`${what}: got ${String(actual)}, expected ${String(expected)}`);
  }
}

/** Throws unless `run` throws. */
export function expectThrows(run: () => unknown, what: string): void {
  let threw = false;
  try {
    run();
  } catch {
    threw = true;
  }
  if (!threw) throw new VectorMismatchError(`${what} should have been rejected`);
}
