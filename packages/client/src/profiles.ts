/**
 * Profiles (issue 14) and delivery tokens (issue 18). Each account has a random 32-byte profile
 * key, kept in the store and shared only inside end-to-end encrypted messages (`profile-key`
 * content, sent to a contact on first contact and after the key changes). From it come:
 *
 * - the delivery token, `HKDF-SHA-256(profileKey, info "Parley delivery token v1")`, which the
 *   owner's primary registers at the relay (the relay keeps its hash) and which lets a holder
 *   send sealed envelopes to the owner without saying who it is;
 * - the profile cipher key, `HKDF-SHA-256(profileKey, info "Parley profile v1")`: the name and
 *   avatar are sealed with AES-256-GCM (random nonce, the account id as associated data, padded
 *   to `PROFILE_PAD_BYTES` buckets) and stored at the relay as an opaque blob.
 *
 * Rotating the key registers a new token (the old one stops working at the relay) and makes the
 * next message to each contact carry the new key.
 */
import { constantTimeEqual, fromBase64, toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import type { ClientContext } from './context.js';
import { ClientError } from './errors.js';
import { RelayCallError } from './http.js';
import { MAX_PROFILE_NAME_LENGTH, PROFILE_PAD_BYTES } from './limits.js';
import type { AccountRecord } from './state.js';
import type { StorageReader, StorageWriter } from './storage.js';
import { PROFILE_ROUTES, SEALED_SENDER_ROUTES, limits } from '@parley/api';

export const PROFILE_KEY_BYTES = 32;
const TOKEN_INFO = utf8Encode('Parley delivery token v1');
const PROFILE_INFO = utf8Encode('Parley profile v1');
const NONCE_BYTES = 12;
const PROFILE_VERSION = 1;

/** The store namespace of profile keys: ours (`self`), contacts' (`peer:<id>`), sharing marks. */
export const PROFILE_NS = 'profile';

interface OwnProfileKey {
  readonly key: string;
  /** The token hash the relay holds for it was registered (primary only). */
  readonly registered: boolean;
}

/** A decrypted profile. */
export interface Profile {
  readonly name: string;
  /** The avatar image's bytes (base64) and type, if set. */
  readonly avatar?: { readonly contentType: string; readonly data: string };
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed read of our own JSON
function json<T>(r: StorageReader, key: string): T | undefined {
  const v = r.get(PROFILE_NS, key);
  return v === undefined ? undefined : (JSON.parse(utf8Decode(v)) as T);
}
function putJson(w: StorageWriter, key: string, value: object): void {
  w.put(PROFILE_NS, key, utf8Encode(JSON.stringify(value)));
}

export class Profiles {
  readonly #c: ClientContext;

  constructor(context: ClientContext) {
    this.#c = context;
  }

  /** The delivery token derived from `profileKey`. */
  deliveryToken(profileKey: Uint8Array): Uint8Array {
    return this.#c.p.hkdf('sha256', profileKey, new Uint8Array(0), TOKEN_INFO, 32);
  }

  /** Our profile key, made (and stored) on first use. */
  ownKey(): Uint8Array {
    const c = this.#c;
    const stored = json<OwnProfileKey>(c.db, 'self');
    if (stored !== undefined) return fromBase64(stored.key);
    return c.db.transact((w) => {
      const again = json<OwnProfileKey>(w, 'self');
      if (again !== undefined) return fromBase64(again.key);
      const key = c.p.randomBytes(PROFILE_KEY_BYTES);
      putJson(w, 'self', { key: toBase64(key), registered: false });
      return key;
    });
  }

  /**
   * On the primary: registers the delivery token of our profile key at the relay unless it was
   * already. A relay that does not know the route (older) leaves sealed sending off.
   */
  async registerToken(a: AccountRecord): Promise<void> {
    if (a.deviceId !== 1) return;
    const c = this.#c;
    const key = this.ownKey();
    if (json<OwnProfileKey>(c.db, 'self')?.registered === true) return;
    const token = this.deliveryToken(key);
    try {
      await c.relay.call(
        SEALED_SENDER_ROUTES.putDeliveryToken,
        SEALED_SENDER_ROUTES.putDeliveryToken.url,
        c.auth(a),
        { deliveryToken: toBase64(token) },
      );
    } catch (e) {
      if (e instanceof RelayCallError && e.relayCode === 'NOT_FOUND') return;
      throw e;
    }
    c.db.transact((w) => {
      const now = json<OwnProfileKey>(w, 'self');
      if (now !== undefined && constantTimeEqual(fromBase64(now.key), key))
        putJson(w, 'self', { ...now, registered: true });
    });
  }

  /**
   * A new profile key (primary only): the new token replaces the old at the relay, the profile
   * is sealed again under it if we have one, and every contact gets the new key with our next
   * message to them.
   */
  async rotate(a: AccountRecord): Promise<void> {
    if (a.deviceId !== 1) throw new ClientError('MISUSE', 'only the primary device rotates keys');
    const c = this.#c;
    const profile = await this.get(a, a.accountId).catch(() => undefined);
    const key = c.p.randomBytes(PROFILE_KEY_BYTES);
    c.db.transact((w) => {
      putJson(w, 'self', { key: toBase64(key), registered: false });
      for (const [k] of w.list(PROFILE_NS)) if (k.startsWith('shared:')) w.delete(PROFILE_NS, k);
    });
    await this.registerToken(a);
    if (profile !== undefined) await this.set(a, profile);
  }

  /** The profile key we hold for `accountId` (ours for our own account). */
  keyOf(a: AccountRecord, accountId: string): Uint8Array | undefined {
    if (accountId === a.accountId) return this.ownKey();
    const peer = json<{ key: string }>(this.#c.db, `peer:${accountId}`);
    return peer === undefined ? undefined : fromBase64(peer.key);
  }

  /** The delivery token of `accountId`, if we hold its profile key. */
  tokenOf(a: AccountRecord, accountId: string): Uint8Array | undefined {
    const key = this.keyOf(a, accountId);
    return key === undefined ? undefined : this.deliveryToken(key);
  }

  /**
   * Stores a profile key sent inside an end-to-end encrypted message: a contact's, or our own
   * account's from our primary (a linked device shares the account's key, never makes one).
   */
  receiveKey(w: StorageWriter, from: string, key: Uint8Array, own: boolean): void {
    if (key.length !== PROFILE_KEY_BYTES) return;
    if (own) putJson(w, 'self', { key: toBase64(key), registered: true });
    else putJson(w, `peer:${from}`, { key: toBase64(key) });
  }

  /** Our profile key as stored (none before the first `ownKey`), read through `r`. */
  storedKey(r: StorageReader): Uint8Array | undefined {
    const stored = json<OwnProfileKey>(r, 'self');
    return stored === undefined ? undefined : fromBase64(stored.key);
  }

  /** Whether `accountId` still needs our current profile key (false while we have none). */
  needsKey(r: StorageReader, accountId: string): boolean {
    const key = this.storedKey(r);
    if (key === undefined) return false;
    const shared = json<{ key: string }>(r, `shared:${accountId}`);
    return shared === undefined || !constantTimeEqual(fromBase64(shared.key), key);
  }

  /** Records, in `w`, that our current key was queued for `accountId`. */
  markShared(w: StorageWriter, accountId: string): void {
    const key = this.storedKey(w);
    if (key !== undefined) putJson(w, `shared:${accountId}`, { key: toBase64(key) });
  }

  /** Seals `profile` under our profile key and stores it at the relay (primary only). */
  async set(a: AccountRecord, profile: Profile): Promise<void> {
    if (a.deviceId !== 1)
      throw new ClientError('MISUSE', 'only the primary device sets the profile');
    const name = profile.name.trim();
    if (name.length === 0 || name.length > MAX_PROFILE_NAME_LENGTH)
      throw new ClientError(
        'INVALID_INPUT',
        `a name of 1 to ${MAX_PROFILE_NAME_LENGTH} characters`,
      );
    const plain = utf8Encode(JSON.stringify({ v: PROFILE_VERSION, ...profile, name }));
    const padded = new Uint8Array(
      Math.ceil((plain.length + 1) / PROFILE_PAD_BYTES) * PROFILE_PAD_BYTES,
    );
    padded.set(plain);
    padded[plain.length] = 0x80;
    const sealedLength = NONCE_BYTES + padded.length + 16;
    if (sealedLength > limits.MAX_PROFILE_BYTES)
      throw new ClientError('INVALID_INPUT', 'the avatar is too large');
    const c = this.#c;
    const nonce = c.p.randomBytes(NONCE_BYTES);
    const sealed = c.p.aead['aes-gcm'].seal(
      this.#cipherKey(this.ownKey()),
      nonce,
      padded,
      utf8Encode(a.accountId),
    );
    const blob = new Uint8Array(sealedLength);
    blob.set(nonce);
    blob.set(sealed, NONCE_BYTES);
    await c.relay.call(PROFILE_ROUTES.putProfile, PROFILE_ROUTES.putProfile.url, c.auth(a), {
      profile: toBase64(blob),
    });
  }

  /**
   * The profile of `accountId`, fetched and opened with the profile key we hold for it;
   * undefined when we hold no key or it has none. A blob that does not open is the relay's (or
   * a stale key's) fault: `RELAY_INCONSISTENT`, nothing stored.
   */
  async get(a: AccountRecord, accountId: string): Promise<Profile | undefined> {
    const key = this.keyOf(a, accountId);
    if (key === undefined) return undefined;
    const c = this.#c;
    let blob: Uint8Array;
    try {
      const answer = await c.relay.call<{ profile: string }>(
        PROFILE_ROUTES.getProfile,
        `/v1/accounts/${encodeURIComponent(accountId)}/profile`,
        c.auth(a),
      );
      blob = fromBase64(answer.profile);
    } catch (e) {
      if (e instanceof RelayCallError && e.relayCode === 'PROFILE_NOT_FOUND') return undefined;
      throw e;
    }
    const profile = this.#open(key, accountId, blob);
    c.db.transact((w) => {
      putJson(w, `name:${accountId}`, { name: profile.name });
    });
    return profile;
  }

  /** The name last read from `accountId`'s profile. */
  cachedName(accountId: string): string | undefined {
    return json<{ name: string }>(this.#c.db, `name:${accountId}`)?.name;
  }

  #open(profileKey: Uint8Array, accountId: string, blob: Uint8Array): Profile {
    const bad = (): ClientError =>
      new ClientError('RELAY_INCONSISTENT', 'the profile does not open under its key');
    if (blob.length < NONCE_BYTES + 16) throw bad();
    let padded: Uint8Array;
    try {
      padded = this.#c.p.aead['aes-gcm'].open(
        this.#cipherKey(profileKey),
        blob.subarray(0, NONCE_BYTES),
        blob.subarray(NONCE_BYTES),
        utf8Encode(accountId),
      );
    } catch {
      throw bad();
    }
    const end = padded.lastIndexOf(0x80);
    try {
      const o = JSON.parse(utf8Decode(padded.subarray(0, end))) as Record<string, unknown>;
      const name = o['name'];
      const avatar = o['avatar'] as { contentType?: unknown; data?: unknown } | undefined;
      if (
        o['v'] !== PROFILE_VERSION ||
        typeof name !== 'string' ||
        name.length > MAX_PROFILE_NAME_LENGTH
      )
        throw bad();
      if (avatar === undefined) return { name };
      if (typeof avatar.contentType !== 'string' || typeof avatar.data !== 'string') throw bad();
      return { name, avatar: { contentType: avatar.contentType, data: avatar.data } };
    } catch {
      throw bad();
    }
  }

  #cipherKey(profileKey: Uint8Array): Uint8Array {
    return this.#c.p.hkdf('sha256', profileKey, new Uint8Array(0), PROFILE_INFO, 32);
  }
}
