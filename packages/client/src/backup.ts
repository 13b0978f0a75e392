/**
 * Encrypted backups. `createBackup` writes what this device needs to keep talking (the account
 * and device keys, prekeys, contacts with their accepted keys and verified device lists, groups
 * with their MLS state and KeyPackage secrets, settings, the transparency state) and the
 * history, sealed under a fresh recovery key that the user is shown once.
 *
 * Recovery key: 32 random bytes and an 8-byte checksum (SHA-256 of the key, truncated), 40 bytes
 * written as 64 Crockford base32 characters; a mistyped key fails its checksum before any
 * decryption. Archive: `PARLEYBK`, version byte, 16-byte salt, 16-byte key check, 24-byte nonce,
 * then XChaCha20-Poly1305 (from `@parley/primitives`) over the records, with everything before
 * the ciphertext as associated data. Keys come from HKDF-SHA-256 over the recovery key (already
 * 256 bits of entropy: no password stretching is needed) and the salt. The key check (an HKDF
 * output of its own) tells a wrong key from a damaged file; both change nothing.
 *
 * Not in a backup: Signal sessions (ratchet state restored from the past would reuse message
 * keys), outboxes and pending group commits. After a restore, every contact and our other
 * devices get a `session-renewed` message (new sessions from fresh prekey bundles), and every
 * group is held and asks its members to add this device again (`group-rejoin`), since its MLS
 * state may be behind. The device keeps its identity, so contacts see no key change.
 */
import {
  concatBytes,
  constantTimeEqual,
  fromBase64,
  toBase64,
  utf8Decode,
  utf8Encode,
} from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { ClientError } from './errors.js';
import { GROUP_NS } from './group-records.js';
import { MAX_BACKUP_BYTES } from './limits.js';
import { SETTINGS_NS } from './settings.js';
import { NS } from './state.js';
import type { StorageReader } from './storage.js';
import { KT_NAMESPACE } from './transparency-store.js';

const MAGIC = utf8Encode('PARLEYBK');
const VERSION = 1;
const SALT_BYTES = 16;
const CHECK_BYTES = 16;
const NONCE_BYTES = 24;
const HEADER_BYTES = MAGIC.length + 1 + SALT_BYTES + CHECK_BYTES + NONCE_BYTES;
const AEAD = 'xchacha20-poly1305';
const KEY_INFO = utf8Encode('parley backup v1 key');
const CHECK_INFO = utf8Encode('parley backup v1 check');

const RECOVERY_SECRET_BYTES = 32;
const RECOVERY_CHECKSUM_BYTES = 8;
/** Characters of a recovery key: 40 bytes in base32. */
export const RECOVERY_KEY_LENGTH = 64;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Most records an archive may hold, and the longest record key (both bound the parser). */
const MAX_BACKUP_RECORDS = 1_000_000;
const MAX_RECORD_KEY_LENGTH = 512;

/** The namespaces a backup holds, and only these are restored. */
export const BACKUP_NAMESPACES: readonly string[] = [
  NS.account,
  NS.identity,
  NS.preKey,
  NS.signedPreKey,
  NS.kyberPreKey,
  NS.contact,
  NS.message,
  NS.seen,
  NS.seenMeta,
  GROUP_NS.group,
  GROUP_NS.groupState,
  GROUP_NS.groupMessage,
  GROUP_NS.keyPackage,
  SETTINGS_NS.device,
  SETTINGS_NS.timer,
  KT_NAMESPACE,
];

/** A backup's records, by namespace: `[key, value]` pairs. */
export interface BackupContents {
  readonly createdAt: number;
  readonly records: ReadonlyMap<string, readonly (readonly [string, Uint8Array])[]>;
}

function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(acc >>> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

function unbase32(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = CROCKFORD.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 255);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  return Uint8Array.from(out);
}

function checksum(p: Primitives, secret: Uint8Array): Uint8Array {
  return p.hash('sha256', secret).subarray(0, RECOVERY_CHECKSUM_BYTES);
}

/** A fresh recovery key: its secret, and the 64 characters shown to the user (in groups of 4). */
export function newRecoveryKey(p: Primitives): { secret: Uint8Array; text: string } {
  const secret = p.randomBytes(RECOVERY_SECRET_BYTES);
  const text = base32(concatBytes(secret, checksum(p, secret)));
  return { secret, text: text.replace(/(.{4})(?=.)/g, '$1 ') };
}

/**
 * The secret of a recovery key as typed: spaces and dashes ignored, any case, I and L read as 1,
 * O as 0. `INVALID_INPUT` if it is not 64 such characters or its checksum fails.
 */
export function parseRecoveryKey(p: Primitives, typed: string): Uint8Array {
  const clean = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  const bytes = clean.length === RECOVERY_KEY_LENGTH ? unbase32(clean) : undefined;
  if (bytes?.length !== RECOVERY_SECRET_BYTES + RECOVERY_CHECKSUM_BYTES)
    throw new ClientError('INVALID_INPUT', `a recovery key is ${RECOVERY_KEY_LENGTH} characters`);
  const secret = bytes.slice(0, RECOVERY_SECRET_BYTES);
  if (!constantTimeEqual(checksum(p, secret), bytes.subarray(RECOVERY_SECRET_BYTES)))
    throw new ClientError('INVALID_INPUT', 'the recovery key is mistyped (its checksum fails)');
  return secret;
}

function keys(p: Primitives, secret: Uint8Array, salt: Uint8Array) {
  return {
    key: p.hkdf('sha256', secret, salt, KEY_INFO, 32),
    check: p.hkdf('sha256', secret, salt, CHECK_INFO, CHECK_BYTES),
  };
}

/** Reads every backed-up record of `db`. */
export function collectBackup(db: StorageReader, createdAt: number): BackupContents {
  return {
    createdAt,
    records: new Map(BACKUP_NAMESPACES.map((ns) => [ns, db.list(ns)] as const)),
  };
}

/** The records as the archive's plaintext (also the body of a linked device's history). */
export function encodeRecords(contents: BackupContents): Uint8Array {
  const records: Record<string, [string, string][]> = {};
  for (const [ns, entries] of contents.records)
    records[ns] = entries.map(([k, v]) => [k, toBase64(v)]);
  return utf8Encode(JSON.stringify({ v: VERSION, createdAt: contents.createdAt, records }));
}

/** Seals `contents` under the recovery key's `secret`. */
export function sealBackup(
  p: Primitives,
  secret: Uint8Array,
  contents: BackupContents,
): Uint8Array {
  const plain = encodeRecords(contents);
  const salt = p.randomBytes(SALT_BYTES);
  const nonce = p.randomBytes(NONCE_BYTES);
  const k = keys(p, secret, salt);
  const header = concatBytes(MAGIC, Uint8Array.of(VERSION), salt, k.check, nonce);
  const sealed = concatBytes(header, p.aead[AEAD].seal(k.key, nonce, plain, header));
  k.key.fill(0);
  if (sealed.length > MAX_BACKUP_BYTES)
    throw new ClientError('INVALID_INPUT', `the backup would exceed ${MAX_BACKUP_BYTES} bytes`);
  return sealed;
}

/**
 * Opens an archive: `BACKUP_INVALID` if it is not one or was damaged, `BACKUP_WRONG_KEY` if the
 * key is not its own. Pure: nothing is stored.
 */
export function openBackup(p: Primitives, secret: Uint8Array, file: Uint8Array): BackupContents {
  const invalid = (why: string) => new ClientError('BACKUP_INVALID', why);
  if (file.length > MAX_BACKUP_BYTES) throw invalid('the file is larger than any backup');
  if (file.length < HEADER_BYTES || !constantTimeEqual(file.subarray(0, MAGIC.length), MAGIC))
    throw invalid('not a Parley backup');
  if (file[MAGIC.length] !== VERSION) throw invalid('a backup version this client does not read');
  const at = MAGIC.length + 1;
  const salt = file.subarray(at, at + SALT_BYTES);
  const check = file.subarray(at + SALT_BYTES, at + SALT_BYTES + CHECK_BYTES);
  const nonce = file.subarray(at + SALT_BYTES + CHECK_BYTES, HEADER_BYTES);
  const k = keys(p, secret, salt);
  if (!constantTimeEqual(k.check, check))
    throw new ClientError('BACKUP_WRONG_KEY', 'this recovery key is not the backup’s');
  let plain: Uint8Array;
  try {
    plain = p.aead[AEAD].open(
      k.key,
      nonce,
      file.subarray(HEADER_BYTES),
      file.subarray(0, HEADER_BYTES),
    );
  } catch {
    throw invalid('the backup is damaged');
  } finally {
    k.key.fill(0);
  }
  return parseBackupRecords(plain);
}

/** The decrypted records (exported for the fuzz test); `BACKUP_INVALID` unless well-formed. */
export function parseBackupRecords(plain: Uint8Array): BackupContents {
  const contents = parseRecords(plain, BACKUP_NAMESPACES);
  if ((contents.records.get(NS.account) ?? []).length !== 1)
    throw new ClientError('BACKUP_INVALID', 'the backup’s contents are malformed');
  return contents;
}

/**
 * What `encodeRecords` wrote, holding only `namespaces`; `BACKUP_INVALID` unless well-formed.
 */
export function parseRecords(plain: Uint8Array, namespaces: readonly string[]): BackupContents {
  const invalid = () => new ClientError('BACKUP_INVALID', 'the backup’s contents are malformed');
  let v: unknown;
  try {
    v = JSON.parse(utf8Decode(plain));
  } catch {
    throw invalid();
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid();
  const o = v as Record<string, unknown>;
  const createdAt = o['createdAt'];
  const records = o['records'];
  if (
    o['v'] !== VERSION ||
    !Number.isSafeInteger(createdAt) ||
    typeof records !== 'object' ||
    records === null ||
    Array.isArray(records)
  )
    throw invalid();
  const out = new Map<string, (readonly [string, Uint8Array])[]>();
  let count = 0;
  for (const [ns, entries] of Object.entries(records as Record<string, unknown>)) {
    if (!namespaces.includes(ns) || !Array.isArray(entries)) throw invalid();
    const list: (readonly [string, Uint8Array])[] = [];
    for (const e of entries as unknown[]) {
      if (++count > MAX_BACKUP_RECORDS) throw invalid();
      if (!Array.isArray(e) || e.length !== 2) throw invalid();
      const [key, value] = e as unknown[];
      if (
        typeof key !== 'string' ||
        key.length > MAX_RECORD_KEY_LENGTH ||
        typeof value !== 'string'
      )
        throw invalid();
      let bytes: Uint8Array;
      try {
        bytes = fromBase64(value);
      } catch {
        throw invalid();
      }
      list.push([key, bytes]);
    }
    out.set(ns, list);
  }
  return { createdAt: createdAt as number, records: out };
}
