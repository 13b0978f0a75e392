/**
 * Safety numbers exactly as libsignal-client computes them (`Fingerprint`, version 2): for each
 * party, h = `0x0000 ‖ key ‖ id`, then 5,200 times h = SHA-512(h ‖ key); the first 30
 * bytes become six 5-digit groups; the two halves are shown in sorted order (60 digits). The
 * scannable form is libsignal's `CombinedFingerprints` protobuf with the first 32 bytes of each.
 * Parley passes the two account keys (33-byte `0x05` form) and the account ids as identifiers,
 * so the number does not change when a contact links a device.
 */
import { ProtoWriter, concatBytes, constantTimeEqual } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { FINGERPRINT_ITERATIONS } from './limits.js';

/** libsignal's fingerprint version for the scannable form. */
export const FINGERPRINT_VERSION = 2;
const FINGERPRINT_HASH_PREFIX = Uint8Array.of(0, 0);
const DISPLAY_BYTES = 30;
const SCANNABLE_BYTES = 32;
const CHUNK_BYTES = 5;
const CHUNK_MODULUS = 100_000;

export interface SafetyNumber {
  /** 60 digits, no spaces. */
  readonly digits: string;
  /** The bytes a QR code carries. */
  readonly scannable: Uint8Array;
}

function iterate(p: Primitives, id: Uint8Array, key: Uint8Array, iterations: number): Uint8Array {
  let hash = concatBytes(FINGERPRINT_HASH_PREFIX, key, id);
  for (let i = 0; i < iterations; i++) hash = p.hash('sha512', concatBytes(hash, key));
  return hash;
}

function displayHalf(hash: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < DISPLAY_BYTES; offset += CHUNK_BYTES) {
    let value = 0;
    for (let i = 0; i < CHUNK_BYTES; i++) value = value * 256 + (hash[offset + i] ?? 0);
    out += String(value % CHUNK_MODULUS).padStart(5, '0');
  }
  return out;
}

/** Computes the safety number between us (`local`) and `remote`. Keys are 33-byte serialized. */
export function safetyNumber(
  p: Primitives,
  local: { readonly id: Uint8Array; readonly key: Uint8Array },
  remote: { readonly id: Uint8Array; readonly key: Uint8Array },
  iterations = FINGERPRINT_ITERATIONS,
): SafetyNumber {
  const l = iterate(p, local.id, local.key, iterations);
  const r = iterate(p, remote.id, remote.key, iterations);
  const ld = displayHalf(l);
  const rd = displayHalf(r);
  const scannable = new ProtoWriter()
    .uint32(1, FINGERPRINT_VERSION)
    .message(2, (w) => w.bytes(1, l.subarray(0, SCANNABLE_BYTES)))
    .message(3, (w) => w.bytes(1, r.subarray(0, SCANNABLE_BYTES)))
    .finish();
  return { digits: ld < rd ? ld + rd : rd + ld, scannable };
}

/** Groups 60 digits as 12 blocks of 5, the way apps print them. */
export function formatSafetyNumber(digits: string): string {
  return (digits.match(/\d{5}/g) ?? []).join(' ');
}

/**
 * Whether a scanned code matches ours: the scanner's local half must be our remote half and
 * the other way round (as libsignal's `ScannableFingerprint.compare`).
 */
export function scannedMatches(ours: Uint8Array, theirs: Uint8Array): boolean {
  // The two halves are at fixed offsets: field 1 (2 bytes), then two 36-byte messages.
  const HALF = 2 + 2 + SCANNABLE_BYTES;
  const VERSION_BYTES = 2;
  if (ours.length !== theirs.length || ours.length !== VERSION_BYTES + 2 * HALF) return false;
  const ourLocal = ours.subarray(VERSION_BYTES + 2, VERSION_BYTES + HALF);
  const ourRemote = ours.subarray(VERSION_BYTES + HALF + 2);
  const theirLocal = theirs.subarray(VERSION_BYTES + 2, VERSION_BYTES + HALF);
  const theirRemote = theirs.subarray(VERSION_BYTES + HALF + 2);
  return constantTimeEqual(ourLocal, theirRemote) && constantTimeEqual(ourRemote, theirLocal);
}
