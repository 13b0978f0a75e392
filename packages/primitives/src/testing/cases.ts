import type { Primitives } from '../primitives.js';
import { aeadCases, aesCases } from './cases-cipher.js';
import { curveCases } from './cases-curve.js';
import { hashCases } from './cases-hash.js';
import { inputCases } from './cases-inputs.js';
import { incrementalKemCases } from './cases-incremental-kem.js';
import { kemCases } from './cases-kem.js';
import { aesCtrStreamCases } from './cases-stream-cipher.js';
import { xeddsaCases } from './cases-xeddsa.js';
import type { ConformanceCase, ConformanceOptions } from './conformance-case.js';

/**
 * The conformance suite every {@link Primitives} backend runs: RFC and NIST known answers,
 * libsignal's XEdDSA conventions, KEM sizes and round trips, and the documented error codes.
 * Each case is named after what it checks and throws when the backend does not conform.
 */
export function primitivesConformance(
  p: Primitives,
  options: ConformanceOptions = {},
): ConformanceCase[] {
  return [
    ...hashCases(p),
    ...aesCases(p),
    ...aeadCases(p),
    ...curveCases(p, options),
    ...xeddsaCases(p),
    ...kemCases(p),
    ...incrementalKemCases(p),
    ...inputCases(p),
    ...aesCtrStreamCases(p),
  ];
}
