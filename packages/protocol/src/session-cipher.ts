/**
 * Session operations over the stores. Each one computes, then returns its output with the
 * changes to persist; nothing is written until the caller passes the changes to
 * {@link commitChanges}. A failed operation throws and changes nothing.
 */
import type { Primitives } from '@parley/primitives';
import { addressesBinding, checkAddress, type ProtocolAddress } from './address.js';
import type { PreKeyBundle } from './bundle.js';
import { decryptionFailed, ProtocolError } from './errors.js';
import type { PublicKey } from './keys.js';
import { MAX_PLAINTEXT_BYTES, MAX_UNACKNOWLEDGED_SESSION_AGE_MS } from './limits.js';
import {
  parsePreKeySignalMessage,
  parseSignalMessage,
  type PreKeySignalMessage,
  type SignalMessage,
} from './messages.js';
import { pqxdhAccept, pqxdhInitiate } from './pqxdh.js';
import { ratchetEncrypt } from './ratchet.js';
import {
  EMPTY_SESSION_RECORD,
  decryptWithRecord,
  promoteMatchingSession,
  promoteState,
  type SessionRecord,
} from './session-record.js';
import type { ProtocolStores } from './stores.js';

/** Who we are and where our keys live. */
export interface ProtocolContext {
  readonly primitives: Primitives;
  readonly stores: ProtocolStores;
  readonly localAddress: ProtocolAddress;
}

/** What an operation asks the caller to persist, all together or not at all. */
export interface SessionChanges {
  readonly address: ProtocolAddress;
  readonly session: SessionRecord;
  readonly identity: PublicKey;
  readonly removePreKeyId: number | undefined;
  readonly kyberPreKeyUsed:
    | { readonly id: number; readonly signedPreKeyId: number; readonly baseKey: PublicKey }
    | undefined;
}

export interface Computed<T> {
  readonly output: T;
  readonly changes: SessionChanges;
}

export interface EncryptedMessage {
  /** 3 for a PreKeySignalMessage, 2 for a SignalMessage (the envelope type). */
  readonly type: 2 | 3;
  readonly serialized: Uint8Array;
}

/** Persists an operation's changes (in-memory stores apply them immediately). */
export async function commitChanges(
  stores: ProtocolStores,
  changes: SessionChanges,
): Promise<void> {
  await stores.identity.saveIdentity(changes.address, changes.identity);
  await stores.sessions.storeSession(changes.address, changes.session);
  if (changes.removePreKeyId !== undefined)
    await stores.preKeys.removePreKey(changes.removePreKeyId);
  const kyber = changes.kyberPreKeyUsed;
  if (kyber !== undefined) {
    await stores.kyberPreKeys.markKyberPreKeyUsed(kyber.id, kyber.signedPreKeyId, kyber.baseKey);
  }
}

function changesFor(
  address: ProtocolAddress,
  session: SessionRecord,
  identity: PublicKey,
): SessionChanges {
  return { address, session, identity, removePreKeyId: undefined, kyberPreKeyUsed: undefined };
}

/** Starts a session from `remote`'s bundle (spec §3); the old current state is archived. */
export async function processPreKeyBundle(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
  bundle: PreKeyBundle,
  now: number,
): Promise<Computed<undefined>> {
  checkAddress(remote);
  const { stores } = ctx;
  if (!(await stores.identity.isTrustedIdentity(remote, bundle.identityKey, 'sending'))) {
    throw new ProtocolError('UNTRUSTED_IDENTITY', 'untrusted identity');
  }
  const state = pqxdhInitiate(ctx.primitives, {
    identity: await stores.identity.getIdentityKeyPair(),
    registrationId: await stores.identity.getLocalRegistrationId(),
    bundle,
    now,
  });
  const record = (await stores.sessions.loadSession(remote)) ?? EMPTY_SESSION_RECORD;
  return {
    output: undefined,
    changes: changesFor(remote, promoteState(record, state), bundle.identityKey),
  };
}

export async function encrypt(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
  plaintext: Uint8Array,
  now: number,
): Promise<Computed<EncryptedMessage>> {
  checkAddress(remote);
  if (plaintext.length > MAX_PLAINTEXT_BYTES)
    throw new ProtocolError('MISUSE', 'plaintext too long');
  const { stores } = ctx;
  const record = await stores.sessions.loadSession(remote);
  const state = record?.current;
  if (record === undefined || state === undefined)
    throw new ProtocolError('NO_SESSION', 'no session');
  const pending = state.pendingPreKey;
  if (pending !== undefined && now - pending.createdAt > MAX_UNACKNOWLEDGED_SESSION_AGE_MS) {
    throw new ProtocolError('NO_SESSION', 'session expired before it was acknowledged');
  }
  if (!(await stores.identity.isTrustedIdentity(remote, state.remoteIdentity, 'sending'))) {
    throw new ProtocolError('UNTRUSTED_IDENTITY', 'untrusted identity');
  }
  // The binding goes only into PreKey messages; building it parses two UUID strings.
  const binding = pending === undefined ? undefined : addressesBinding(ctx.localAddress, remote);
  const r = ratchetEncrypt(ctx.primitives, state, plaintext, binding);
  return {
    output: { type: r.type, serialized: r.serialized },
    changes: changesFor(remote, { ...record, current: r.state }, state.remoteIdentity),
  };
}

/** The binding a received message must carry, computed only when it carries one. */
function expectedBinding(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
  message: SignalMessage,
): Uint8Array | undefined {
  return message.addresses === undefined ? undefined : addressesBinding(remote, ctx.localAddress);
}

/** Decrypts a message of envelope type 2 (Whisper) or 3 (PreKey) from `remote`. */
export async function decrypt(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
  type: number,
  serialized: Uint8Array,
): Promise<Computed<Uint8Array>> {
  checkAddress(remote);
  if (type === 3) return decryptPreKey(ctx, remote, parsePreKeySignalMessage(serialized));
  if (type !== 2) throw new ProtocolError('INVALID_MESSAGE', 'unknown message type');
  const message = parseSignalMessage(serialized);
  const { stores } = ctx;
  const record = await stores.sessions.loadSession(remote);
  if (record === undefined) throw new ProtocolError('NO_SESSION', 'no session');
  const expected = expectedBinding(ctx, remote, message);
  const r = decryptWithRecord(ctx.primitives, record, message, expected, false);
  if (!(await stores.identity.isTrustedIdentity(remote, r.state.remoteIdentity, 'receiving'))) {
    throw new ProtocolError('UNTRUSTED_IDENTITY', 'untrusted identity');
  }
  return { output: r.plaintext, changes: changesFor(remote, r.record, r.state.remoteIdentity) };
}

async function decryptPreKey(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
  message: PreKeySignalMessage,
): Promise<Computed<Uint8Array>> {
  const { stores, primitives: p } = ctx;
  if (!(await stores.identity.isTrustedIdentity(remote, message.identityKey, 'receiving'))) {
    throw new ProtocolError('UNTRUSTED_IDENTITY', 'untrusted identity');
  }
  const record = (await stores.sessions.loadSession(remote)) ?? EMPTY_SESSION_RECORD;
  const expected = expectedBinding(ctx, remote, message.message);
  const matching = promoteMatchingSession(record, message.baseKey);
  if (matching !== undefined) {
    const r = decryptWithRecord(p, matching, message.message, expected, true);
    return { output: r.plaintext, changes: changesFor(remote, r.record, message.identityKey) };
  }
  const signed = await stores.signedPreKeys.getSignedPreKey(message.signedPreKeyId);
  const kyber = await stores.kyberPreKeys.getKyberPreKey(message.kyberPreKeyId);
  const oneTime =
    message.preKeyId === undefined ? undefined : await stores.preKeys.getPreKey(message.preKeyId);
  if (
    signed === undefined ||
    kyber === undefined ||
    (message.preKeyId !== undefined && oneTime === undefined)
  ) {
    throw new ProtocolError('INVALID_PREKEY_ID', 'unknown prekey');
  }
  let accepted: ReturnType<typeof pqxdhAccept>;
  try {
    accepted = pqxdhAccept(p, {
      identity: await stores.identity.getIdentityKeyPair(),
      registrationId: await stores.identity.getLocalRegistrationId(),
      signedPreKey: signed.keyPair,
      oneTimePreKey: oneTime?.keyPair,
      kyberSecretKey: kyber.keyPair.secretKey,
      kyberLastResort: kyber.lastResort,
      message,
    });
  } catch {
    throw decryptionFailed();
  }
  const r = decryptWithRecord(p, promoteState(record, accepted), message.message, expected, true);
  return {
    output: r.plaintext,
    changes: {
      address: remote,
      session: r.record,
      identity: message.identityKey,
      removePreKeyId: message.preKeyId,
      kyberPreKeyUsed: { id: kyber.id, signedPreKeyId: signed.id, baseKey: message.baseKey },
    },
  };
}

/** Whether `remote` has a current session that can encrypt. */
export async function hasSession(ctx: ProtocolContext, remote: ProtocolAddress): Promise<boolean> {
  const record = await ctx.stores.sessions.loadSession(remote);
  return record?.current !== undefined;
}
