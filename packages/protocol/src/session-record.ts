import type { Primitives } from '@parley/primitives';
import { constantTimeEqual } from '@parley/bytes';
import { ProtocolError, decryptionFailed } from './errors.js';
import type { PublicKey } from './keys.js';
import { ARCHIVED_STATES_MAX_LENGTH } from './limits.js';
import type { SignalMessage } from './messages.js';
import { ratchetDecrypt } from './ratchet.js';
import type { SessionState } from './session-state.js';

/** Every session with one remote device: the current state and up to 40 archived ones. */
export interface SessionRecord {
  readonly current: SessionState | undefined;
  /** Newest first. */
  readonly previous: readonly SessionState[];
}

export const EMPTY_SESSION_RECORD: SessionRecord = { current: undefined, previous: [] };

/** `state` becomes current; the old current state is archived (the oldest beyond 40 dropped). */
export function promoteState(record: SessionRecord, state: SessionState): SessionRecord {
  const previous =
    record.current === undefined ? record.previous : [record.current, ...record.previous];
  return { current: state, previous: previous.slice(0, ARCHIVED_STATES_MAX_LENGTH) };
}

/**
 * The record with the state whose initiator base key is `baseKey` made current, or undefined
 * when no state matches (libsignal `promote_matching_session`).
 */
export function promoteMatchingSession(
  record: SessionRecord,
  baseKey: PublicKey,
): SessionRecord | undefined {
  if (record.current !== undefined && constantTimeEqual(record.current.aliceBaseKey, baseKey)) {
    return record;
  }
  const at = record.previous.findIndex((s) => constantTimeEqual(s.aliceBaseKey, baseKey));
  const match = record.previous[at];
  if (match === undefined) return undefined;
  return promoteState({ ...record, previous: record.previous.filter((_, i) => i !== at) }, match);
}

/**
 * Decrypts a SignalMessage with the current state, then each archived one; the state that
 * works is promoted (spec §4, trap 19). A PreKey message's inner message uses `currentOnly`.
 */
export function decryptWithRecord(
  p: Primitives,
  record: SessionRecord,
  message: SignalMessage,
  expectedAddresses: Uint8Array | undefined,
  currentOnly: boolean,
): { record: SessionRecord; plaintext: Uint8Array; state: SessionState } {
  const { current } = record;
  if (current === undefined && (currentOnly || record.previous.length === 0)) {
    throw new ProtocolError('NO_SESSION', 'no session');
  }
  let failure: ProtocolError | undefined;
  if (current !== undefined) {
    try {
      const r = ratchetDecrypt(p, current, message, expectedAddresses);
      return { record: { ...record, current: r.state }, plaintext: r.plaintext, state: r.state };
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.code === 'DUPLICATE_MESSAGE') throw error;
      failure = error;
    }
  }
  if (currentOnly) throw failure ?? decryptionFailed();
  for (const [i, state] of record.previous.entries()) {
    try {
      const r = ratchetDecrypt(p, state, message, expectedAddresses);
      const rest = { ...record, previous: record.previous.filter((_, j) => j !== i) };
      return { record: promoteState(rest, r.state), plaintext: r.plaintext, state: r.state };
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.code === 'DUPLICATE_MESSAGE') throw error;
    }
  }
  throw failure ?? decryptionFailed();
}
