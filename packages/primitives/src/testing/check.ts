import { PrimitivesError, type PrimitivesErrorCode } from '../errors.js';
import { bytesEqual, firstDifference } from './test-bytes.js';

/**
 * Assertions for conformance cases. They throw {@link ConformanceFailure}; messages name what was
 * checked and where bytes first differ, never the bytes themselves.
 */

/** A conformance check that did not hold. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

/** Fails unless `actual` equals `expected` byte for byte. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (bytesEqual(actual, expected)) return;
  const at = firstDifference(actual, expected);
  throw new ConformanceFailure(
    actual.length === expected.length
      ? `${what}: bytes differ from byte ${at}`
      : `${what}: expected ${expected.length} bytes, got ${actual.length}`,
  );
}

/** Fails unless `actual` and `other` differ. */
export function expectDifferent(actual: Uint8Array, other: Uint8Array, what: string): void {
  if (bytesEqual(actual, other)) throw new ConformanceFailure(`${what}: values are equal`);
}

/** Fails unless `condition` holds. */
export function expectTrue(condition: boolean, what: string): void {
  if (!condition) throw new ConformanceFailure(what);
}

/** Fails unless `actual === expected` (numbers, booleans, strings). */
export function expectEqual<T extends number | boolean | string>(
  actual: T,
  expected: T,
  what: string,
): void {
  if (actual !== expected) {
    throw new ConformanceFailure(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

/** How a call ended: its value, or the error it threw. */
export type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Runs `fn` and captures its result or exception. */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The code of a {@link PrimitivesError}, or a short description of any other thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof PrimitivesError) return error.code;
  if (error instanceof Error) return `${error.name} (not a PrimitivesError)`;
  return 'a non-Error value';
}

/** Fails unless `fn` throws a {@link PrimitivesError} with `code`. */
export function expectError(fn: () => unknown, code: PrimitivesErrorCode, what: string): void {
  const outcome = attempt(fn);
  if (outcome.ok) throw new ConformanceFailure(`${what}: expected ${code}, but the call succeeded`);
  if (!(outcome.error instanceof PrimitivesError) || outcome.error.code !== code) {
    throw new ConformanceFailure(`${what}: expected ${code}, got ${describeError(outcome.error)}`);
  }
}
