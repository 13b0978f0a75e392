import { sha3_256, sha3_512, shake256 } from '@noble/hashes/sha3.js';
import { genCrystals, XOF128 } from '@noble/post-quantum/_crystals.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { IncrementalKem } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';

/** FIPS 203 parameters of ML-KEM-768 (Table 2). */
const N = 256;
const Q = 3329;
const K = 3;
const ETA = 2; // η₁ = η₂ = 2
const DU = 10;

const RHO_LENGTH = 32;
const HASH_LENGTH = 32;
const HEADER_LENGTH = RHO_LENGTH + HASH_LENGTH;
const VECTOR_LENGTH = 384 * K; // ByteEncode₁₂ of t̂
const DECAPSULATION_KEY_LENGTH = 2400;
const CIPHERTEXT1_LENGTH = (N * DU * K) / 8; // 960
const CIPHERTEXT2_LENGTH = 128; // d_v = 4
const SEED_LENGTH = 64;
const MESSAGE_LENGTH = 32;
/** m ‖ header: everything `encapsulate2` needs besides the vector part. */
const STATE_LENGTH = MESSAGE_LENGTH + HEADER_LENGTH;

const crystals = genCrystals({
  newPoly: (n: number) => new Uint16Array(n),
  N,
  Q,
  F: 3303,
  ROOT_OF_UNITY: 17,
  brvBits: 7,
  isKyber: true,
});

function bitReverse7(i: number): number {
  let r = 0;
  for (let b = 0; b < 7; b++) r |= ((i >> b) & 1) << (6 - b);
  return r;
}

function powMod(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = (result * base) % Q;
  return result;
}

/** γᵢ = ζ^(2·BitRev₇(i)+1) for the 128 degree-one products of MultiplyNTTs (FIPS 203 §4.3.1). */
const GAMMAS = Uint16Array.from({ length: N / 2 }, (_, i) => powMod(17, 2 * bitReverse7(i) + 1));

/** SampleNTT (Algorithm 7): rejection-samples 12-bit values below q from a SHAKE-128 stream. */
function sampleNtt(next: () => Uint8Array): Uint16Array {
  const out = new Uint16Array(N);
  let j = 0;
  while (j < N) {
    const block = next();
    for (let i = 0; i + 3 <= block.length && j < N; i += 3) {
      const b0 = block[i] ?? 0;
      const b1 = block[i + 1] ?? 0;
      const b2 = block[i + 2] ?? 0;
      const d1 = b0 | ((b1 & 0x0f) << 8);
      const d2 = (b1 >> 4) | (b2 << 4);
      if (d1 < Q) out[j++] = d1;
      if (d2 < Q && j < N) out[j++] = d2;
    }
  }
  return out;
}

/** SamplePolyCBD₂ (Algorithm 8) of PRF₂(seed, nonce) = SHAKE-256(seed ‖ nonce, 128 bytes). */
function sampleCbd(seed: Uint8Array, nonce: number): Uint16Array {
  const input = new Uint8Array(seed.length + 1);
  input.set(seed);
  input[seed.length] = nonce;
  const bytes = shake256(input, { dkLen: 64 * ETA });
  const out = new Uint16Array(N);
  for (let i = 0; i < N / 2; i++) {
    const byte = bytes[i] ?? 0;
    for (let half = 0; half < 2; half++) {
      const bits = byte >> (4 * half);
      const a = (bits & 1) + ((bits >> 1) & 1);
      const b = ((bits >> 2) & 1) + ((bits >> 3) & 1);
      out[2 * i + half] = (a - b + Q) % Q;
    }
  }
  bytes.fill(0);
  input.fill(0);
  return out;
}

/** acc += a ∘ b in the NTT domain (MultiplyNTTs, Algorithm 11). */
function multiplyAdd(acc: Uint16Array, a: Uint16Array, b: Uint16Array): void {
  for (let i = 0; i < N / 2; i++) {
    const a0 = a[2 * i] ?? 0;
    const a1 = a[2 * i + 1] ?? 0;
    const b0 = b[2 * i] ?? 0;
    const b1 = b[2 * i + 1] ?? 0;
    const c0 = (a0 * b0 + ((a1 * b1) % Q) * (GAMMAS[i] ?? 0)) % Q;
    const c1 = (a0 * b1 + a1 * b0) % Q;
    acc[2 * i] = ((acc[2 * i] ?? 0) + c0) % Q;
    acc[2 * i + 1] = ((acc[2 * i + 1] ?? 0) + c1) % Q;
  }
}

/** ByteEncode₁₀(Compress₁₀(f)) into `out` at `offset`: 256 ten-bit values, little-endian bits. */
function compressEncode10(f: Uint16Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < N; i += 4) {
    const c = [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) {
      const x = f[i + k] ?? 0;
      c[k] = Math.floor((x * 1024 + (Q - 1) / 2) / Q) & 0x3ff;
    }
    const [c0 = 0, c1 = 0, c2 = 0, c3 = 0] = c;
    const o = offset + (i / 4) * 5;
    out[o] = c0 & 0xff;
    out[o + 1] = (c0 >> 8) | ((c1 & 0x3f) << 2);
    out[o + 2] = (c1 >> 6) | ((c2 & 0x0f) << 4);
    out[o + 3] = (c2 >> 4) | ((c3 & 0x03) << 6);
    out[o + 4] = c3 >> 2;
  }
}

/** True when every 12-bit coefficient of ByteEncode₁₂(t̂) is below q (FIPS 203 §7.2). */
function vectorInRange(vector: Uint8Array): boolean {
  for (let i = 0; i + 3 <= vector.length; i += 3) {
    const b0 = vector[i] ?? 0;
    const b1 = vector[i + 1] ?? 0;
    const b2 = vector[i + 2] ?? 0;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

function requireLength(bytes: Uint8Array, length: number, what: string, key = false): void {
  if (bytes.length !== length)
    throw new PrimitivesError(
      key ? 'INVALID_KEY' : 'INVALID_LENGTH',
      `ML-KEM-768 ${what} must be ${length} bytes`,
    );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** The standard encapsulation key t̂ ‖ ρ from the vector part and the header. */
function wholeKey(header: Uint8Array, vector: Uint8Array): Uint8Array {
  const ek = new Uint8Array(VECTOR_LENGTH + RHO_LENGTH);
  ek.set(vector);
  ek.set(header.subarray(0, RHO_LENGTH), VECTOR_LENGTH);
  return ek;
}

/**
 * u = NTT⁻¹(Âᵀ ∘ r̂) + e₁ compressed (K-PKE.Encrypt, Algorithm 14, steps 2–19 without t̂):
 * the part of the ciphertext that needs only ρ and the encryption randomness r.
 */
function ciphertext1(rho: Uint8Array, r: Uint8Array): Uint8Array {
  const rHat: Uint16Array[] = [];
  for (let i = 0; i < K; i++) rHat.push(crystals.NTT.encode(sampleCbd(r, i)));
  const out = new Uint8Array(CIPHERTEXT1_LENGTH);
  const xof = XOF128(rho);
  try {
    for (let i = 0; i < K; i++) {
      const acc = new Uint16Array(N);
      // Âᵀ[i][j] = Â[j][i] = SampleNTT(ρ ‖ i ‖ j)
      for (let j = 0; j < K; j++) multiplyAdd(acc, sampleNtt(xof.get(i, j)), rHat[j] ?? acc);
      const u = crystals.NTT.decode(acc);
      const e1 = sampleCbd(r, K + i);
      for (let n = 0; n < N; n++) u[n] = ((u[n] ?? 0) + (e1[n] ?? 0)) % Q;
      compressEncode10(u, out, i * (CIPHERTEXT1_LENGTH / K));
    }
  } finally {
    xof.clean();
    for (const p of rHat) p.fill(0);
  }
  return out;
}

/**
 * Incremental ML-KEM-768 on @noble/post-quantum: key generation, the second ciphertext part and
 * decapsulation are noble's whole-key ML-KEM-768; the first part is computed here from ρ and r
 * with noble's NTT and SHAKE-128 reader. `encapsulate2` re-runs noble's encapsulation with the
 * same m on the completed key, whose u equals the first part's (same ρ, same r = G(m ‖ H(ek))[32:]).
 */
export function createIncrementalMlKem768(
  randomBytes: (length: number) => Uint8Array,
): IncrementalKem {
  return {
    headerLength: HEADER_LENGTH,
    encapsulationKeyLength: VECTOR_LENGTH,
    decapsulationKeyLength: DECAPSULATION_KEY_LENGTH,
    decapsulationSeedLength: SEED_LENGTH,
    ciphertext1Length: CIPHERTEXT1_LENGTH,
    ciphertext2Length: CIPHERTEXT2_LENGTH,
    encapsulationStateLength: STATE_LENGTH,
    sharedSecretLength: 32,

    generateKeyPair(seed) {
      if (seed !== undefined) requireLength(seed, SEED_LENGTH, 'key generation seed');
      const s = seed ?? randomBytes(SEED_LENGTH);
      try {
        const { publicKey, secretKey } = ml_kem768.keygen(s);
        return { ...this.splitPublicKey(publicKey), decapsulationKey: secretKey };
      } finally {
        if (seed === undefined) s.fill(0);
      }
    },

    splitPublicKey(publicKey) {
      requireLength(publicKey, VECTOR_LENGTH + RHO_LENGTH, 'public key', true);
      const header = new Uint8Array(HEADER_LENGTH);
      header.set(publicKey.subarray(VECTOR_LENGTH));
      header.set(sha3_256(publicKey), RHO_LENGTH);
      return { header, encapsulationKey: publicKey.slice(0, VECTOR_LENGTH) };
    },

    encapsulationKeyMatches(header, encapsulationKey) {
      if (header.length !== HEADER_LENGTH || encapsulationKey.length !== VECTOR_LENGTH)
        return false;
      if (!vectorInRange(encapsulationKey)) return false;
      return sameBytes(sha3_256(wholeKey(header, encapsulationKey)), header.subarray(RHO_LENGTH));
    },

    encapsulate1(header, seed) {
      requireLength(header, HEADER_LENGTH, 'header', true);
      if (seed !== undefined) requireLength(seed, MESSAGE_LENGTH, 'encapsulation message');
      const m = seed ?? randomBytes(MESSAGE_LENGTH);
      const g = sha3_512.create().update(m).update(header.subarray(RHO_LENGTH)).digest();
      const r = g.subarray(32, 64);
      const state = new Uint8Array(STATE_LENGTH);
      state.set(m);
      state.set(header, MESSAGE_LENGTH);
      const result = {
        ciphertext1: ciphertext1(header.subarray(0, RHO_LENGTH), r),
        state,
        sharedSecret: g.slice(0, 32),
      };
      g.fill(0);
      if (seed === undefined) m.fill(0);
      return result;
    },

    encapsulate2(state, encapsulationKey) {
      requireLength(state, STATE_LENGTH, 'encapsulation state');
      requireLength(encapsulationKey, VECTOR_LENGTH, 'encapsulation key', true);
      const header = state.subarray(MESSAGE_LENGTH);
      if (!this.encapsulationKeyMatches(header, encapsulationKey))
        throw new PrimitivesError('INVALID_KEY', 'ML-KEM-768 key does not match its header');
      const m = state.slice(0, MESSAGE_LENGTH);
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(
        wholeKey(header, encapsulationKey),
        m,
      );
      sharedSecret.fill(0);
      m.fill(0);
      return cipherText.slice(CIPHERTEXT1_LENGTH);
    },

    decapsulate(ct1, ct2, decapsulationKey) {
      requireLength(ct1, CIPHERTEXT1_LENGTH, 'ciphertext part 1');
      requireLength(ct2, CIPHERTEXT2_LENGTH, 'ciphertext part 2');
      // A seed (made by another backend) is expanded first: key generation again, then the same.
      const fromSeed = decapsulationKey.length === SEED_LENGTH;
      if (!fromSeed)
        requireLength(decapsulationKey, DECAPSULATION_KEY_LENGTH, 'decapsulation key', true);
      const dk = fromSeed ? ml_kem768.keygen(decapsulationKey).secretKey : decapsulationKey;
      const ciphertext = new Uint8Array(CIPHERTEXT1_LENGTH + CIPHERTEXT2_LENGTH);
      ciphertext.set(ct1);
      ciphertext.set(ct2, CIPHERTEXT1_LENGTH);
      try {
        return ml_kem768.decapsulate(ciphertext, dk);
      } catch {
        throw new PrimitivesError(
          'INVALID_KEY',
          'ML-KEM-768 decapsulation key failed the hash check',
        );
      } finally {
        if (fromSeed) dk.fill(0);
      }
    },
  };
}
