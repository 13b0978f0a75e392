/**
 * The identity-to-identity X25519 agreements of sealed sender, remembered.
 *
 * Sealed sender authenticates the sender with DH(our identity key, their identity key): v1
 * derives the content key from it on both sides, v2 its per-recipient authentication tag. The
 * result depends only on the two long-term keys, so a device that writes to or hears from the
 * same contacts again and again can compute it once (an agreement is ~40 µs of OpenSSL; a hit
 * is one SHA-256 and a copy). It is no more secret than the private key that the process
 * already holds for as long as it runs.
 *
 * Per primitives backend, entries are indexed by SHA-256(private ‖ public), hold copies of both
 * keys compared in constant time on every hit, and the least recently used is dropped and
 * zeroed beyond {@link MAX_STATIC_AGREEMENTS_CACHED}. A failed agreement is never remembered.
 * Callers get a copy, so zeroing it does not touch the entry.
 */
import { concatBytes, constantTimeEqual, toHex } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { agree, type PrivateKey, type PublicKey } from '../keys.js';
import { MAX_STATIC_AGREEMENTS_CACHED } from '../limits.js';

interface Entry {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly shared: Uint8Array;
}

const remembered = new WeakMap<Primitives, Map<string, Entry>>();

function forget(entry: Entry): void {
  entry.privateKey.fill(0);
  entry.shared.fill(0);
}

/**
 * `agree(p, privateKey, publicKey, 'long-lived')` for two identity keys, remembered (see the
 * module comment). Throws `INVALID_KEY` as `agree` does.
 */
export function identityAgreement(
  p: Primitives,
  privateKey: PrivateKey,
  publicKey: PublicKey,
): Uint8Array {
  let entries = remembered.get(p);
  if (entries === undefined) {
    entries = new Map();
    remembered.set(p, entries);
  }
  const id = toHex(p.hash('sha256', concatBytes(privateKey, publicKey)));
  const hit = entries.get(id);
  if (hit !== undefined) {
    entries.delete(id);
    if (
      constantTimeEqual(hit.privateKey, privateKey) &&
      constantTimeEqual(hit.publicKey, publicKey)
    ) {
      entries.set(id, hit);
      return hit.shared.slice();
    }
    forget(hit);
  }
  const shared = agree(p, privateKey, publicKey, 'long-lived');
  entries.set(id, {
    privateKey: Uint8Array.from(privateKey),
    publicKey: Uint8Array.from(publicKey),
    shared: Uint8Array.from(shared),
  });
  for (const [oldest, entry] of entries) {
    if (entries.size <= MAX_STATIC_AGREEMENTS_CACHED) break;
    forget(entry);
    entries.delete(oldest);
  }
  return shared;
}
