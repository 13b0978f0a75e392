import { constantTimeEqual, type TlsReader, type TlsWriter } from '@parley/bytes';
import { decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { readHpkeCiphertext, writeHpkeCiphertext } from './commit.js';
import { MlsError } from './errors.js';
import { readExtensions, writeExtensions, type Extension } from './extension.js';
import { readGroupContext, writeGroupContext, type GroupContext } from './group-context.js';
import type { HpkeCiphertext, MlsCrypto } from './mls-crypto.js';
import { readPreSharedKeyId, writePreSharedKeyId, type PreSharedKeyId } from './psk.js';

/** GroupInfo (RFC 9420 §12.4.3). */
export interface GroupInfo {
  readonly groupContext: GroupContext;
  readonly extensions: readonly Extension[];
  readonly confirmationTag: Uint8Array;
  readonly signer: number;
  readonly signature: Uint8Array;
}

/** GroupSecrets (RFC 9420 §12.4.3.1). */
export interface GroupSecrets {
  readonly joinerSecret: Uint8Array;
  readonly pathSecret?: Uint8Array;
  readonly psks: readonly PreSharedKeyId[];
}

/** EncryptedGroupSecrets (RFC 9420 §12.4.3.1). */
export interface EncryptedGroupSecrets {
  readonly newMember: Uint8Array;
  readonly encryptedGroupSecrets: HpkeCiphertext;
}

/** Welcome (RFC 9420 §12.4.3.1). */
export interface Welcome {
  readonly cipherSuite: number;
  readonly secrets: readonly EncryptedGroupSecrets[];
  readonly encryptedGroupInfo: Uint8Array;
}

/** Writes GroupInfoTBS: the GroupInfo without its signature. */
function writeGroupInfoTbs(w: TlsWriter, g: GroupInfo): void {
  writeGroupContext(w, g.groupContext);
  writeExtensions(w, g.extensions);
  writeOpaque(w, g.confirmationTag);
  w.uint32(g.signer);
}

/** Writes a GroupInfo. */
export function writeGroupInfo(w: TlsWriter, g: GroupInfo): void {
  writeGroupInfoTbs(w, g);
  writeOpaque(w, g.signature);
}

/** Reads a GroupInfo. */
export function readGroupInfo(r: TlsReader): GroupInfo {
  return {
    groupContext: readGroupContext(r),
    extensions: readExtensions(r),
    confirmationTag: readOpaque(r),
    signer: r.uint32(),
    signature: readOpaque(r),
  };
}

/** The TLS encoding of a GroupInfo. */
export function encodeGroupInfo(g: GroupInfo): Uint8Array {
  return encodeWith(g, writeGroupInfo);
}

/** Decodes a GroupInfo, which must use all of `bytes`. */
export function decodeGroupInfo(bytes: Uint8Array): GroupInfo {
  return decodeWith(bytes, 'GroupInfo', readGroupInfo);
}

/** GroupInfoTBS: the GroupInfo without its signature, as signed. */
export function encodeGroupInfoTbs(groupInfo: GroupInfo): Uint8Array {
  return encodeWith(groupInfo, writeGroupInfoTbs);
}

/** True when the GroupInfo's signature verifies under the signer's key. */
export function verifyGroupInfoSignature(
  crypto: MlsCrypto,
  groupInfo: GroupInfo,
  signerPublicKey: Uint8Array,
): boolean {
  const tbs = encodeGroupInfoTbs(groupInfo);
  return crypto.verifyWithLabel(signerPublicKey, 'GroupInfoTBS', tbs, groupInfo.signature);
}

/** Writes a GroupSecrets. */
export function writeGroupSecrets(w: TlsWriter, s: GroupSecrets): void {
  writeOpaque(w, s.joinerSecret);
  w.optional(s.pathSecret, writeOpaque);
  w.vector('varint', s.psks, writePreSharedKeyId);
}

/** Reads a GroupSecrets. */
export function readGroupSecrets(r: TlsReader): GroupSecrets {
  const joinerSecret = readOpaque(r);
  const pathSecret = r.optional(readOpaque);
  const psks = r.vector('varint', readPreSharedKeyId);
  return pathSecret === undefined ? { joinerSecret, psks } : { joinerSecret, pathSecret, psks };
}

/** The TLS encoding of a GroupSecrets. */
export function encodeGroupSecrets(s: GroupSecrets): Uint8Array {
  return encodeWith(s, writeGroupSecrets);
}

/** Decodes a GroupSecrets, which must use all of `bytes`. */
export function decodeGroupSecrets(bytes: Uint8Array): GroupSecrets {
  return decodeWith(bytes, 'GroupSecrets', readGroupSecrets);
}

/** Writes a Welcome. */
export function writeWelcome(w: TlsWriter, m: Welcome): void {
  w.uint16(m.cipherSuite);
  w.vector('varint', m.secrets, (sw, s) => {
    writeOpaque(sw, s.newMember);
    writeHpkeCiphertext(sw, s.encryptedGroupSecrets);
  });
  writeOpaque(w, m.encryptedGroupInfo);
}

/** Reads a Welcome. */
export function readWelcome(r: TlsReader): Welcome {
  return {
    cipherSuite: r.uint16(),
    secrets: r.vector('varint', (sr) => ({
      newMember: readOpaque(sr),
      encryptedGroupSecrets: readHpkeCiphertext(sr),
    })),
    encryptedGroupInfo: readOpaque(r),
  };
}

/** welcome_key and welcome_nonce from the welcome secret (RFC 9420 §12.4.3.1). */
export function welcomeKeyNonce(
  crypto: MlsCrypto,
  welcomeSecret: Uint8Array,
): { readonly key: Uint8Array; readonly nonce: Uint8Array } {
  const empty = new Uint8Array(0);
  return {
    key: crypto.expandWithLabel(welcomeSecret, 'key', empty, crypto.suite.aeadKeyLength),
    nonce: crypto.expandWithLabel(welcomeSecret, 'nonce', empty, crypto.suite.aeadNonceLength),
  };
}

/**
 * Decrypts the GroupSecrets addressed to `keyPackageRef` with the KeyPackage's init private key.
 * Throws `INVALID_MESSAGE` when the Welcome has no entry for it, `DECRYPT_FAILED` otherwise.
 */
export function decryptGroupSecrets(
  crypto: MlsCrypto,
  welcome: Welcome,
  keyPackageRef: Uint8Array,
  initPrivateKey: Uint8Array,
): GroupSecrets {
  const entry = welcome.secrets.find((s) => constantTimeEqual(s.newMember, keyPackageRef));
  if (entry === undefined)
    throw new MlsError('INVALID_MESSAGE', 'Welcome is not for this KeyPackage');
  const plaintext = crypto.decryptWithLabel(
    initPrivateKey,
    'Welcome',
    welcome.encryptedGroupInfo,
    entry.encryptedGroupSecrets,
  );
  try {
    return decodeGroupSecrets(plaintext);
  } catch {
    throw new MlsError('DECRYPT_FAILED', 'GroupSecrets could not be decrypted');
  }
}

/** Decrypts the Welcome's GroupInfo with the welcome secret; throws `DECRYPT_FAILED`. */
export function decryptGroupInfo(
  crypto: MlsCrypto,
  welcome: Welcome,
  welcomeSecret: Uint8Array,
): GroupInfo {
  const { key, nonce } = welcomeKeyNonce(crypto, welcomeSecret);
  const plaintext = crypto.open(key, nonce, new Uint8Array(0), welcome.encryptedGroupInfo);
  try {
    return decodeGroupInfo(plaintext);
  } catch {
    throw new MlsError('DECRYPT_FAILED', 'GroupInfo could not be decrypted');
  }
}
