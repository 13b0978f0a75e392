import { concatBytes, TlsWriter } from '@parley/bytes';
import { writeOpaque } from './codec.js';
import { MlsError } from './errors.js';
import { ContentType, writeFramedContent, type AuthenticatedContent } from './framing.js';
import type { MlsCrypto } from './mls-crypto.js';

/** The pair of transcript hashes an epoch carries (RFC 9420 §8.2). */
export interface TranscriptHashes {
  readonly confirmed: Uint8Array;
  readonly interim: Uint8Array;
}

/**
 * ConfirmedTranscriptHashInput (RFC 9420 §8.2): wire format, FramedContent and signature of a
 * commit, i.e. its AuthenticatedContent without the confirmation tag.
 */
export function encodeConfirmedTranscriptHashInput(commit: AuthenticatedContent): Uint8Array {
  if (commit.content.contentType !== ContentType.commit) {
    throw new MlsError('MISUSE', 'transcript hashes are updated by commits only');
  }
  const w = new TlsWriter().uint16(commit.wireFormat);
  writeFramedContent(w, commit.content);
  writeOpaque(w, commit.auth.signature);
  return w.finish();
}

/** confirmed_transcript_hash_[n] = Hash(interim_transcript_hash_[n-1] || ConfirmedTranscriptHashInput_[n]). */
export function confirmedTranscriptHash(
  crypto: MlsCrypto,
  interimBefore: Uint8Array,
  commit: AuthenticatedContent,
): Uint8Array {
  return crypto.hash(concatBytes(interimBefore, encodeConfirmedTranscriptHashInput(commit)));
}

/** interim_transcript_hash_[n] = Hash(confirmed_transcript_hash_[n] || InterimTranscriptHashInput_[n]). */
export function interimTranscriptHash(
  crypto: MlsCrypto,
  confirmed: Uint8Array,
  confirmationTag: Uint8Array,
): Uint8Array {
  const input = new TlsWriter();
  writeOpaque(input, confirmationTag);
  return crypto.hash(concatBytes(confirmed, input.finish()));
}

/**
 * Both transcript hashes after `commit`, whose AuthenticatedContent must carry its
 * confirmation tag.
 */
export function updateTranscriptHashes(
  crypto: MlsCrypto,
  interimBefore: Uint8Array,
  commit: AuthenticatedContent,
): TranscriptHashes {
  const tag = commit.auth.confirmationTag;
  if (tag === undefined) throw new MlsError('MISUSE', 'the commit has no confirmation tag');
  const confirmed = confirmedTranscriptHash(crypto, interimBefore, commit);
  return { confirmed, interim: interimTranscriptHash(crypto, confirmed, tag) };
}

/** confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash) (RFC 9420 §8.1). */
export function confirmationTag(
  crypto: MlsCrypto,
  confirmationKey: Uint8Array,
  confirmed: Uint8Array,
): Uint8Array {
  return crypto.mac(confirmationKey, confirmed);
}

/** True when `tag` is the confirmation tag for `confirmed`, compared in constant time. */
export function verifyConfirmationTag(
  crypto: MlsCrypto,
  confirmationKey: Uint8Array,
  confirmed: Uint8Array,
  tag: Uint8Array,
): boolean {
  return crypto.verifyMac(confirmationKey, confirmed, tag);
}
