import { hex } from './test-bytes.js';

/**
 * Typed reads from a parsed Wycheproof file, which arrives as `unknown`. A missing or mistyped
 * field throws {@link WycheproofFormatError}, which the runner records against the test.
 */

/** A JSON object. */
export type JsonObject = { readonly [key: string]: unknown };

/** The vector file does not have the shape its schema describes. */
export class WycheproofFormatError extends Error {
  override readonly name = 'WycheproofFormatError';
}

/** `value` as an object. */
export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WycheproofFormatError(`${what} is not an object`);
  }
  return value as JsonObject;
}

/** A string field. */
export function getString(o: JsonObject, key: string): string {
  const value = o[key];
  if (typeof value !== 'string') throw new WycheproofFormatError(`field ${key} is not a string`);
  return value;
}

/** A number field. */
export function getNumber(o: JsonObject, key: string): number {
  const value = o[key];
  if (typeof value !== 'number') throw new WycheproofFormatError(`field ${key} is not a number`);
  return value;
}

/** An array field. */
export function getArray(o: JsonObject, key: string): readonly unknown[] {
  const value = o[key];
  if (!Array.isArray(value)) throw new WycheproofFormatError(`field ${key} is not an array`);
  return value;
}

/** A hex field as bytes. */
export function getHex(o: JsonObject, key: string): Uint8Array {
  const text = getString(o, key);
  try {
    return hex(text);
  } catch {
    throw new WycheproofFormatError(`field ${key} is not hex`);
  }
}

/** A hex field that some tests omit. */
export function getOptionalHex(o: JsonObject, key: string): Uint8Array | undefined {
  return o[key] === undefined ? undefined : getHex(o, key);
}

/** The `flags` array (absent means none). */
export function getFlags(o: JsonObject): readonly string[] {
  const value = o['flags'];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((f): f is string => typeof f === 'string')) {
    throw new WycheproofFormatError('field flags is not an array of strings');
  }
  return value;
}
