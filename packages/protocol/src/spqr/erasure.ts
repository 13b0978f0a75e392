/**
 * SPQR's systematic erasure code (the ML-KEM braid's chunking). A payload of L bytes (L a
 * multiple of 32) is read as L/2 big-endian 16-bit values; value i is the point
 * (⌊i/16⌋, v) of polynomial i mod 16 over GF(2¹⁶), so each of the 16 polynomials has n = L/32
 * points and degree below n. Chunk k carries the 16 polynomials' values at x = k: chunks
 * 0…n−1 are the payload itself, later ones are redundancy, and any n distinct chunks rebuild
 * the payload. Evaluation uses the barycentric Lagrange form, so no coefficients are kept.
 */
import { gfDiv, gfMul } from './gf16.js';

export const CHUNK_BYTES = 32;
const POLYS = 16;
/** Chunk indices are u16 on the wire; the sender's counter wraps. */
const INDEX_MASK = 0xffff;

export interface Chunk {
  readonly index: number;
  readonly data: Uint8Array;
}

function value(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/**
 * The values at `x` of the 16 polynomials through `points` (distinct x, 16 values each),
 * written big-endian into a 32-byte chunk.
 */
function evaluate(points: readonly Chunk[], x: number): Uint8Array {
  const n = points.length;
  const out = new Uint8Array(CHUNK_BYTES);
  for (const p of points) if (p.index === x) return p.data.slice();
  // ℓ(x) = Π (x − xⱼ); Lⱼ(x) = ℓ(x) / ((x − xⱼ) · Π_{m≠j} (xⱼ − xₘ)). Subtraction is XOR.
  let ell = 1;
  for (const p of points) ell = gfMul(ell, x ^ p.index);
  const weights = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    const xj = points[j]?.index ?? 0;
    let denominator = x ^ xj;
    for (let m = 0; m < n; m++)
      if (m !== j) denominator = gfMul(denominator, xj ^ (points[m]?.index ?? 0));
    weights[j] = gfDiv(ell, denominator);
  }
  for (let poly = 0; poly < POLYS; poly++) {
    let sum = 0;
    for (let j = 0; j < n; j++)
      sum ^= gfMul(weights[j] ?? 0, value(points[j]?.data ?? out, 2 * poly));
    out[2 * poly] = sum >> 8;
    out[2 * poly + 1] = sum & 0xff;
  }
  return out;
}

/** The systematic chunks of a payload: chunk k is bytes 32k…32k+31. */
function systematic(payload: Uint8Array): Chunk[] {
  const chunks: Chunk[] = [];
  for (let k = 0; k * CHUNK_BYTES < payload.length; k++)
    chunks.push({ index: k, data: payload.subarray(k * CHUNK_BYTES, (k + 1) * CHUNK_BYTES) });
  return chunks;
}

/** An encoder's state: the payload and the index of the next chunk to send. */
export interface Encoder {
  readonly payload: Uint8Array;
  readonly next: number;
}

export function newEncoder(payload: Uint8Array): Encoder {
  if (payload.length === 0 || payload.length % CHUNK_BYTES !== 0)
    throw new RangeError('SPQR payloads are a non-zero multiple of 32 bytes');
  return { payload, next: 0 };
}

/** The encoder's next chunk and the encoder after it. */
export function nextChunk(e: Encoder): { encoder: Encoder; chunk: Chunk } {
  const index = e.next & INDEX_MASK;
  const n = e.payload.length / CHUNK_BYTES;
  const data =
    index < n
      ? e.payload.slice(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES)
      : evaluate(systematic(e.payload), index);
  return { encoder: { payload: e.payload, next: e.next + 1 }, chunk: { index, data } };
}

/** A decoder's state: the payload length and the chunks kept so far, by ascending index. */
export interface Decoder {
  readonly length: number;
  readonly chunks: readonly Chunk[];
}

export function newDecoder(length: number): Decoder {
  return { length, chunks: [] };
}

/** How many chunks rebuild the payload. */
export function chunksNeeded(d: Decoder): number {
  return d.length / CHUNK_BYTES;
}

/**
 * The decoder with `chunk` added. Like spqr, a systematic chunk is always kept and a
 * redundancy chunk only while fewer than n are held; a chunk with an index already held
 * replaces it.
 */
export function addChunk(d: Decoder, chunk: Chunk): Decoder {
  const n = chunksNeeded(d);
  if (chunk.index >= n && d.chunks.length >= n) return d;
  const kept = d.chunks.filter((c) => c.index !== chunk.index);
  kept.push({ index: chunk.index, data: chunk.data.slice() });
  kept.sort((a, b) => a.index - b.index);
  return { length: d.length, chunks: kept };
}

/** The payload once n chunks are held (rebuilt from the n of lowest index), else undefined. */
export function decoded(d: Decoder): Uint8Array | undefined {
  const n = chunksNeeded(d);
  if (d.chunks.length < n) return undefined;
  const basis = d.chunks.slice(0, n);
  const out = new Uint8Array(d.length);
  for (let k = 0; k < n; k++) {
    const held = d.chunks.find((c) => c.index === k);
    out.set(held?.data ?? evaluate(basis, k), k * CHUNK_BYTES);
  }
  return out;
}
