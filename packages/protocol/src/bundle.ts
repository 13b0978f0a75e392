import type { Primitives } from '@parley/primitives';
import { ProtocolError } from './errors.js';
import {
  serializeKyberPublicKey,
  serializePublicKey,
  type KyberPublicKey,
  type PublicKey,
} from './keys.js';

/** What a device publishes so that others can start a session with it (spec §2, §3). */
export interface PreKeyBundle {
  readonly registrationId: number;
  readonly deviceId: number;
  readonly identityKey: PublicKey;
  readonly signedPreKey: {
    readonly id: number;
    readonly publicKey: PublicKey;
    readonly signature: Uint8Array;
  };
  readonly preKey: { readonly id: number; readonly publicKey: PublicKey } | undefined;
  readonly kyberPreKey: {
    readonly id: number;
    readonly publicKey: KyberPublicKey;
    readonly signature: Uint8Array;
  };
}

/**
 * Checks both signatures: XEdDSA by the identity key over `0x05 ‖ spk` (33 bytes) and over
 * `0x08 ‖ kyber_pk` (1,569 bytes). Throws `INVALID_SIGNATURE`.
 */
export function verifyBundle(p: Primitives, bundle: PreKeyBundle): void {
  const { identityKey, signedPreKey, kyberPreKey } = bundle;
  if (
    !p.xeddsa.verify(
      identityKey,
      serializePublicKey(signedPreKey.publicKey),
      signedPreKey.signature,
    )
  ) {
    throw new ProtocolError('INVALID_SIGNATURE', 'signed prekey signature does not verify');
  }
  if (
    !p.xeddsa.verify(
      identityKey,
      serializeKyberPublicKey(kyberPreKey.publicKey),
      kyberPreKey.signature,
    )
  ) {
    throw new ProtocolError('INVALID_SIGNATURE', 'Kyber prekey signature does not verify');
  }
}
