import type { Primitives } from '@parley/primitives';
import type { PreKeyBundle } from './bundle.js';
import {
  generateKeyPair,
  generateKyberKeyPair,
  serializeKyberPublicKey,
  serializePublicKey,
  type IdentityKeyPair,
  type KeyPair,
  type KyberKeyPair,
} from './keys.js';

/** A one-time EC prekey, used at most once. */
export interface PreKeyRecord {
  readonly id: number;
  readonly keyPair: KeyPair;
}

export interface SignedPreKeyRecord {
  readonly id: number;
  readonly keyPair: KeyPair;
  /** XEdDSA by the identity key over `0x05 ‖ public key`. */
  readonly signature: Uint8Array;
  readonly createdAt: number;
}

export interface KyberPreKeyRecord {
  readonly id: number;
  readonly keyPair: KyberKeyPair;
  /** XEdDSA by the identity key over `0x08 ‖ public key` (1,569 bytes). */
  readonly signature: Uint8Array;
  readonly createdAt: number;
  /** A last-resort key is kept after use; a one-time Kyber key is removed. */
  readonly lastResort: boolean;
}

export function generatePreKey(p: Primitives, id: number): PreKeyRecord {
  return { id, keyPair: generateKeyPair(p) };
}

export function generateSignedPreKey(
  p: Primitives,
  identity: IdentityKeyPair,
  id: number,
  now: number,
): SignedPreKeyRecord {
  const keyPair = generateKeyPair(p);
  const signature = p.xeddsa.sign(identity.privateKey, serializePublicKey(keyPair.publicKey));
  return { id, keyPair, signature, createdAt: now };
}

export function generateKyberPreKey(
  p: Primitives,
  identity: IdentityKeyPair,
  id: number,
  now: number,
  lastResort: boolean,
): KyberPreKeyRecord {
  const keyPair = generateKyberKeyPair(p);
  const signature = p.xeddsa.sign(identity.privateKey, serializeKyberPublicKey(keyPair.publicKey));
  return { id, keyPair, signature, createdAt: now, lastResort };
}

/** The bundle that publishes these records. */
export function makeBundle(input: {
  readonly registrationId: number;
  readonly deviceId: number;
  readonly identity: IdentityKeyPair;
  readonly signedPreKey: SignedPreKeyRecord;
  readonly kyberPreKey: KyberPreKeyRecord;
  readonly preKey: PreKeyRecord | undefined;
}): PreKeyBundle {
  const { signedPreKey, kyberPreKey, preKey } = input;
  return {
    registrationId: input.registrationId,
    deviceId: input.deviceId,
    identityKey: input.identity.publicKey,
    signedPreKey: {
      id: signedPreKey.id,
      publicKey: signedPreKey.keyPair.publicKey,
      signature: signedPreKey.signature,
    },
    preKey: preKey && { id: preKey.id, publicKey: preKey.keyPair.publicKey },
    kyberPreKey: {
      id: kyberPreKey.id,
      publicKey: kyberPreKey.keyPair.publicKey,
      signature: kyberPreKey.signature,
    },
  };
}
