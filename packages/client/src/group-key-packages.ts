/**
 * This device's MLS KeyPackages: a batch of one-time ones plus a last-resort one, uploaded at
 * registration (or link) and topped up when the relay says few are left. The private halves
 * stay in the store, keyed by KeyPackageRef, until a Welcome uses them (one-time ones are then
 * deleted in the transaction that stores the joined group; the last-resort one is kept).
 */
import { fromBase64, toBase64, toHex } from '@parley/bytes';
import {
  createKeyPackage,
  encodeKeyPackage,
  encodeMlsMessage,
  WireFormat,
  type MlsCrypto,
} from '@parley/mls';
import { deviceCredential } from './group-auth.js';
import { groupRecords, type KeyPackageSecret } from './group-records.js';
import { GROUP_CAPABILITIES } from './group-roster.js';
import type { DeviceCredentials, RelayHttp } from './http.js';
import {
  MLS_CLOCK_SKEW_S,
  MLS_KEY_PACKAGE_BATCH,
  MLS_KEY_PACKAGE_LIFETIME_S,
  MLS_KEY_PACKAGE_LOW,
  USED_LAST_RESORT_GRACE_MS,
} from './limits.js';
import type { AccountRecord } from './state.js';
import type { StorageBackend } from './storage.js';

export interface KeyPackageContext {
  readonly crypto: MlsCrypto;
  readonly db: StorageBackend;
  readonly relay: RelayHttp;
  readonly account: AccountRecord;
  readonly auth: DeviceCredentials;
  /** Seconds since the Unix epoch. */
  readonly nowSeconds: bigint;
}

/** The MLS signature private key of this device (absent for accounts made before groups). */
export function signatureKey(a: AccountRecord): Uint8Array | undefined {
  return a.mlsSignaturePrivateKey === undefined ? undefined : fromBase64(a.mlsSignaturePrivateKey);
}

function create(c: KeyPackageContext, key: Uint8Array, lastResort: boolean) {
  const created = createKeyPackage(c.crypto, {
    credential: deviceCredential(c.account.accountId, c.account.deviceId),
    signaturePrivateKey: key,
    lifetime: {
      notBefore: c.nowSeconds - BigInt(MLS_CLOCK_SKEW_S),
      notAfter: c.nowSeconds + BigInt(MLS_KEY_PACKAGE_LIFETIME_S),
    },
    capabilities: GROUP_CAPABILITIES,
  });
  const ref = toHex(c.crypto.makeKeyPackageRef(encodeKeyPackage(created.keyPackage)));
  const wire = encodeMlsMessage({
    wireFormat: WireFormat.keyPackage,
    keyPackage: created.keyPackage,
  });
  const secret: KeyPackageSecret = {
    keyPackage: toBase64(wire),
    initPrivateKey: toBase64(created.initPrivateKey),
    encryptionPrivateKey: toBase64(created.encryptionPrivateKey),
    lastResort,
  };
  return { ref, secret, wire };
}

/** Creates and uploads a batch (and, with `initial`, the last-resort package). */
export async function uploadKeyPackages(c: KeyPackageContext, initial: boolean): Promise<void> {
  const key = signatureKey(c.account);
  if (key === undefined) return;
  const batch = Array.from({ length: MLS_KEY_PACKAGE_BATCH }, () => create(c, key, false));
  const last = initial ? create(c, key, true) : undefined;
  c.db.transact((w) => {
    for (const k of [...batch, ...(last ? [last] : [])])
      groupRecords.putKeyPackage(w, k.ref, k.secret);
  });
  await c.relay.uploadKeyPackages(c.auth, {
    keyPackages: batch.map((k) => toBase64(k.wire)),
    ...(last && { lastResort: toBase64(last.wire) }),
  });
}

/** Uploads a batch when the relay holds fewer than `MLS_KEY_PACKAGE_LOW`; true if it did. */
export async function topUpKeyPackages(c: KeyPackageContext): Promise<boolean> {
  if (signatureKey(c.account) === undefined) return false;
  const status = await c.relay.keyPackageStatus(c.auth);
  if (status.oneTime >= MLS_KEY_PACKAGE_LOW && status.lastResort) return false;
  await uploadKeyPackages(c, !status.lastResort);
  return true;
}

/**
 * Replaces a last-resort KeyPackage that has joined a group (a new batch with a new
 * last-resort one goes up), and deletes replaced ones after `USED_LAST_RESORT_GRACE_MS`: a
 * reused KeyPackage's secret is what would let an old Welcome be opened again.
 */
export async function retireUsedLastResort(c: KeyPackageContext, now: number): Promise<void> {
  const all = groupRecords.keyPackages(c.db);
  const used = all.filter(
    ([, k]) => k.lastResort && (k.joined ?? []).length > 0 && k.retiredAt === undefined,
  );
  if (used.length > 0) {
    await uploadKeyPackages(c, true);
    c.db.transact((w) => {
      for (const [ref, k] of used) groupRecords.putKeyPackage(w, ref, { ...k, retiredAt: now });
    });
  }
  const expired = all.filter(
    ([, k]) => k.retiredAt !== undefined && now - k.retiredAt > USED_LAST_RESORT_GRACE_MS,
  );
  if (expired.length > 0)
    c.db.transact((w) => {
      for (const [ref] of expired) groupRecords.deleteKeyPackage(w, ref);
    });
}

/** The stored KeyPackage a Welcome names, with its ref (hex), or undefined. */
export function keyPackageFor(
  db: StorageBackend,
  newMembers: readonly Uint8Array[],
): { readonly ref: string; readonly secret: KeyPackageSecret } | undefined {
  for (const m of newMembers) {
    const ref = toHex(m);
    const secret = groupRecords.keyPackage(db, ref);
    if (secret !== undefined) return { ref, secret };
  }
  return undefined;
}
