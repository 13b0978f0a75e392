/**
 * This device's Signal prekeys: one-time EC and Kyber prekeys uploaded in batches and topped up
 * when the relay says they run low, and the signed and last-resort Kyber prekeys, replaced every
 * `SIGNED_PREKEY_ROTATION_MS` and kept `RETIRED_KEY_GRACE_MS` after that for PreKey messages
 * still on their way. Private halves are stored before the public halves are uploaded, so a
 * bundle the relay serves always has its private keys here.
 */
import type { SignedPreKey as SignedPreKeyUpload } from '@parley/api';
import { toBase64 } from '@parley/bytes';
import {
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  serializeKyberPreKeyRecord,
  serializeKyberPublicKey,
  serializePreKeyRecord,
  serializePublicKey,
  serializeSignedPreKeyRecord,
  type KyberPreKeyRecord,
  type SignedPreKeyRecord,
} from '@parley/protocol';
import type { ClientContext } from './context.js';
import {
  MAX_RETIRED_KEYS,
  PREKEY_BATCH,
  RETIRED_KEY_GRACE_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from './limits.js';
import { NS, deviceIdentity, records } from './state.js';

export class PreKeys {
  readonly #c: ClientContext;

  constructor(context: ClientContext) {
    this.#c = context;
  }

  /** Generates and uploads one-time prekeys (and, with `initial`, the signed and last-resort ones). */
  async upload(initial: boolean): Promise<void> {
    const c = this.#c;
    const a = c.requireAccount();
    const identity = deviceIdentity(a);
    const now = c.now();
    const pre = Array.from({ length: PREKEY_BATCH }, (_, i) =>
      generatePreKey(c.p, a.nextPreKeyId + i),
    );
    const kyber = Array.from({ length: PREKEY_BATCH }, (_, i) =>
      generateKyberPreKey(c.p, identity, a.nextKyberPreKeyId + i, now, false),
    );
    const signed = initial ? generateSignedPreKey(c.p, identity, 1, now) : undefined;
    const lastResort = initial ? generateKyberPreKey(c.p, identity, 1, now, true) : undefined;
    c.db.transact((w) => {
      for (const k of pre) w.put(NS.preKey, String(k.id), serializePreKeyRecord(k));
      for (const k of [...kyber, ...(lastResort ? [lastResort] : [])])
        w.put(NS.kyberPreKey, String(k.id), serializeKyberPreKeyRecord(k));
      if (signed) w.put(NS.signedPreKey, String(signed.id), serializeSignedPreKeyRecord(signed));
      records.putAccount(w, {
        ...a,
        nextPreKeyId: a.nextPreKeyId + PREKEY_BATCH,
        nextKyberPreKeyId: a.nextKyberPreKeyId + PREKEY_BATCH,
      });
    });
    await c.relay.uploadKeys(c.auth(a), {
      ...(signed && { signedPreKey: signedPreKeyUpload(signed) }),
      ...(lastResort && { kyberLastResortPreKey: kyberUpload(lastResort) }),
      kyberPreKeys: kyber.map(kyberUpload),
      preKeys: pre.map((k) => ({
        keyId: k.id,
        publicKey: toBase64(serializePublicKey(k.keyPair.publicKey)),
      })),
    });
  }

  /** Uploads more one-time prekeys when the relay says they run low; true if it did. */
  async topUp(): Promise<boolean> {
    const status = await this.#c.relay.keyStatus(this.#c.auth());
    if (!status.low) return false;
    await this.upload(false);
    return true;
  }

  /**
   * Replaces the signed prekey and the last-resort Kyber prekey once they are
   * `SIGNED_PREKEY_ROTATION_MS` old; replaced ones are kept `RETIRED_KEY_GRACE_MS` for PreKey
   * messages still on their way, then deleted. True if it rotated.
   */
  async rotate(): Promise<boolean> {
    const c = this.#c;
    const a = c.requireAccount();
    const now = c.now();
    if (a.signedKeysAt === undefined) {
      c.db.transact((w) => records.putAccount(w, { ...a, signedKeysAt: now }));
      return false;
    }
    if (now - a.signedKeysAt < SIGNED_PREKEY_ROTATION_MS) return false;
    const identity = deviceIdentity(a);
    const signed = generateSignedPreKey(c.p, identity, (a.signedPreKeyId ?? 1) + 1, now);
    const lastResort = generateKyberPreKey(c.p, identity, a.nextKyberPreKeyId, now, true);
    // Stored before the upload, so a bundle the relay serves always has its private keys here;
    // if the upload fails, the next attempt writes the same ids again.
    c.db.transact((w) => {
      w.put(NS.signedPreKey, String(signed.id), serializeSignedPreKeyRecord(signed));
      w.put(NS.kyberPreKey, String(lastResort.id), serializeKyberPreKeyRecord(lastResort));
    });
    await c.relay.uploadKeys(c.auth(a), {
      signedPreKey: signedPreKeyUpload(signed),
      kyberLastResortPreKey: kyberUpload(lastResort),
    });
    c.db.transact((w) => {
      const current = records.account(w) ?? a;
      const retired = [
        ...(current.retiredKeys ?? []),
        {
          signedPreKeyId: current.signedPreKeyId ?? 1,
          kyberPreKeyId: current.lastResortKyberPreKeyId ?? 1,
          retiredAt: now,
        },
      ];
      const keep = retired
        .filter((r) => now - r.retiredAt < RETIRED_KEY_GRACE_MS)
        .slice(-MAX_RETIRED_KEYS);
      for (const r of retired) {
        if (keep.includes(r)) continue;
        w.delete(NS.signedPreKey, String(r.signedPreKeyId));
        w.delete(NS.kyberPreKey, String(r.kyberPreKeyId));
      }
      records.putAccount(w, {
        ...current,
        signedPreKeyId: signed.id,
        lastResortKyberPreKeyId: lastResort.id,
        nextKyberPreKeyId: Math.max(current.nextKyberPreKeyId, lastResort.id + 1),
        signedKeysAt: now,
        retiredKeys: keep,
      });
    });
    return true;
  }
}

/** A signed prekey as the relay's upload takes it. */
function signedPreKeyUpload(k: SignedPreKeyRecord): SignedPreKeyUpload {
  return {
    keyId: k.id,
    publicKey: toBase64(serializePublicKey(k.keyPair.publicKey)),
    signature: toBase64(k.signature),
  };
}

/** A Kyber prekey (one-time or last-resort) as the relay's upload takes it. */
function kyberUpload(k: KyberPreKeyRecord): SignedPreKeyUpload {
  return {
    keyId: k.id,
    publicKey: toBase64(serializeKyberPublicKey(k.keyPair.publicKey)),
    signature: toBase64(k.signature),
  };
}
