/**
 * GF(2¹⁶) with the reduction polynomial x¹⁶ + x¹² + x³ + x + 1 (0x1100B), the field of SPQR's
 * erasure code. Addition is XOR; multiplication and division go through logarithm tables
 * built on first use (x is a generator: its powers reach all 65,535 non-zero elements).
 */

const ORDER = 0xffff;
const REDUCTION = 0x1100b;

let tables: { log: Uint16Array; exp: Uint16Array } | undefined;

function build(): { log: Uint16Array; exp: Uint16Array } {
  const exp = new Uint16Array(2 * ORDER);
  const log = new Uint16Array(ORDER + 1);
  let x = 1;
  for (let i = 0; i < ORDER; i++) {
    exp[i] = x;
    exp[i + ORDER] = x;
    log[x] = i;
    x <<= 1;
    if (x & 0x10000) x ^= REDUCTION;
  }
  return { log, exp };
}

function get(): { log: Uint16Array; exp: Uint16Array } {
  tables ??= build();
  return tables;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const t = get();
  return t.exp[(t.log[a] ?? 0) + (t.log[b] ?? 0)] ?? 0;
}

/** a / b for b ≠ 0. */
export function gfDiv(a: number, b: number): number {
  if (a === 0) return 0;
  const t = get();
  return t.exp[(t.log[a] ?? 0) + ORDER - (t.log[b] ?? 0)] ?? 0;
}
