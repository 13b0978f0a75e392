import type { TlsReader, TlsWriter } from '@parley/bytes';
import { checkEnum, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { MlsError } from './errors.js';
import { MAX_PSKS } from './limits.js';
import type { MlsCrypto } from './mls-crypto.js';

/** PSKType values (RFC 9420 §8.4). */
export const PskType = { external: 1, resumption: 2 } as const;

/** ResumptionPSKUsage values (RFC 9420 §8.4). */
export const ResumptionPskUsage = { application: 1, reinit: 2, branch: 3 } as const;

/** PreSharedKeyID (RFC 9420 §8.4): which PSK, and the nonce that makes its use unique. */
export type PreSharedKeyId = (
  | { readonly pskType: 1; readonly pskId: Uint8Array }
  | {
      readonly pskType: 2;
      readonly usage: 1 | 2 | 3;
      readonly pskGroupId: Uint8Array;
      readonly pskEpoch: bigint;
    }
) & { readonly pskNonce: Uint8Array };

/** Writes a PreSharedKeyID. */
export function writePreSharedKeyId(w: TlsWriter, id: PreSharedKeyId): void {
  w.uint8(id.pskType);
  if (id.pskType === PskType.external) {
    writeOpaque(w, id.pskId);
  } else {
    w.uint8(id.usage);
    writeOpaque(w, id.pskGroupId);
    w.uint64(id.pskEpoch);
  }
  writeOpaque(w, id.pskNonce);
}

/** Reads a PreSharedKeyID. */
export function readPreSharedKeyId(r: TlsReader): PreSharedKeyId {
  const pskType = checkEnum(r.uint8(), [1, 2] as const, 'PSK type');
  if (pskType === PskType.external) {
    return { pskType, pskId: readOpaque(r), pskNonce: readOpaque(r) };
  }
  const usage = checkEnum(r.uint8(), [1, 2, 3] as const, 'resumption PSK usage');
  return {
    pskType,
    usage,
    pskGroupId: readOpaque(r),
    pskEpoch: r.uint64(),
    pskNonce: readOpaque(r),
  };
}

/** A PSK to fold into the key schedule: its id and its secret value. */
export interface PskInput {
  readonly id: PreSharedKeyId;
  readonly psk: Uint8Array;
}

/**
 * psk_secret (RFC 9420 §8.4) from the PSKs of a commit, in order: all zeros when there are
 * none; otherwise each PSK is extracted, expanded with its PSKLabel, and chained.
 */
export function computePskSecret(crypto: MlsCrypto, psks: readonly PskInput[]): Uint8Array {
  if (psks.length > MAX_PSKS) {
    throw new MlsError('LIMIT_EXCEEDED', `${psks.length} PSKs exceed ${MAX_PSKS}`);
  }
  const zero = new Uint8Array(crypto.hashLength);
  let secret: Uint8Array = zero;
  psks.forEach((input, index) => {
    const extracted = crypto.extract(zero, input.psk);
    const pskLabel = encodeWith(input.id, (w, id) => {
      writePreSharedKeyId(w, id);
      w.uint16(index).uint16(psks.length);
    });
    const pskInput = crypto.expandWithLabel(extracted, 'derived psk', pskLabel, crypto.hashLength);
    secret = crypto.extract(pskInput, secret);
  });
  return secret;
}
