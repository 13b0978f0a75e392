/**
 * Checking a value against a contract schema without compiling code at run time (the browser
 * client runs under a CSP without `unsafe-eval`): what clients use on every relay answer, so a
 * malformed or out-of-range value is refused at the edge, not deep inside.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** True when `value` has exactly the shape, types and bounds `schema` describes. */
export function conforms<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return Value.Check(schema, value);
}
