/**
 * The stored form of a session record: a format version byte, then a fixed binary layout
 * (big-endian integers, 32-byte keys, counts before lists). Version 3 (an SPQR decapsulation
 * key as its 64-byte seed or expanded) is pinned by `test/fixtures/session-record-v3.json`,
 * version 2 (the full SPQR braid, every decapsulation key expanded) by `session-record-v2.json`,
 * version 1 (SPQR-lite) by `session-record-v1.json`; we write version 3 and read all three. A change of layout is a new
 * version with a migration from the old one, never an edit of an old one.
 *
 * ```
 * record   = u8 version(3) ‖ u8 hasCurrent ‖ [state] ‖ u8 previousCount ‖ state*
 * state    = localIdentity ‖ remoteIdentity ‖ u32 localRegId ‖ u32 remoteRegId ‖ aliceBaseKey ‖
 *            rootKey ‖ senderPublic ‖ senderPrivate ‖ senderChainKey ‖ u32 senderIndex ‖
 *            u32 previousCounter ‖ u8 receiverCount ‖ receiver* ‖ u8 hasPending ‖ [pending] ‖ spqr
 * receiver = ratchetKey ‖ chainKey ‖ u32 index ‖ u16 skippedCount ‖ (u32 counter ‖ seed)*
 * pending  = u8 hasPreKeyId ‖ u32 preKeyId ‖ u32 signedPreKeyId ‖ u32 kyberPreKeyId ‖
 *            kyberCiphertext(1568) ‖ baseKey ‖ u32 createdAtHigh ‖ u32 createdAtLow
 * spqr     = versions 2 and 3: see `spqr/state-format.ts`
 *            version 1: sendSeed ‖ u32 sendIndex ‖ recvSeed ‖ u32 recvIndex ‖ u16 skippedCount ‖
 *            (u32 index ‖ key)*
 * ```
 * Every unnamed field is 32 bytes.
 */
import { KYBER_CIPHERTEXT_LENGTH } from './constants.js';
import { ProtocolError } from './errors.js';
import { asKyberCiphertext, asPrivateKey } from './keys.js';
import { KEY, Reader, U32, Writer, invalidRecord } from './record-codec.js';
import {
  ARCHIVED_STATES_MAX_LENGTH,
  MAX_MESSAGE_KEYS,
  MAX_RECEIVER_CHAINS,
  MAX_RECORD_BYTES,
} from './limits.js';
import type { SessionRecord } from './session-record.js';
import type { PendingPreKey, ReceiverChain, SessionState } from './session-state.js';
import { readSpqr, readSpqrV1, spqrSize, writeSpqr } from './spqr/state-format.js';

export const SESSION_RECORD_FORMAT_VERSION = 3;
const FORMAT_VERSION_SPQR_LITE = 1;
const FORMAT_VERSION_EXPANDED_DK = 2;

/** Fixed part of a state: 7 keys, 4 u32, receiver count, pending flag. */
const STATE_FIXED = 7 * KEY + 4 * U32 + 2;
const RECEIVER_FIXED = 2 * KEY + U32 + 2;
const SKIPPED_ENTRY = U32 + KEY;
const PENDING_SIZE = 1 + 3 * U32 + KYBER_CIPHERTEXT_LENGTH + KEY + 2 * U32;

function stateSize(s: SessionState): number {
  let size = STATE_FIXED + spqrSize(s.spqr);
  for (const c of s.receivers) size += RECEIVER_FIXED + c.skipped.length * SKIPPED_ENTRY;
  if (s.pendingPreKey !== undefined) size += PENDING_SIZE;
  return size;
}

function writeState(w: Writer, s: SessionState): void {
  w.key(s.localIdentity);
  w.key(s.remoteIdentity);
  w.u32(s.localRegistrationId);
  w.u32(s.remoteRegistrationId);
  w.key(s.aliceBaseKey);
  w.key(s.rootKey);
  w.key(s.senderRatchet.publicKey);
  w.key(s.senderRatchet.privateKey);
  w.key(s.senderChain.key);
  w.u32(s.senderChain.index);
  w.u32(s.previousCounter);
  w.u8(s.receivers.length);
  for (const c of s.receivers) {
    w.key(c.ratchetKey);
    w.key(c.chainKey.key);
    w.u32(c.chainKey.index);
    w.u16(c.skipped.length);
    for (const k of c.skipped) {
      w.u32(k.counter);
      w.key(k.seed);
    }
  }
  const pending = s.pendingPreKey;
  w.u8(pending === undefined ? 0 : 1);
  if (pending !== undefined) {
    w.u8(pending.preKeyId === undefined ? 0 : 1);
    w.u32(pending.preKeyId ?? 0);
    w.u32(pending.signedPreKeyId);
    w.u32(pending.kyberPreKeyId);
    w.key(pending.kyberCiphertext);
    w.key(pending.baseKey);
    w.time(pending.createdAt);
  }
  writeSpqr(w, s.spqr);
}

export function serializeSessionRecord(record: SessionRecord): Uint8Array {
  const { current, previous } = record;
  let size = 3;
  if (current !== undefined) size += stateSize(current);
  for (const s of previous) size += stateSize(s);
  const w = new Writer(size);
  w.u8(SESSION_RECORD_FORMAT_VERSION);
  w.u8(current === undefined ? 0 : 1);
  if (current !== undefined) writeState(w, current);
  w.u8(previous.length);
  for (const s of previous) writeState(w, s);
  return w.finish();
}

function bad(what: string): ProtocolError {
  return invalidRecord('session record', what);
}

function readReceiver(r: Reader): ReceiverChain {
  const ratchetKey = r.publicKey();
  const key = r.key();
  const index = r.u32();
  const skipped = Array.from({ length: r.count(MAX_MESSAGE_KEYS, true) }, () => ({
    counter: r.u32(),
    seed: r.key(),
  }));
  return { ratchetKey, chainKey: { key, index }, skipped };
}

function readPending(r: Reader): PendingPreKey {
  const hasPreKeyId = r.flag();
  const preKeyId = r.u32();
  const signedPreKeyId = r.u32();
  const kyberPreKeyId = r.u32();
  const kyberCiphertext = asKyberCiphertext(r.bytes(KYBER_CIPHERTEXT_LENGTH));
  const baseKey = r.publicKey();
  const createdAt = r.time();
  return {
    preKeyId: hasPreKeyId ? preKeyId : undefined,
    signedPreKeyId,
    kyberPreKeyId,
    kyberCiphertext,
    baseKey,
    createdAt,
  };
}

function readState(r: Reader, version: number): SessionState {
  const localIdentity = r.publicKey();
  const remoteIdentity = r.publicKey();
  const localRegistrationId = r.u32();
  const remoteRegistrationId = r.u32();
  const aliceBaseKey = r.publicKey();
  const rootKey = r.key();
  const senderRatchet = { publicKey: r.publicKey(), privateKey: asPrivateKey(r.key()) };
  const senderChain = { key: r.key(), index: r.u32() };
  const previousCounter = r.u32();
  const receivers = Array.from({ length: r.count(MAX_RECEIVER_CHAINS, false) }, () =>
    readReceiver(r),
  );
  const pendingPreKey = r.flag() ? readPending(r) : undefined;
  return {
    localIdentity,
    remoteIdentity,
    localRegistrationId,
    remoteRegistrationId,
    aliceBaseKey,
    rootKey,
    senderRatchet,
    senderChain,
    receivers,
    previousCounter,
    pendingPreKey,
    spqr: version === FORMAT_VERSION_SPQR_LITE ? readSpqrV1(r) : readSpqr(r, version),
  };
}

/** Parses a stored session record; throws `INVALID_RECORD` for anything malformed. */
export function deserializeSessionRecord(bytes: Uint8Array): SessionRecord {
  if (bytes.length > MAX_RECORD_BYTES) throw bad('too large');
  const r = new Reader(bytes, 'session record');
  const version = r.versionIn([
    FORMAT_VERSION_SPQR_LITE,
    FORMAT_VERSION_EXPANDED_DK,
    SESSION_RECORD_FORMAT_VERSION,
  ]);
  const current = r.flag() ? readState(r, version) : undefined;
  const previous = Array.from({ length: r.count(ARCHIVED_STATES_MAX_LENGTH, false) }, () =>
    readState(r, version),
  );
  r.end();
  return { current, previous };
}
