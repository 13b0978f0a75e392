import type { KeyPair } from '@parley/primitives';
import { encodeGroupContext, type GroupContext } from './group-context.js';
import type { Label, MlsCrypto } from './mls-crypto.js';
import { MlsError } from './errors.js';
import { MAX_EXPAND_LENGTH } from './limits.js';

/** The secrets of one epoch (RFC 9420 §8, Table 4), with the inputs that chain to the next. */
export interface EpochSecrets {
  readonly joinerSecret: Uint8Array;
  readonly welcomeSecret: Uint8Array;
  readonly epochSecret: Uint8Array;
  readonly senderDataSecret: Uint8Array;
  readonly encryptionSecret: Uint8Array;
  readonly exporterSecret: Uint8Array;
  readonly externalSecret: Uint8Array;
  readonly confirmationKey: Uint8Array;
  readonly membershipKey: Uint8Array;
  readonly resumptionPsk: Uint8Array;
  readonly epochAuthenticator: Uint8Array;
  /** init_secret of the next epoch. */
  readonly initSecret: Uint8Array;
}

/**
 * joiner_secret = ExpandWithLabel(KDF.Extract(init_secret, commit_secret), "joiner",
 * GroupContext_[n], KDF.Nh).
 */
export function joinerSecret(
  crypto: MlsCrypto,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  context: GroupContext,
): Uint8Array {
  const prk = crypto.extract(initSecret, commitSecret);
  return crypto.expandWithLabel(prk, 'joiner', encodeGroupContext(context), crypto.hashLength);
}

/**
 * Every secret of the epoch whose GroupContext is `context`, from its joiner secret and
 * psk_secret (all zeros when the commit has no PSKs). This is where a new member starts.
 */
export function epochSecretsFromJoiner(
  crypto: MlsCrypto,
  joiner: Uint8Array,
  pskSecret: Uint8Array,
  context: GroupContext,
): EpochSecrets {
  const memberSecret = crypto.extract(joiner, pskSecret);
  const welcomeSecret = crypto.deriveSecret(memberSecret, 'welcome');
  const epochSecret = crypto.expandWithLabel(
    memberSecret,
    'epoch',
    encodeGroupContext(context),
    crypto.hashLength,
  );
  const derive = (label: string): Uint8Array => crypto.deriveSecret(epochSecret, label);
  return {
    joinerSecret: joiner,
    welcomeSecret,
    epochSecret,
    senderDataSecret: derive('sender data'),
    encryptionSecret: derive('encryption'),
    exporterSecret: derive('exporter'),
    externalSecret: derive('external'),
    confirmationKey: derive('confirm'),
    membershipKey: derive('membership'),
    resumptionPsk: derive('resumption'),
    epochAuthenticator: derive('authentication'),
    initSecret: derive('init'),
  };
}

/** The epoch's secrets from the previous epoch's init_secret and this commit's secrets. */
export function epochSecrets(
  crypto: MlsCrypto,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  pskSecret: Uint8Array,
  context: GroupContext,
): EpochSecrets {
  const joiner = joinerSecret(crypto, initSecret, commitSecret, context);
  return epochSecretsFromJoiner(crypto, joiner, pskSecret, context);
}

/** The welcome_secret of a joiner secret (for decrypting a Welcome's GroupInfo). */
export function welcomeSecret(
  crypto: MlsCrypto,
  joiner: Uint8Array,
  pskSecret: Uint8Array,
): Uint8Array {
  return crypto.deriveSecret(crypto.extract(joiner, pskSecret), 'welcome');
}

/** The external key pair derived from external_secret (RFC 9420 §8.3). */
export function externalKeyPair(crypto: MlsCrypto, externalSecret: Uint8Array): KeyPair {
  return crypto.deriveKemKeyPair(externalSecret);
}

/**
 * MLS-Exporter(Label, Context, Length) = ExpandWithLabel(DeriveSecret(exporter_secret, Label),
 * "exported", Hash(Context), Length) (RFC 9420 §8.5).
 */
export function mlsExporter(
  crypto: MlsCrypto,
  exporterSecret: Uint8Array,
  label: Label,
  context: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_EXPAND_LENGTH) {
    throw new MlsError(
      'LIMIT_EXCEEDED',
      `exporter length ${length} outside 0..${MAX_EXPAND_LENGTH}`,
    );
  }
  const derived = crypto.deriveSecret(exporterSecret, label);
  return crypto.expandWithLabel(derived, 'exported', crypto.hash(context), length);
}
