import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BytesError, type BytesErrorCode } from '../src/index.js';

/** Seed shared by every property and fuzz test, so a failure reproduces; fast-check prints it. */
export const SEED = 0x5eed_b17e;

/** Runs per fuzzed decoder. */
export const FUZZ_RUNS = 2000;

/** Asserts that `fn` throws a BytesError, with `code` when given. */
export function assertBytesError(fn: () => unknown, code?: BytesErrorCode): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BytesError, `expected BytesError, got ${String(error)}`);
    if (code !== undefined) assert.equal(error.code, code);
    return true;
  });
}

/**
 * Runs a decoder on fuzzed input: it may return or throw a BytesError, nothing else. Returns
 * the error, if any, so callers can check its message.
 */
export function decodeOrBytesError(fn: () => unknown): BytesError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof BytesError) return error;
    throw error;
  }
}

interface Mutation {
  readonly kind: 'flip' | 'truncate' | 'insert' | 'delete' | 'set';
  readonly position: number;
  readonly byte: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'truncate', 'insert', 'delete', 'set'),
  position: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
});

function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = bytes.length === 0 ? 0 : m.position % bytes.length;
  const out = Array.from(bytes);
  switch (m.kind) {
    case 'flip':
      if (out.length > 0) out[at] = (out[at] ?? 0) ^ (1 << (m.byte % 8));
      break;
    case 'truncate':
      out.length = at;
      break;
    case 'insert':
      out.splice(at, 0, m.byte);
      break;
    case 'delete':
      out.splice(at, 1);
      break;
    case 'set':
      if (out.length > 0) out[at] = m.byte;
      break;
  }
  return Uint8Array.from(out);
}

/** Valid encodings from `valid`, each damaged by one to four random edits. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([bytes, edits]) => edits.reduce(applyMutation, bytes));
}
